"""The sending side of the Celery runner: an operation's work becomes a message on the broker.

The operation is first handed over to the message (`OperationLog.hand_over`), then the
message is sent: a worker can never claim an operation before it is marked as queued, and a
message that cannot be sent leaves no operation waiting for ever: it is closed FATAL, its
logbook saying why, and the caller gets `Unavailable` (HTTP 503) to retry later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kombu.exceptions import KombuError

from archipel.core.errors import Unavailable
from archipel.ingest.findings import fatal
from archipel.logbook.closing import close_operation
from archipel.logbook.service import OperationLog
from archipel.tasks.queue import QUEUED, TASK_NAME, celery_app, job_message
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

QUEUE_STEP = "STP_TASK_QUEUE"


class CeleryRunner:
    """Sends each operation's work to `archipel worker` processes through the broker."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.app = celery_app(platform.settings)

    def submit(self, job: Job, work: Callable[..., Any], *args: Any) -> str:
        """Queues the work; returns the message id (also the operation's runner until claimed)."""
        message = job_message(job, work, args)
        message_id = str(uuid.uuid4())
        with self.platform.database.unit_of_work() as session:
            OperationLog(session, job.tenant).hand_over(job.operation_id, QUEUED + message_id)
        try:
            self.app.send_task(
                TASK_NAME,
                kwargs={"message": message},
                task_id=message_id,
                queue=self.platform.settings.task_queue,
                retry=True,
                retry_policy={"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2},
            )
        except (KombuError, OSError) as error:
            log.error("%s: the task queue could not be reached: %s", job, error)
            reason = f"the task queue could not be reached, nothing was done: {error}"
            close_operation(self.platform, job.tenant, job.operation_id, fatal(QUEUE_STEP, reason))
            raise Unavailable(f"{job.label} {job.operation_id}: {reason}; send it again later") from error
        log.info("%s queued as message %s", job, message_id)
        return message_id

    def shutdown(self, wait: bool = True) -> None:
        """The broker connections of this process; queued work stays in the broker for the workers."""
        self.app.close()
