"""Running one operation's background work, on any runner, so that it never stays RUNNING for good.

Services close their operations themselves, OK, KO or FATAL. What they cannot close is a
failure of the database itself: PostgreSQL restarted mid-ingest takes the closing down with
the work. The runner then rolls the operation back and closes it FATAL as soon as the
database answers again, retrying with a growing pause for `settings.database_wait_seconds`.
A database still down after that leaves the operation to recovery at the next start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, OperationalError

from archipel.ingest.recovery import abandon

if TYPE_CHECKING:
    from archipel.platform import Platform
    from archipel.tasks.runner import Job

log = logging.getLogger(__name__)

FIRST_PAUSE = 0.5
LONGEST_PAUSE = 15.0


def execute(platform: Platform, job: Job, work: Callable[..., Any], *args: Any) -> None:
    """Runs `work(*args)`; on a failure it did not close, rolls the operation back and closes it FATAL."""
    try:
        work(*args)
    except Exception as error:
        log.exception("%s failed", job)
        close_abandoned(platform, job, f"technical failure, rolled back: {error}")


def close_abandoned(platform: Platform, job: Job, reason: str, code: str = "TASK") -> bool:
    """`abandon`, retried while the database cannot be reached; False if it never could be."""
    deadline = time.monotonic() + platform.settings.database_wait_seconds
    pause = FIRST_PAUSE
    while True:
        try:
            abandon(platform, job.tenant, job.operation_id, reason, code)
            return True
        except (OperationalError, DBAPIError) as error:
            if not _connection_lost(error) or time.monotonic() + pause > deadline:
                log.error("%s: left RUNNING for recovery at the next start: %s", job, error)
                return False
            log.warning("%s: the database cannot be reached, closing again in %.1f s", job, pause)
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


def _connection_lost(error: DBAPIError) -> bool:
    return isinstance(error, OperationalError) or error.connection_invalidated
