"""Shared test fixtures: instances on both database engines (helpers live in support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import FIXTURES, Template, clone_platform, make_template, postgres_schema

from archipel.platform import Platform


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The metadata database, once on the embedded default and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archipel.db'}"
    else:
        yield from postgres_schema()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Template]]:
    """One initialised instance per engine, made on first use and copied by `platform`."""
    made: dict[str, Template] = {}
    schemas: list[Iterator[str]] = []

    def get(engine: str) -> Template:
        if engine not in made:
            root = tmp_path_factory.mktemp(f"template-{engine}")
            if engine == "sqlite":
                url = f"sqlite:///{root / 'template.db'}"
            else:
                schemas.append(postgres_schema())
                url = next(schemas[-1])
            made[engine] = make_template(root, url)
        return made[engine]

    yield _Lazy(get)  # type: ignore[misc]
    for schema in schemas:
        schema.close()  # drops it


class _Lazy(dict[str, Template]):
    def __init__(self, get: Callable[[str], Template]) -> None:
        super().__init__()
        self.get_template = get

    def __missing__(self, engine: str) -> Template:
        return self.get_template(engine)


@pytest.fixture
def platform(tmp_path: Path, database_url: str, templates: dict[str, Template]) -> Iterator[Platform]:
    """An instance on each database engine: tenants 1 and 2 holding the baseline referentials."""
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    instance = clone_platform(templates[engine], tmp_path / "home", database_url)
    yield instance
    instance.close()


@pytest.fixture
def embedded(tmp_path: Path, templates: dict[str, Template]) -> Iterator[Platform]:
    """An instance on the embedded default only (SQLite + filesystem offers)."""
    url = f"sqlite:///{tmp_path / 'home' / 'archipel.db'}"
    instance = clone_platform(templates["sqlite"], tmp_path / "home", url)
    yield instance
    instance.close()
