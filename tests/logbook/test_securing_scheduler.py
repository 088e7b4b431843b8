"""`archipel serve` secures every tenant's logbooks periodically when `securing_interval_minutes` is set."""

from __future__ import annotations

from fastapi.testclient import TestClient
from logbook_support import ingest

from archipel.api.app import create_app
from archipel.logbook.scheduler import AGENT
from archipel.logbook.securing import LOGBOOK_SECURING, securings
from archipel.logbook.service import OperationLog
from archipel.platform import Platform


def test_the_server_secures_each_tenant_in_the_background_and_stops_with_it(platform: Platform) -> None:
    ingest(platform, 1)
    ingest(platform, 2)
    platform.settings.securing_interval_minutes = 0.001
    with TestClient(create_app(platform)) as client:
        scheduler = client.app.state.securing_scheduler
        assert scheduler is not None and scheduler.running
        assert scheduler.wait_for_rounds(1, timeout=300)
    assert not scheduler.running
    with platform.database.unit_of_work() as session:
        for tenant in (1, 2):
            assert [record.number for record in securings(session, tenant)][:1] == [1]
            (first, *_) = reversed(OperationLog(session, tenant).operations(type_=LOGBOOK_SECURING))
            assert (first.agent, first.outcome) == (AGENT, "OK")


def test_without_an_interval_no_securing_runs_by_itself(platform: Platform) -> None:
    assert platform.settings.securing_interval_minutes == 0
    with TestClient(create_app(platform)) as client:
        assert client.app.state.securing_scheduler is None
