"""Real `archipel worker` processes on the brokers this machine runs (Redis, RabbitMQ), for tests.

Each test gets its own queue, so tests running side by side (pytest-xdist) never take each
other's messages; the queue is deleted afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kombu.exceptions import OperationalError

from archipel.core.settings import load_settings
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.tasks.queue import celery_app

BROKERS = {
    "redis": "redis://127.0.0.1:6379/15",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
PATIENCE = 120.0
"""Seconds a test waits for a worker before it gives up (a loaded CI machine is slow, never this slow)."""


def queue_environment(platform: Platform, broker_url: str, queue: str) -> dict[str, str]:
    """The environment of a process of the same instance that sends to, or reads, `queue`."""
    return {
        **os.environ,
        "ARCHIPEL_HOME": str(platform.settings.home),
        "ARCHIPEL_DATABASE_URL": platform.settings.database_url,
        "ARCHIPEL_DEMO": "false",
        "ARCHIPEL_TASK_RUNNER": "celery",
        "ARCHIPEL_BROKER_URL": broker_url,
        "ARCHIPEL_TASK_QUEUE": queue,
    }


@contextmanager
def sending_platform(platform: Platform, broker_url: str) -> Iterator[Platform]:
    """The same instance as `platform`, sending its background work to a fresh queue on the broker."""
    queue = f"archipel-test-{uuid.uuid4().hex[:12]}"
    settings = load_settings(
        platform.settings.home,
        database_url=platform.settings.database_url,
        demo=False,
        task_runner="celery",
        broker_url=broker_url,
        task_queue=queue,
    )
    sender = Platform(settings)
    try:
        yield sender
    finally:
        _delete_queue(sender)
        sender.close()


class Worker:
    """One `archipel worker` process of the sender's instance, reading the sender's queue."""

    def __init__(self, sender: Platform, log_file: Path) -> None:
        broker = sender.settings.broker_url
        assert broker is not None
        environment = queue_environment(sender, broker.get_secret_value(), sender.settings.task_queue)
        self.log_file = log_file
        with log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "archipel", "worker", "--concurrency", "2"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def name(self) -> str:
        """How operations this process runs name their runner (`archipel.logbook.service.this_worker`)."""
        return f"{socket.gethostname()}:{self.process.pid}"

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when a machine loses power."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=PATIENCE)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log_file.read_text(errors="replace")


@contextmanager
def running_worker(sender: Platform, log_file: Path) -> Iterator[Worker]:
    worker = Worker(sender, log_file)
    try:
        yield worker
    finally:
        worker.stop()


def wait_for(condition: Callable[[], bool], what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker stopped ({worker.process.returncode}):\n{worker.output()}")
        if time.monotonic() > deadline:
            shown = f"; worker output:\n{worker.output()}" if worker is not None else ""
            raise AssertionError(f"gave up waiting: {what}{shown}")
        time.sleep(0.05)


def operation(platform: Platform, tenant: int, operation_id: str) -> Operation:
    with platform.database.unit_of_work() as session:
        found = OperationLog(session, tenant).get(operation_id)
        session.expunge(found)
        return found


def wait_until_done(platform: Platform, tenant: int, operation_id: str, worker: Worker) -> Operation:
    wait_for(
        lambda: operation(platform, tenant, operation_id).status == "DONE", f"{operation_id} done", worker
    )
    return operation(platform, tenant, operation_id)


def _delete_queue(sender: Platform) -> None:
    """A broker that cannot be reached holds no queue of the test's (the unreachable-broker test)."""
    app = celery_app(sender.settings)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            connection.default_channel.queue_delete(sender.settings.task_queue)
    except OperationalError:
        pass
    finally:
        app.close()
