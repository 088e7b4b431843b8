"""The query tests share one written and indexed archive per engine (they only read it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from query_corpus import TENANT_1, TENANT_2, Corpus, write_corpus
from support import Template, clone_platform, postgres_schema

from archipel.platform import Platform


@dataclass(frozen=True)
class QueryArchive:
    platform: Platform
    engine: str
    first: Corpus
    """Tenant 1's units."""
    second: Corpus
    """Tenant 2's."""


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def query_archive(
    request: pytest.FixtureRequest, templates: dict[str, Template], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QueryArchive]:
    """The corpus of query_corpus.py on each engine, written once per test module."""
    engine = request.param
    root = tmp_path_factory.mktemp(f"query-{engine}")
    schema = None
    if engine == "sqlite":
        url = f"sqlite:///{root / 'archipel.db'}"
    else:
        schema = postgres_schema()
        url = next(schema)
    platform = clone_platform(templates[engine], root / "home", url)
    with platform.database.unit_of_work() as session:
        first = write_corpus(session, 1, TENANT_1)
        second = write_corpus(session, 2, TENANT_2)
    yield QueryArchive(platform, engine, first, second)
    platform.close()
    if schema is not None:
        schema.close()  # drops it
