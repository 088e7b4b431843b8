"""Shared test fixtures: instances on both database engines (helpers live in support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FIXTURES, make_platform, postgres_schema

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


@pytest.fixture
def platform(tmp_path: Path, database_url: str) -> Iterator[Platform]:
    """An instance on each database engine."""
    instance = make_platform(tmp_path / "home", database_url)
    yield instance
    instance.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Platform]:
    """An instance on the embedded default only (SQLite + filesystem offers)."""
    instance = make_platform(tmp_path / "home", f"sqlite:///{tmp_path / 'home' / 'archipel.db'}")
    yield instance
    instance.close()
