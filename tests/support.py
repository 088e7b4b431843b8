"""What tests share: where the real SEDA fixtures are, the expected outcomes, instance factories."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from archipel.admin import service as admin
from archipel.core.settings import load_settings
from archipel.platform import Platform

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("ARCHIPEL_FIXTURES", ROOT.parent / "shared" / "fixtures")).resolve()
POSTGRES_URL = os.environ.get("ARCHIPEL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class ExpectedSip:
    path: Path
    expected: str
    reason: str

    @property
    def name(self) -> str:
        return self.path.name


def expected_sips() -> list[ExpectedSip]:
    """Every SIP of the fixtures with the outcome the reference system gives it."""
    with (FIXTURES / "expected.csv").open(encoding="utf-8") as table:
        return [
            ExpectedSip(FIXTURES / row["file"], row["expected"], row["reason"])
            for row in csv.DictReader(table)
        ]


def postgres_schema() -> Iterator[str]:
    """A fresh schema in the `test` database, dropped afterwards: tests never share rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def make_platform(home: Path, database_url: str) -> Platform:
    """An initialised instance with two communes, tenants 1 and 2 (no demo keys)."""
    platform = Platform(load_settings(home, database_url=database_url, demo=False, workers=2))
    platform.initialise()
    with platform.database.unit_of_work() as session:
        for tenant_id, name in ((1, "Commune A"), (2, "Commune B")):
            admin.create_tenant(session, name, "Métropole", tenant_id)
    return platform
