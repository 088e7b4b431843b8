"""The database itself refuses to change or delete logbook entries (triggers of migration 0004)."""

from __future__ import annotations

import pytest
from logbook_support import ingest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archipel.core.errors import Conflict
from archipel.ingest.findings import Finding, Outcome
from archipel.logbook.securing import secure
from archipel.logbook.service import OperationLog
from archipel.platform import Platform

CHANGES = [
    ("logbook_events", "UPDATE logbook_events SET message = 'rewritten'"),
    ("logbook_events", "DELETE FROM logbook_events"),
    ("lifecycle_entries", "UPDATE lifecycle_entries SET outcome = 'KO'"),
    ("lifecycle_entries", "DELETE FROM lifecycle_entries"),
    ("chain_entries", "UPDATE chain_entries SET hash = previous"),
    ("chain_entries", "DELETE FROM chain_entries"),
    ("logbook_securings", "UPDATE logbook_securings SET root = sha512"),
    ("logbook_securings", "DELETE FROM logbook_securings"),
    ("operations", "UPDATE operations SET message = 'rewritten' WHERE status = 'DONE'"),
    ("operations", "DELETE FROM operations WHERE status = 'DONE'"),
    ("chain_heads", "DELETE FROM chain_heads"),
]


@pytest.fixture
def secured(platform: Platform) -> Platform:
    ingest(platform)
    assert secure(platform, 1).operation_id
    return platform


@pytest.mark.parametrize(
    ("table", "statement"),
    CHANGES,
    ids=[statement.split(" ")[0] + " " + table for table, statement in CHANGES],
)
def test_the_database_refuses_to_change_a_sealed_entry(secured: Platform, table: str, statement: str) -> None:
    with secured.database.engine.begin() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0
    with (
        pytest.raises(DBAPIError, match=r"append-only|never deleted"),
        secured.database.engine.begin() as connection,
    ):
        connection.execute(text(statement))


@pytest.mark.postgres
def test_postgresql_refuses_truncate_too(secured: Platform) -> None:
    if secured.settings.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"), secured.database.engine.begin() as connection:
        connection.execute(text("TRUNCATE logbook_events"))


def test_a_running_operation_is_updated_until_it_finishes(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        operation = OperationLog(session, 1).start("TEST")
        operation.message = "halfway"
    with platform.database.engine.begin() as connection:
        changed = connection.execute(
            text("UPDATE operations SET units = 3 WHERE id = :id"), {"id": operation.id}
        ).rowcount
    assert changed == 1
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        logbook.finish(logbook.get(operation.id), Outcome.OK, "done")
    with pytest.raises(DBAPIError, match="append-only"), platform.database.engine.begin() as connection:
        connection.execute(text("UPDATE operations SET units = 4 WHERE id = :id"), {"id": operation.id})


def test_no_event_is_added_to_a_finished_operation(platform: Platform) -> None:
    operation_id = ingest(platform)
    with pytest.raises(Conflict, match="sealed"), platform.database.unit_of_work() as session:
        OperationLog(session, 1).record(operation_id, [Finding("LATE", Outcome.OK, "after the end")])
