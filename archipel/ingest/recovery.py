"""Recovery of operations interrupted by a crash: roll back, log, clean up.

At start-up every operation still RUNNING whose process is gone is rolled back: the keys
its journal names are deleted from every offer, the journal rows removed, and the
operation closed as FATAL with an event saying it was rolled back. Objects of an
operation that committed are never in the journal, so they are never touched.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from archipel.ingest.findings import Outcome, fatal
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog
from archipel.storage.model import PendingWrite

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)


def _process_gone(worker: str | None) -> bool:
    """Whether the process that ran an operation is dead (only knowable on this host)."""
    if not worker:
        return True
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def roll_back(platform: Platform, operation_id: str) -> int:
    """Deletes from every offer what the operation journaled; returns the number of keys."""
    with platform.database.unit_of_work() as session:
        keys = list(
            session.scalars(select(PendingWrite.key).where(PendingWrite.operation_id == operation_id))
        )
    for key in keys:
        platform.storage.delete(key)
    with platform.database.unit_of_work() as session:
        session.execute(delete(PendingWrite).where(PendingWrite.operation_id == operation_id))
    return len(keys)


def recover_interrupted(platform: Platform) -> list[str]:
    """Rolls back the operations of dead processes; returns their ids."""
    with platform.database.unit_of_work() as session:
        running = list(session.scalars(select(Operation).where(Operation.status == "RUNNING")))
    recovered = []
    for operation in running:
        if not _process_gone(operation.worker):
            continue
        removed = roll_back(platform, operation.id)
        with platform.database.unit_of_work() as session:
            logbook = OperationLog(session, operation.tenant_id)
            current = logbook.get(operation.id)
            if current.status != "RUNNING":
                continue
            message = (
                f"operation interrupted (process {operation.worker} stopped); rolled back at restart: "
                f"{removed} partial writes deleted from every offer, nothing archived"
            )
            logbook.record(operation.id, [fatal("STP_ROLLBACK", message, "INTERRUPTED")])
            logbook.finish(current, Outcome.FATAL, message)
        shutil.rmtree(platform.settings.work_dir / "ingests" / operation.id, ignore_errors=True)
        (platform.settings.work_dir / "incoming" / f"{operation.id}.zip").unlink(missing_ok=True)
        log.warning("rolled back interrupted operation %s (%d keys)", operation.id, removed)
        recovered.append(operation.id)
        platform.write_operation_logbook(operation.tenant_id, operation.id)
    for offer in platform.storage.offers:
        offer.clean_temporary()
    return recovered
