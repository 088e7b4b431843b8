"""An S3 offer that stops answering in the middle of an ingest: the ingest is refused FATAL, nothing kept.

The server is frozen (SIGSTOP), as a hung or unreachable object store is: requests time out.
The ingest then rolls back what it wrote; what the frozen offer could not delete stays in the
write journal, and recovery deletes it once the offer answers again (SIGCONT). No unit ever
points to a missing object, and the same SIP sent again is archived on both offers.
"""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from s3_support import MotoServer
from support import make_platform, wait_until
from test_offer_audit import audit_offers
from test_s3_platform import settings_file

from archipel.collect.sip_builder import Document, build_sip
from archipel.ingest.recovery import recover_interrupted
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform
from archipel.storage.model import PendingWrite

pytestmark = pytest.mark.slow

OBJECTS = "tenants/1/objects/"


@pytest.fixture
def frozen_server() -> Iterator[MotoServer]:
    """A server of this test's own: freezing the session's would stall every other S3 test."""
    server = MotoServer().start()
    yield server
    assert server.process is not None
    server.process.send_signal(signal.SIGCONT)
    server.stop()


def _keys(platform: Platform, offer: int) -> list[str]:
    return [entry.key for entry in platform.storage.offers[offer].list(OBJECTS)]


def test_an_s3_offer_hanging_mid_ingest_ends_in_a_clean_refusal(
    frozen_server: MotoServer, tmp_path: Path
) -> None:
    bucket = frozen_server.bucket()
    home = tmp_path / "home"
    home.mkdir()
    hasty = settings_file(
        frozen_server.endpoint_url, bucket.name, "", connect_timeout=1, read_timeout=1, max_attempts=1
    )
    (home / "archipel.toml").write_text(hasty, encoding="utf-8")
    rng = random.Random(3)
    documents = [Document(f"Pièce {i}", f"piece-{i}.bin", rng.randbytes(1024 * 1024)) for i in range(12)]
    sip = build_sip(tmp_path / "sip.zip", documents).path
    platform = make_platform(home, f"sqlite:///{home / 'archipel.db'}")
    try:
        service = IngestService(platform)
        operation_id = service.submit_background(1, sip, agent="test")
        wait_until(lambda: bool(_keys(platform, 0)), "the first object on the folder offer")
        assert frozen_server.process is not None
        frozen_server.process.send_signal(signal.SIGSTOP)

        def closed() -> bool:
            with platform.database.unit_of_work() as session:
                return OperationLog(session, 1).get(operation_id).status == "DONE"

        wait_until(closed, "the ingest to be closed")
        with platform.database.unit_of_work() as session:
            logbook = OperationLog(session, 1)
            assert logbook.get(operation_id).outcome == "FATAL"
            (storing,) = [event for event in logbook.events(operation_id) if event.step == "STP_STORAGE"]
            assert "offer offer-2" in storing.message and "rolled back" in storing.message, storing.message
            units = session.query(ArchiveUnit).filter(ArchiveUnit.operation_id == operation_id).count()
            assert units == 0
        assert _keys(platform, 0) == []  # the folder offer's copies are gone already

        frozen_server.process.send_signal(signal.SIGCONT)
        recover_interrupted(platform)  # what the frozen offer could not delete, deleted now
        assert _keys(platform, 1) == []
        with platform.database.unit_of_work() as session:
            assert session.query(PendingWrite).filter(PendingWrite.operation_id == operation_id).count() == 0

        retried = service.run(1, service.submit(1, sip, agent="test"))
        assert retried.outcome.value == "OK"
        assert _keys(platform, 0) == _keys(platform, 1) and len(_keys(platform, 1)) == len(documents)
        assert audit_offers(platform, 1).outcome.value == "OK"
    finally:
        platform.close()
