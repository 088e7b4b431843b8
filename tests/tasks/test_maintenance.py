"""The periodic chores: logbooks secured and refused deletions retried, where the work runs.

With the in-process runner `archipel serve` runs them; with Celery the workers do, and the
API processes leave them alone.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from support import FIXTURES

from archipel.api.app import create_app
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.securing import LOGBOOK_SECURING, securings
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.storage import layout
from archipel.storage.journal import journal_writes
from archipel.storage.model import PendingWrite
from archipel.tasks.maintenance import AGENT, ROLLBACKS, SECURING, start_maintenance

SIP = FIXTURES / "sip/ok/OK_SIP_2_GO.zip"


def _ingest(platform: Platform, tenant: int) -> None:
    service = IngestService(platform)
    service.run(tenant, service.submit(tenant, SIP, SIP.name))


def test_the_server_secures_each_tenant_in_the_background_and_stops_with_it(platform: Platform) -> None:
    _ingest(platform, 1)
    _ingest(platform, 2)
    platform.settings.securing_interval_minutes = 0.001
    with TestClient(create_app(platform)) as client:
        scheduler = client.app.state.maintenance
        assert scheduler is not None and scheduler.running
        assert scheduler.wait_for_rounds(SECURING, 1, timeout=300)
    assert not scheduler.running
    with platform.database.unit_of_work() as session:
        for tenant in (1, 2):
            assert [record.number for record in securings(session, tenant)][:1] == [1]
            (first, *_) = reversed(OperationLog(session, tenant).operations(type_=LOGBOOK_SECURING))
            assert (first.agent, first.outcome) == (AGENT, "OK")


def test_without_intervals_no_chore_runs_by_itself(platform: Platform) -> None:
    platform.settings.securing_interval_minutes = platform.settings.rollback_retry_minutes = 0
    with TestClient(create_app(platform)) as client:
        assert client.app.state.maintenance is None


def test_with_celery_the_workers_run_the_chores_not_the_api(platform: Platform) -> None:
    platform.settings.securing_interval_minutes = 60
    platform.settings.task_runner = "celery"
    assert start_maintenance(platform, "serve") is None
    in_worker = start_maintenance(platform, "worker")
    assert in_worker is not None and {chore.name for chore in in_worker.chores} == {SECURING, ROLLBACKS}
    in_worker.stop()


def test_deletions_an_offer_refused_in_a_rollback_are_retried_without_a_restart(platform: Platform) -> None:
    """What a rollback leaves when an offer refused its deletions: a closed operation whose
    written keys are still journaled, and still on the offers."""
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.start("INGEST", agent="test")
        key = layout.operation_file_key(1, operation.id, "leftover.json")
        journal_writes(session, 1, operation.id, [key])
        logbook.finish(operation, Outcome.FATAL, "rolled back; offer-2 refused the deletions")
    platform.storage.put_document(key, b'{"left": "behind"}')
    assert all(offer.exists(key) for offer in platform.storage.offers)

    platform.settings.securing_interval_minutes, platform.settings.rollback_retry_minutes = 0, 0.001
    scheduler = start_maintenance(platform, "serve")
    assert scheduler is not None
    try:
        assert scheduler.wait_for_rounds(ROLLBACKS, 1, timeout=300)
    finally:
        scheduler.stop()
    assert not any(offer.exists(key) for offer in platform.storage.offers)
    with platform.database.unit_of_work() as session:
        assert list(session.scalars(select(PendingWrite.key))) == []
