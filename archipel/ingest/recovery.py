"""Recovery of operations interrupted by a crash: roll back, log, clean up.

At start-up every operation still RUNNING whose process is gone is rolled back: the keys
its journal names are deleted from every offer, the journal rows removed, and the
operation closed as FATAL with an event saying it was rolled back. Objects of an
operation that committed are never in the journal, so they are never touched.
"""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from archipel.core.processes import process_gone
from archipel.ingest.findings import Outcome, fatal
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog
from archipel.storage.model import PendingWrite
from archipel.storage.offer import OfferError

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)


def abandon(platform: Platform, tenant: int, operation_id: str, message: str, code: str) -> bool:
    """Rolls back a RUNNING operation whose work can no longer finish, and closes it FATAL.

    What it journaled is deleted from every offer, its scratch files go, and its logbook says
    why and reaches the offers. False when it had closed meanwhile (nothing is touched then).
    """
    with platform.database.unit_of_work() as session:
        if OperationLog(session, tenant).get(operation_id).status != "RUNNING":
            return False
    left = roll_back(platform, operation_id)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        current = logbook.get(operation_id)
        if current.status != "RUNNING":
            return False
        if left:
            message += f" ({left} deletions refused by an offer: retried at the next start)"
        logbook.record(operation_id, [fatal("STP_ROLLBACK", message, code)])
        logbook.finish(current, Outcome.FATAL, message)
    shutil.rmtree(platform.settings.work_dir / "ingests" / operation_id, ignore_errors=True)
    (platform.settings.work_dir / "incoming" / f"{operation_id}.zip").unlink(missing_ok=True)
    platform.write_operation_logbook(tenant, operation_id)
    return True


def roll_back(platform: Platform, operation_id: str) -> int:
    """Deletes from every offer what the operation journaled; returns the keys left undeleted.

    A key is struck from the journal only once it is gone from every offer; what an offer
    refused to delete stays journaled and is tried again at the next start.
    """
    with platform.database.unit_of_work() as session:
        keys = list(
            session.scalars(select(PendingWrite.key).where(PendingWrite.operation_id == operation_id))
        )
    deleted = []
    failing: set[str] = set()
    """Offers that failed a deletion: not asked again in this rollback, whose every request to a
    hung offer would wait for its timeout; their keys stay journaled for the next recovery."""
    for key in keys:
        for offer in platform.storage.offers:
            if offer.name in failing:
                continue
            try:
                offer.delete(key)
            except OfferError:
                log.exception(
                    "operation %s: offer %s could not delete %s; its keys stay journaled for the next "
                    "recovery",
                    operation_id,
                    offer.name,
                    key,
                )
                failing.add(offer.name)
        if not failing:
            deleted.append(key)
    with platform.database.unit_of_work() as session:
        for start in range(0, len(deleted), 500):
            session.execute(
                delete(PendingWrite).where(
                    PendingWrite.operation_id == operation_id,
                    PendingWrite.key.in_(deleted[start : start + 500]),
                )
            )
    return len(keys) - len(deleted)


def retry_unfinished_rollbacks(platform: Platform) -> int:
    """Deletes again what a failing offer refused to delete in an earlier rollback (the journal
    rows of closed operations); returns the keys still left. Run at every start and every
    `rollback_retry_minutes` (`archipel.tasks.maintenance`)."""
    with platform.database.unit_of_work() as session:
        closed = list(
            session.scalars(
                select(PendingWrite.operation_id)
                .distinct()
                .join(Operation, Operation.id == PendingWrite.operation_id)
                .where(Operation.status != "RUNNING")
            )
        )
    left = sum(roll_back(platform, operation_id) for operation_id in closed)
    if left:
        log.warning("%d key(s) of rolled-back operations could not be deleted yet; tried again later", left)
    return left


def recover_interrupted(platform: Platform) -> list[str]:
    """Rolls back the operations of dead processes (returns their ids), retries refused
    deletions, and puts collect transactions a dead process left SENDING back on their way."""
    with platform.database.unit_of_work() as session:
        running = list(session.scalars(select(Operation).where(Operation.status == "RUNNING")))
    recovered = []
    for operation in running:
        if not process_gone(operation.worker):
            continue
        message = (
            f"operation interrupted (process {operation.worker} stopped); rolled back at restart: "
            "partial writes deleted from every offer, nothing archived"
        )
        if abandon(platform, operation.tenant_id, operation.id, message, "INTERRUPTED"):
            log.warning("rolled back interrupted operation %s", operation.id)
            recovered.append(operation.id)
    retry_unfinished_rollbacks(platform)
    from archipel.collect.collect_send import recover_sending  # collect builds on ingest, not the reverse

    recover_sending(platform)
    for offer in platform.storage.offers:
        try:
            offer.clean_temporary()
        except OfferError as error:  # an offer down must not stop every command: it is cleaned next time
            log.warning("offer %s: leftovers of interrupted writes not cleaned: %s", offer.name, error)
    return recovered
