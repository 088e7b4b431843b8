"""An offer that fails during storage ends the ingest FATAL with everything rolled back."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import FIXTURES

from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.storage.model import PendingWrite

SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"


def test_a_failing_offer_leaves_nothing_on_any_offer_and_a_fatal_reply(embedded: Platform) -> None:
    broken = Path(str(embedded.storage.offers[1].root)) / "tenants" / "1"
    shutil.rmtree(broken, ignore_errors=True)  # the tenant's referentials are there: out of the way
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("a file where the tenant's folder should be")  # every write under it fails

    service = IngestService(embedded)
    operation_id = service.submit(1, SIP, SIP.name)
    result = service.run(1, operation_id)

    assert result.outcome is Outcome.FATAL
    with embedded.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.get(operation_id)
        events = logbook.events(operation_id)
        assert UnitRepository(session, 1).units() == []
        assert session.query(PendingWrite).count() == 0
    assert operation.outcome == "FATAL"
    assert any(event.step == "STP_STORAGE" and event.outcome == "FATAL" for event in events)
    assert operation.reply is not None and b"<ReplyCode>KO</ReplyCode>" in operation.reply
    healthy = embedded.storage.offers[0]
    assert [entry.key for entry in healthy.list("tenants/1/objects/")] == []
    assert [entry.key for entry in healthy.list("tenants/1/units/")] == []
