"""Migration 0004 seals the operations an instance finished before it, in the order they ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from archipel.core.ids import new_id
from archipel.db import migrate
from archipel.db.database import Database
from archipel.ingest.findings import Outcome
from archipel.logbook import chain
from archipel.logbook.canonical import GENESIS, chain_link, link_hash
from archipel.logbook.model import LogbookEvent, Operation
from archipel.logbook.service import OperationLog
from archipel.logbook.verification import contents


def operation(ended: datetime | None) -> dict[str, object]:
    return {
        "tenant_id": 1,
        "id": new_id(),
        "type": "INGEST",
        "status": "DONE" if ended else "RUNNING",
        "outcome": "OK" if ended else None,
        "message": "",
        "started": datetime(2026, 1, 1, tzinfo=UTC),
        "ended": ended,
        "units": 0,
        "objects": 0,
        "total_bytes": 0,
    }


def test_operations_finished_before_0004_are_sealed_in_the_order_they_ended(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate.upgrade(database, "0003")
        later, earlier, running = (
            operation(datetime(2026, 1, 3, tzinfo=UTC)),
            operation(datetime(2026, 1, 2, tzinfo=UTC)),
            operation(None),
        )
        with database.unit_of_work() as session:
            session.execute(insert(Operation), [later, earlier, running])
            session.execute(
                insert(LogbookEvent),
                [
                    {
                        "tenant_id": 1,
                        "operation_id": op["id"],
                        "seq": 1,
                        "step": "STP_UPLOAD_SIP",
                        "outcome": "OK",
                        "code": None,
                        "target": None,
                        "message": "SIP received",
                        "created": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
                    }
                    for n, op in enumerate((later, earlier, running))
                ],
            )
        migrate.upgrade(database)
        with database.unit_of_work() as session:
            head = chain.heads(session, 1)[chain.OPERATIONS]
            links = list(chain.walk(session, 1, head.chain))
            found = contents(session, 1, chain.OPERATIONS, [link.entry for link in links])
        assert [link.entry for link in links] == [earlier["id"], later["id"]]
        previous = GENESIS
        for link in links:
            assert link.previous == previous
            sealed = link_hash(
                chain_link(1, chain.OPERATIONS, head.chain, link.position, previous, found[link.entry])
            )
            assert link.hash == sealed
            previous = link.hash
        with database.unit_of_work() as session:  # the running one is sealed when it finishes
            logbook = OperationLog(session, 1)
            assert logbook.finish(logbook.get(str(running["id"])), Outcome.OK, "done").position == 3
    finally:
        database.dispose()
