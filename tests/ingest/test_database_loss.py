"""PostgreSQL killed in the middle of an ingest, then started again: the ingest ends, cleanly.

Either the ingest had committed (OK, every unit with its objects) or it is rolled back and
closed FATAL once the database answers again; never a unit pointing to a missing object, never
an operation left RUNNING, and an offer audit afterwards finds every copy sound.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from private_postgres import private_postgres
from support import make_platform, wait_until

from archipel.collect.sip_builder import Document, build_sip
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.logbook.verification import verify_logbooks
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform
from archipel.storage.offer_audit import OfferAuditService

pytestmark = pytest.mark.slow


def _stored_objects(platform: Platform) -> int:
    return sum(1 for _ in platform.storage.offers[0].list("tenants/1/objects/"))


def _operation(platform: Platform, operation_id: str) -> tuple[str, str | None, str, int]:
    with platform.database.unit_of_work() as session:
        found = OperationLog(session, 1).get(operation_id)
        return found.status, found.outcome, found.message, found.units


def _done(platform: Platform, operation_id: str) -> bool:
    try:
        return _operation(platform, operation_id)[0] == "DONE"
    except Exception:  # the database is still coming back
        return False


def test_an_ingest_survives_postgresql_killed_mid_way(tmp_path: Path) -> None:
    rng = random.Random(5)
    documents = [Document(f"Pièce {i}", f"piece-{i}.bin", rng.randbytes(256 * 1024)) for i in range(120)]
    sip = build_sip(tmp_path / "large.zip", documents).path
    with private_postgres() as server:
        platform = make_platform(tmp_path / "home", server.url)
        try:
            service = IngestService(platform)
            operation_id = service.submit_background(1, sip, agent="test")
            wait_until(lambda: _stored_objects(platform) > 0, "the ingest to store objects")
            server.kill()
            time.sleep(2)  # long enough for the ingest to meet the dead database
            server.start()
            wait_until(lambda: _done(platform, operation_id), "the ingest to be closed")

            _, outcome, message, units = _operation(platform, operation_id)
            with platform.database.unit_of_work() as session:
                query = OperationLog(session, 1).scope.select(ArchiveUnit)
                indexed = len(list(session.scalars(query.where(ArchiveUnit.operation_id == operation_id))))
            if outcome == "OK":  # it had committed before the kill
                assert indexed == units == len(documents) + 1
                assert _stored_objects(platform) == len(documents)
            else:
                assert outcome == "FATAL" and "rolled back" in message, message
                assert indexed == 0 and _stored_objects(platform) == 0

            retried = service.run(1, service.submit(1, sip, agent="test"))  # the depositor sends it again
            assert retried.outcome.value == "OK"
            audit = OfferAuditService(platform)
            report = audit.run(audit.submit(1), 1, False)
            assert report.outcome.value == "OK", report.as_dict()
            assert verify_logbooks(platform, 1).ok
        finally:
            platform.close()
