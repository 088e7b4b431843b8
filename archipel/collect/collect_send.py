"""Sending a closed transaction: its SIP written, submitted to the normal ingest, followed.

The collect never archives anything itself: it hands the ingest the very SIP a depositor
could have uploaded to `POST /ingests`, so every check, the storage on every offer and
the reply (ATR) are those of any ingest, and the transaction only records which ingest
operation it became. Its status follows that operation: ACK when the reply is OK or
WARNING, KO otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from archipel.collect.collect_model import CollectTransaction, CollectUnit
from archipel.collect.collect_projects import ProjectSettings
from archipel.collect.collect_staging import Staging
from archipel.collect.collect_transactions import ACK, CLOSED, KO, SENDING, SENT, Transactions
from archipel.collect.sip_writer import InvalidSip, PlannedObject, PlannedUnit, SipHeader, write_sip
from archipel.core.errors import Conflict, Unprocessable
from archipel.core.processes import process_gone
from archipel.db.repository import TenantScope
from archipel.ingest.service import IngestService
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog, this_worker

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archipel.platform import Platform

log = logging.getLogger(__name__)
ACCEPTED = ("OK", "WARNING")


def send(platform: Platform, tenant: int, transaction_id: str, agent: str | None) -> str:
    """CLOSED → SENDING while the SIP is written → SENT once the ingest has it (its staging
    freed); returns the ingest's operation id.

    A SIP the writer refuses puts the transaction back to CLOSED, with the writer's reasons.
    """
    work_dir = platform.settings.work_dir
    with platform.database.unit_of_work() as session:
        transactions = Transactions(session, tenant, work_dir)
        transaction = transactions.claim(transaction_id, CLOSED, SENDING)
        transaction.sender = this_worker()
        staging = transactions.staging(transaction)
        settings = transactions.settings(transaction)
        roots = plan(transactions.units(transaction_id), staging, settings)
        header = sip_header(transaction, settings)
    try:
        write_sip(staging.sip, header, roots)
        operation_id = IngestService(platform).submit_background(
            tenant, staging.sip, name=sip_name(transaction_id), agent=agent, move=True
        )
    except BaseException as error:
        with platform.database.unit_of_work() as session:
            transactions = Transactions(session, tenant, work_dir)
            transactions.move(transactions.get(transaction_id), CLOSED)
        if isinstance(error, InvalidSip):
            raise Unprocessable(
                f"the SIP of transaction {transaction_id} is refused", list(error.errors)
            ) from None
        raise
    with platform.database.unit_of_work() as session:
        transactions = Transactions(session, tenant, work_dir)
        transaction = transactions.get(transaction_id)
        transaction.operation_id = operation_id
        transactions.move(transaction, SENT)
        staging.remove()
    return operation_id


def sip_name(transaction_id: str) -> str:
    """The name the transaction's SIP is ingested under: how a restart finds its ingest."""
    return f"collect-{transaction_id}.zip"


def recover_sending(platform: Platform) -> list[str]:
    """Transactions left SENDING by a process that died: each goes on as if that process had
    finished — SENT, linked to its ingest, if the ingest had the SIP; back to CLOSED, ready
    to be sent again, if not (the half-written SIP deleted). Their ids."""
    with platform.database.unit_of_work() as session:
        stranded = [
            (transaction.tenant_id, transaction.id)
            for transaction in session.scalars(
                select(CollectTransaction).where(CollectTransaction.status == SENDING)
            )
            if process_gone(transaction.sender)
        ]
    for tenant, transaction_id in stranded:
        with platform.database.unit_of_work() as session:
            transactions = Transactions(session, tenant, platform.settings.work_dir)
            transaction = transactions.get(transaction_id)
            ingest = session.scalars(
                TenantScope(session, tenant)
                .select(Operation)
                .where(Operation.source_name == sip_name(transaction_id))
                .order_by(Operation.started.desc())
            ).first()
            transaction.operation_id = ingest.id if ingest is not None else None
            transactions.move(transaction, SENT if ingest is not None else CLOSED)
            transactions.staging(transaction).sip.unlink(missing_ok=True)
        log.warning("transaction %s was left SENDING by a stopped process: recovered", transaction_id)
    return [transaction_id for _, transaction_id in stranded]


def follow(session: Session, transactions: Transactions, transaction: CollectTransaction) -> None:
    """A SENT transaction whose ingest has ended becomes ACK or KO."""
    if transaction.status != SENT or transaction.operation_id is None:
        return
    operation = OperationLog(session, transactions.scope.tenant).get(transaction.operation_id)
    if operation.status != "RUNNING":
        transactions.move(transaction, ACK if operation.outcome in ACCEPTED else KO)


def reply(transactions: Transactions, transaction_id: str) -> bytes:
    """The ATR of the transaction's ingest, once it has one."""
    transaction = transactions.get(transaction_id)
    if transaction.operation_id is None:
        raise Conflict(f"transaction {transaction_id} is {transaction.status}: not sent, no reply")
    operation = OperationLog(transactions.session, transactions.scope.tenant).get(transaction.operation_id)
    if operation.reply is None:
        raise Conflict(f"operation {operation.id} is {operation.status}: no reply yet")
    return operation.reply


def sip_header(transaction: CollectTransaction, settings: ProjectSettings) -> SipHeader:
    archival, transferring = settings.header_agencies()
    return SipHeader(
        message_identifier=f"collect-{transaction.id}",
        archival_agency=archival,
        transferring_agency=transferring,
        archival_agreement=settings.ingest_contract,
        originating_agency=settings.originating_agency,
        submission_agency=settings.submission_agency,
        comment=transaction.comment or settings.comment,
        attach_to=settings.attach_to,
    )


def plan(units: Sequence[CollectUnit], staging: Staging, settings: ProjectSettings) -> list[PlannedUnit]:
    """The units as the SIP writer's tree, siblings in creation order; the project's rules
    go on the roots (their children inherit them), under what a root states itself."""
    planned = {
        unit.id: PlannedUnit(
            key=unit.id,
            content=unit.content,
            management=unit.management if unit.parent else {**(settings.management or {}), **unit.management},
            objects=[
                PlannedObject(
                    source=staging.binary(unit.id, str(index)),
                    filename=declared["filename"],
                    size=declared["received"]["size"],
                    sha512=declared["received"]["sha512"],
                )
                for index, declared in enumerate(unit.objects)
            ],
        )
        for unit in units
    }
    roots = []
    for unit in units:
        if unit.parent is None:
            roots.append(planned[unit.id])
        else:
            planned[unit.parent].children.append(planned[unit.id])
    return roots
