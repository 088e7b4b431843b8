"""Background work: where an operation's long part runs once its request is recorded.

Long operations (ingests, audits, securing, eliminations, DIPs...) are recorded first, then
handed here, and the caller gets the operation id back at once. Two runners keep the same
promise behind `TaskRunner`:
- `InProcessRunner`, the embedded default: a few threads in the same process;
- `archipel.tasks.celery_runner.CeleryRunner`, at scale: a message on a RabbitMQ or Redis
  broker, run by `archipel worker` processes on as many machines as needed.
Settings choose (`task_runner`), never code. Work lost with a process is rolled back by
recovery when a process of that host starts again, and logged so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)


class Job(NamedTuple):
    """The operation some background work advances, and the name logs give that work."""

    tenant: int
    """Whose operation it is: the work runs in this tenant only."""
    operation_id: str
    label: str
    """What the work is, for people reading logs: `ingest`, `audit`, `mass update`..."""

    def __str__(self) -> str:
        return f"{self.label} {self.operation_id} (tenant {self.tenant})"


class TaskRunner(Protocol):
    def submit(self, job: Job, work: Callable[..., Any], *args: Any) -> object:
        """Runs `work(*args)` in the background; `work` is the `run` method of a service built on the
        platform, and `args` are plain values (see `archipel.tasks.payload`), so any runner can
        carry them to another process."""
        ...

    def shutdown(self, wait: bool = True) -> None: ...


class InProcessRunner:
    """Worker threads in this process; a failure is logged and its operation closed (`execution`)."""

    def __init__(self, platform: Platform, workers: int | None = None) -> None:
        self.platform = platform
        self._pool = ThreadPoolExecutor(
            max_workers=workers or platform.settings.workers, thread_name_prefix="archipel-worker"
        )

    def submit(self, job: Job, work: Callable[..., Any], *args: Any) -> Future[Any]:
        from archipel.tasks.execution import execute

        future = self._pool.submit(execute, self.platform, job, work, *args)
        future.add_done_callback(lambda done: _log_failure(job, done))
        return future

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)


def build_runner(platform: Platform) -> TaskRunner:
    """The runner the settings name."""
    if platform.settings.task_runner == "celery":
        from archipel.tasks.celery_runner import CeleryRunner

        return CeleryRunner(platform)
    return InProcessRunner(platform)


def _log_failure(job: Job, future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("background task %s failed", job, exc_info=error)
