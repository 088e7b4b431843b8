"""At scale, background operations run on `archipel worker` processes fed by a real broker.

Every test here starts a real worker process and talks to the Redis or RabbitMQ server of the
machine: no Celery test mode, no mocked broker.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from celery_support import (
    BROKERS,
    operation,
    queue_environment,
    running_worker,
    sending_platform,
    wait_for,
    wait_until_done,
)
from support import FIXTURES

from archipel.collect.sip_builder import Document, build_sip
from archipel.core.errors import ConfigurationError, Unavailable
from archipel.core.settings import load_settings
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog, this_worker
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform
from archipel.storage.offer_audit import OfferAuditService
from archipel.tasks.queue import QUEUED
from archipel.tasks.worker import run_message

pytestmark = pytest.mark.slow

SIP = FIXTURES / "sip/ok/OK_SIP_2_GO.zip"


def units_of(platform: Platform, tenant: int, operation_id: str) -> int:
    with platform.database.unit_of_work() as session:
        query = OperationLog(session, tenant).scope.select(ArchiveUnit)
        return len(list(session.scalars(query.where(ArchiveUnit.operation_id == operation_id))))


def stored_objects(platform: Platform) -> list[str]:
    return [entry.key for entry in platform.storage.offers[0].list("tenants/1/objects/")]


@pytest.mark.parametrize("broker", BROKERS)
def test_an_ingest_sent_to_the_queue_is_run_by_a_worker_process(
    platform: Platform, broker: str, tmp_path: Path
) -> None:
    with sending_platform(platform, BROKERS[broker]) as sender:
        operation_id = IngestService(sender).submit_background(1, SIP, agent="test")
        queued = operation(sender, 1, operation_id)
        assert queued.status == "RUNNING" and queued.worker.startswith(QUEUED)

        with running_worker(sender, tmp_path / "worker.log") as worker:
            done = wait_until_done(sender, 1, operation_id, worker)

    assert done.outcome == "OK", done.message
    assert done.worker == worker.name  # the worker process ran it, not this one
    assert units_of(platform, 1, operation_id) == done.units > 0
    assert stored_objects(platform)


def test_a_worker_killed_mid_ingest_leaves_nothing_and_the_next_worker_says_so(
    platform: Platform, tmp_path: Path
) -> None:
    rng = random.Random(11)
    documents = [Document(f"Pièce {i}", f"piece-{i}.bin", rng.randbytes(256 * 1024)) for i in range(120)]
    sip = build_sip(tmp_path / "large.zip", documents).path
    with sending_platform(platform, BROKERS["redis"]) as sender:
        operation_id = IngestService(sender).submit_background(1, sip, agent="test")
        with running_worker(sender, tmp_path / "first.log") as first:
            wait_for(lambda: bool(stored_objects(sender)), "the worker to store objects", first)
            first.kill()
        interrupted = operation(sender, 1, operation_id)
        assert interrupted.status == "RUNNING" and interrupted.worker == first.name

        with running_worker(sender, tmp_path / "second.log") as second:
            # its start rolls the interrupted ingest back; then the SIP, sent again, is archived
            rolled_back = wait_until_done(sender, 1, operation_id, second)
            assert rolled_back.outcome == "FATAL" and "interrupted" in rolled_back.message
            assert units_of(sender, 1, operation_id) == 0
            assert stored_objects(sender) == []
            retried = IngestService(sender).submit_background(1, sip, agent="test")
            assert wait_until_done(sender, 1, retried, second).outcome == "OK"

    audit = OfferAuditService(platform)
    report = audit.run(audit.submit(1), 1, False)
    assert report.outcome.value == "OK", report.as_dict()


def test_an_unreachable_broker_closes_the_operation_fatal_and_asks_to_retry(platform: Platform) -> None:
    with sending_platform(platform, "redis://127.0.0.1:1/0") as sender:
        with pytest.raises(Unavailable, match="task queue could not be reached"):
            IngestService(sender).submit_background(1, SIP, agent="test")
        with sender.database.unit_of_work() as session:
            (closed,) = OperationLog(session, 1).operations(limit=1)
            assert (closed.status, closed.outcome) == ("DONE", "FATAL")
            assert "task queue could not be reached" in closed.message


def test_a_message_is_run_once_even_when_delivered_twice(platform: Platform) -> None:
    service = IngestService(platform)
    operation_id = service.submit(1, SIP, agent="test")
    with platform.database.unit_of_work() as session:
        OperationLog(session, 1).hand_over(operation_id, QUEUED + "message-1")
    message = {
        "tenant": 1,
        "operation_id": operation_id,
        "label": "ingest",
        "service": "archipel.ingest.service:IngestService",
        "args": [1, operation_id],
    }
    assert run_message(platform, message, "message-1")
    assert not run_message(platform, message, "message-1")  # finished: the second delivery is skipped
    assert operation(platform, 1, operation_id).worker == this_worker()


def test_celery_settings_need_a_broker_and_the_worker_command_needs_celery(platform: Platform) -> None:
    with pytest.raises(ConfigurationError, match="broker_url"):
        load_settings(platform.settings.home, task_runner="celery")
    environment = queue_environment(platform, "", "")
    del environment["ARCHIPEL_BROKER_URL"], environment["ARCHIPEL_TASK_QUEUE"]
    environment["ARCHIPEL_TASK_RUNNER"] = "in-process"
    finished = subprocess.run(
        [sys.executable, "-m", "archipel", "worker"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2  # a configuration error, not a failed operation
    assert "task_runner = 'celery'" in finished.stderr
