"""What tests share: where the real SEDA fixtures are, the expected outcomes, instance factories."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from archipel.admin import service as admin
from archipel.core.settings import load_settings
from archipel.metadata.rebuild import rebuild
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("ARCHIPEL_FIXTURES", ROOT.parent / "shared" / "fixtures")).resolve()
POSTGRES_URL = os.environ.get("ARCHIPEL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class ExpectedSip:
    path: Path
    expected: str
    reason: str
    needs: str = ""
    """What the reference system had loaded before the ingest (`kind:ids@file; ...`)."""

    @property
    def name(self) -> str:
        return self.path.name


def expected_sips() -> list[ExpectedSip]:
    """Every SIP of the fixtures with the outcome the reference system gives it."""
    with (FIXTURES / "expected.csv").open(encoding="utf-8") as table:
        return [
            ExpectedSip(FIXTURES / row["file"], row["expected"], row["reason"], row["needs"])
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


@contextmanager
def empty_database(platform: Platform, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database on the platform's engine: a SQLite file in `folder`,
    or a fresh PostgreSQL schema (dropped afterwards). Where a lost database is made again."""
    if platform.settings.is_sqlite:
        yield f"sqlite:///{folder / 'rebuilt.db'}"
    else:
        yield from postgres_schema()


@contextmanager
def rebuilt_from_offer(platform: Platform, folder: Path, tenant: int | None = None) -> Iterator[Platform]:
    """The index lost, made again from offer-2 into an empty database on the same engine."""
    with empty_database(platform, folder) as url:
        instance = Platform(load_settings(platform.settings.home, database_url=url, demo=False))
        try:
            instance.initialise()
            rebuild(instance, offer_name="offer-2", tenant=tenant)
            yield instance
        finally:
            instance.close()


BASELINE_REFERENTIALS = (
    ("agencies", "referentials/agencies/agencies_init.csv"),
    ("rules", "referentials/rules/rules_ok.csv"),
    ("ingest-contracts", "referentials/contracts/ingest/referential_contracts_ok.json"),
    ("access-contracts", "referentials/contracts/access/contract_acces_TNR.json"),
)
"""What the reference system's test suite loads on its tenants before any ingest (fixtures README)."""

ACCESS_CONTRACT = "ContratTNR"
"""The baseline's access contract: every originating agency, every usage."""


def load_referentials(platform: Platform, tenant: int, files: tuple[tuple[str, str], ...]) -> None:
    service = ReferentialService(platform)
    for kind, path in files:
        service.import_file(tenant, kind, (FIXTURES / path).read_bytes(), agent="test")


def make_platform(home: Path, database_url: str) -> Platform:
    """An initialised instance with two communes, tenants 1 and 2 (no demo keys), each holding
    the baseline referentials (agencies, rules, ingest contracts) of the reference test suite."""
    platform = Platform(load_settings(home, database_url=database_url, demo=False, workers=2))
    platform.initialise()
    with platform.database.unit_of_work() as session:
        for tenant_id, name in ((1, "Commune A"), (2, "Commune B")):
            admin.create_tenant(session, name, "Métropole", tenant_id)
    for tenant_id in (1, 2):
        load_referentials(platform, tenant_id, BASELINE_REFERENTIALS)
    return platform


@dataclass(frozen=True)
class Template:
    """An instance made once per test session, copied for each test that wants a fresh one.

    Making an instance runs the migrations and loads the shared referentials (thousands of
    PRONOM formats) and the baseline of two tenants: seconds per test. A copy of its
    database and offers is the same instance, made in milliseconds.
    """

    home: Path
    database_url: str


def make_template(root: Path, database_url: str) -> Template:
    make_platform(root / "home", database_url).close()
    return Template(root / "home", database_url)


def clone_platform(template: Template, home: Path, database_url: str) -> Platform:
    """A fresh instance at `home` on `database_url` (an empty SQLite file or PostgreSQL schema)."""
    shutil.copytree(template.home, home)
    if database_url.startswith("sqlite"):
        with (
            closing(sqlite3.connect(_sqlite_path(template.database_url))) as source,
            closing(sqlite3.connect(_sqlite_path(database_url))) as target,
        ):
            source.backup(target)
    else:
        _copy_schema(template.database_url, database_url)
    platform = Platform(load_settings(home, database_url=database_url, demo=False, workers=2))
    platform.initialise()
    return platform


def _sqlite_path(database_url: str) -> str:
    return database_url.removeprefix("sqlite:///")


def _schema_of(database_url: str) -> str:
    return database_url.rsplit("%3D", 1)[1]


def _copy_schema(source_url: str, target_url: str) -> None:
    """Migrates the target schema, then copies every row from the template's, table by table."""
    from archipel.db import migrate
    from archipel.db.database import Database
    from archipel.db.models import Base

    database = Database(target_url)
    try:
        migrate.upgrade(database)
    finally:
        database.dispose()
    source, target = _schema_of(source_url), _schema_of(target_url)
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                columns = ", ".join(f'"{column.name}"' for column in table.columns)
                connection.execute(
                    text(
                        f'INSERT INTO "{target}"."{table.name}" ({columns}) '
                        f'SELECT {columns} FROM "{source}"."{table.name}"'
                    )
                )
                if table.autoincrement_column is not None:  # the copy's next id follows the template's
                    name = table.autoincrement_column.name
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{target}\".{table.name}', '{name}'), "
                            f'(SELECT coalesce(max("{name}"), 0) + 1 FROM "{target}"."{table.name}"), false)'
                        )
                    )
    finally:
        engine.dispose()


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 300) -> None:
    """Polls `condition` for what another thread or process does; fails naming `what` after `seconds`
    (a bound for a machine that hangs, never a timing the test relies on)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.01)
