"""Securing the logbooks periodically while `archipel serve` runs (`securing_interval_minutes`).

A small daemon thread started and stopped with the HTTP application: every interval it
secures each active tenant in turn (`archipel.logbook.securing.secure_all`; an idle
tenant is a no-op). Several servers on one database may each run one: a securing holds
its tenant's securing head, so the second finds the first's work in flight and stops.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from archipel.logbook.securing import secure_all

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)
AGENT = "scheduler"


class SecuringScheduler:
    """Secures every tenant every `interval` seconds, on its own thread, until stopped."""

    def __init__(self, platform: Platform, interval: float) -> None:
        if interval <= 0:
            raise ValueError("a securing interval is a positive number of seconds")
        self.platform = platform
        self.interval = interval
        self._stopping = threading.Event()
        self._rounds = 0
        self._round_done = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="archipel-securing", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Asks the thread to stop and waits for the round in progress, if any, to end."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def rounds(self) -> int:
        with self._round_done:
            return self._rounds

    def wait_for_rounds(self, count: int, timeout: float) -> bool:
        """Whether `count` rounds have completed within `timeout` seconds (for tests and tools)."""
        with self._round_done:
            return self._round_done.wait_for(lambda: self._rounds >= count, timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                secure_all(self.platform, AGENT)
            except Exception:  # the thread must outlive one bad round (a database restart...)
                log.exception("periodic securing of the logbooks failed; trying again next interval")
            with self._round_done:
                self._rounds += 1
                self._round_done.notify_all()


def start_securing_scheduler(platform: Platform) -> SecuringScheduler | None:
    """The running scheduler, or None when `securing_interval_minutes` is 0 (securing on demand only)."""
    minutes = platform.settings.securing_interval_minutes
    if not minutes:
        return None
    scheduler = SecuringScheduler(platform, minutes * 60)
    scheduler.start()
    return scheduler
