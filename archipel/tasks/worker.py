"""The receiving side of the Celery runner: `archipel worker` runs the operations the API queued.

A worker is one process with `workers` threads (Celery's thread pool): recovery judges an
operation's runner by `host:pid`, so every operation this process runs bears its pid, and
the next worker started on this host after a crash rolls back what the crash interrupted.
Start as many worker processes, on as many machines, as the load needs; each needs the same
settings (database, offers, broker) and, for ingests, the same `work` folder as the API (a
shared volume), where uploaded SIPs wait.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from celery import Celery

from archipel.ingest.recovery import recover_interrupted
from archipel.logbook.service import OperationLog
from archipel.tasks.execution import close_abandoned, execute
from archipel.tasks.maintenance import start_maintenance
from archipel.tasks.payload import PayloadError
from archipel.tasks.queue import QUEUED, TASK_NAME, celery_app, message_call, message_job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)


def run_message(platform: Platform, message: dict[str, Any], message_id: str) -> bool:
    """Claims the message's operation and runs it; False when it was not this worker's to run.

    A failure the service did not close itself is rolled back and closed FATAL
    (`archipel.tasks.execution`), so no operation stays RUNNING under a worker still alive.
    """
    job = message_job(message)
    with platform.database.unit_of_work() as session:
        claimed = OperationLog(session, job.tenant).claim(job.operation_id, QUEUED + message_id)
    if not claimed:
        log.warning("%s: skipped, the operation is finished or another worker has it", job)
        return False
    log.info("%s: started", job)
    try:
        work, args = message_call(message, platform)
    except PayloadError as error:
        log.error("%s: refused message: %s", job, error)
        close_abandoned(platform, job, f"the worker refused the task message: {error}")
        return True
    execute(platform, job, work, *args)
    log.info("%s: ended", job)
    return True


def worker_app(platform: Platform) -> Celery:
    """The Celery application of this instance with the one task bound to `platform`."""
    app = celery_app(platform.settings)

    @app.task(name=TASK_NAME, bind=True)
    def run_operation(task: Any, message: dict[str, Any]) -> None:
        run_message(platform, message, task.request.id)

    return app


def start_worker(platform: Platform, concurrency: int | None = None, loglevel: str = "INFO") -> None:
    """Rolls back what a crash of this host interrupted, then runs queued operations until stopped,
    and the periodic chores beside them (`archipel.tasks.maintenance`)."""
    recovered = recover_interrupted(platform)
    if recovered:
        log.warning("rolled back %d interrupted operation(s): %s", len(recovered), ", ".join(recovered))
    settings = platform.settings
    maintenance = start_maintenance(platform, "worker")
    try:
        _run_worker(platform, concurrency or settings.workers, loglevel)
    finally:
        if maintenance is not None:
            maintenance.stop()


def _run_worker(platform: Platform, concurrency: int, loglevel: str) -> None:
    settings = platform.settings
    worker_app(platform).worker_main(
        [
            "worker",
            "--pool=threads",
            f"--hostname=archipel-{os.getpid()}@%h",  # unique per process: two on one host must not clash
            f"--concurrency={concurrency}",
            f"--queues={settings.task_queue}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
