"""The periodic chores of a long-running process: securing the logbooks, finishing rollbacks.

Two chores keep the archive provable and the offers clean between operations:
- **securing** every tenant's logbooks (`securing_interval_minutes`; an idle tenant is a no-op);
- **finishing rollbacks**: a rolled-back operation whose deletion an offer refused (an S3
  server down at the time) leaves its keys journaled; they are deleted again every
  `rollback_retry_minutes` instead of waiting for the next process start.

One daemon thread per process runs them. Where it runs follows the deployment: with the
in-process task runner, `archipel serve` runs it; with Celery, the workers do (`archipel
worker`) and the API processes only answer requests, so that securing, like every other
background work, runs where the work runs. Several processes may run it at once: a securing
holds its tenant's securing head (the second finds the first's work in flight and stops),
and deleting a key already deleted is a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from archipel.ingest.recovery import retry_unfinished_rollbacks
from archipel.logbook.securing import secure_all

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)
AGENT = "scheduler"
"""The agent the chores' operations are logged under."""
SECURING, ROLLBACKS = "securing", "rollbacks"

Process = Literal["serve", "worker"]


@dataclass(frozen=True)
class Chore:
    name: str
    interval: float
    """Seconds between two runs, the first one `interval` after the start."""
    run: Callable[[Platform], object]


def _secure(platform: Platform) -> object:
    return secure_all(platform, AGENT)


def chores_of(platform: Platform) -> list[Chore]:
    """The chores the settings ask for; a chore whose interval is 0 is left to the operators."""
    settings = platform.settings
    chores = []
    if settings.securing_interval_minutes:
        chores.append(Chore(SECURING, settings.securing_interval_minutes * 60, _secure))
    if settings.rollback_retry_minutes:
        chores.append(Chore(ROLLBACKS, settings.rollback_retry_minutes * 60, retry_unfinished_rollbacks))
    return chores


class MaintenanceScheduler:
    """Runs each chore every `interval` seconds on one thread, until stopped."""

    def __init__(self, platform: Platform, chores: Sequence[Chore]) -> None:
        if not chores or any(chore.interval <= 0 for chore in chores):
            raise ValueError("maintenance needs chores with a positive interval in seconds")
        self.platform = platform
        self.chores = list(chores)
        self._stopping = threading.Event()
        self._rounds = {chore.name: 0 for chore in chores}
        self._round_done = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="archipel-maintenance", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Asks the thread to stop and waits for the chore in progress, if any, to end."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def rounds(self, name: str) -> int:
        with self._round_done:
            return self._rounds[name]

    def wait_for_rounds(self, name: str, count: int, timeout: float) -> bool:
        """Whether chore `name` has run `count` times within `timeout` seconds (for tests and tools)."""
        with self._round_done:
            return self._round_done.wait_for(lambda: self._rounds[name] >= count, timeout)

    def _run(self) -> None:
        due = {chore.name: time.monotonic() + chore.interval for chore in self.chores}
        while not self._stopping.wait(max(0.0, min(due.values()) - time.monotonic())):
            for chore in self.chores:
                if time.monotonic() < due[chore.name] or self._stopping.is_set():
                    continue
                try:
                    chore.run(self.platform)
                except Exception:  # the thread must outlive one bad round (a database restart...)
                    log.exception("maintenance: %s failed; trying again next interval", chore.name)
                due[chore.name] = time.monotonic() + chore.interval
                with self._round_done:
                    self._rounds[chore.name] += 1
                    self._round_done.notify_all()


def start_maintenance(platform: Platform, process: Process) -> MaintenanceScheduler | None:
    """The running scheduler of this process, or None when it has no chore to run here."""
    if process == "serve" and platform.settings.task_runner == "celery":
        return None  # the workers run the chores, as they run every background work
    chores = chores_of(platform)
    if not chores:
        return None
    scheduler = MaintenanceScheduler(platform, chores)
    scheduler.start()
    return scheduler
