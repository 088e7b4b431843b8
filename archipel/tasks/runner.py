"""Background work: the in-process default.

Long operations (ingest today; audits, securing, eliminations later) are submitted here
and the caller gets its operation id back at once. The default runs them on a small pool
of threads in the same process; a Celery runner will implement the same `submit` for
scale-out. Work lost with the process is rolled back by recovery at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

log = logging.getLogger(__name__)


class TaskRunner(Protocol):
    def submit(self, name: str, work: Callable[..., Any], *args: Any) -> Future[Any]: ...

    def shutdown(self, wait: bool = True) -> None: ...


class InProcessRunner:
    """Worker threads in this process; exceptions are logged, never swallowed silently."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archipel-worker")

    def submit(self, name: str, work: Callable[..., Any], *args: Any) -> Future[Any]:
        future = self._pool.submit(work, *args)
        future.add_done_callback(lambda done: _log_failure(name, done))
        return future

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)


def _log_failure(name: str, future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("background task %s failed", name, exc_info=error)
