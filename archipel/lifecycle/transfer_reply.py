"""The receiving archive's ArchiveTransferReply: purge what it took, keep what it refused.

A transfer (`archipel.lifecycle.transfer`) deletes nothing; the units stay until the
receiver answers. Its reply is received as a `TRANSFER_REPLY` operation:
- a reply that names no transfer of this tenant, or a transfer that sent no SIP, or one
  already answered, is refused with nothing done;
- KO: the receiver refused the SIP; the units are untouched, its reasons are logged, and the
  operation ends KO (the handover did not happen: send again once the reasons are fixed);
- OK or WARNING: every unit handed on must be acknowledged in the reply (by the manifest id
  the transfer gave it, `AU-<system id>`, with its system id at the receiver), else nothing is
  purged. Then the units and their object groups are purged as an elimination purges them
  (`archipel.lifecycle.purge`): a tombstone on every offer whose `transfer` section says
  where each unit went and under which id there, one index commit (`TRANSFER_PURGE`), the
  binaries deleted from every offer, every copy checked absent.
The reply itself is kept on every offer as the operation's `reply.xml`. A purge interrupted
after its commit is finished by receiving the same reply again (deleting is idempotent).
A unit under hold since the export stops the purge whole.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.admin.volumetry import ChangeKind, record_purge
from archipel.core.errors import Conflict, InvalidRequest, NotFound
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome
from archipel.lifecycle.holds import refuse_if_held
from archipel.lifecycle.purge import (
    apply_purge,
    check_gone,
    delete_binaries,
    plan_purge,
    traced_binaries,
    unit_trace,
)
from archipel.lifecycle.transfer import TRANSFER, transfer_record
from archipel.logbook.closing import close_operation, closed_on_failure
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.metadata.versioning import Document, UnitsChange, change_units
from archipel.seda.delivery import xml_id
from archipel.seda.reply_reading import TransferReply, read_transfer_reply
from archipel.storage import layout

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

TRANSFER_REPLY = "TRANSFER_REPLY"
PURGE_OPERATION = "TRANSFER_PURGE"
LIFECYCLE_EVENT = "LFC.TRANSFER"
RECEIVED, REFUSED, UNIT_STEP = "TRANSFER_REPLY_RECEIVED", "TRANSFER_REPLY_REFUSED", "TRANSFER_PURGE_UNIT"
OBJECTS_STEP, CHECK_STEP = "TRANSFER_PURGE_OBJECTS", "TRANSFER_PURGE_CHECK_OBJECTS"
REASONS_SHOWN = 5


@dataclass(frozen=True)
class ReplyReport:
    operation_id: str
    transfer_id: str
    reply_code: str
    purged: int
    objects_deleted: int
    message: str

    @property
    def outcome(self) -> Outcome:
        return Outcome.OK if self.reply_code in ("OK", "WARNING") else Outcome.KO

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "transfer": self.transfer_id,
            "reply_code": self.reply_code,
            "purged": self.purged,
            "objects_deleted": self.objects_deleted,
            "message": self.message,
        }


class TransferReplyService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def receive(
        self, tenant: int, data: bytes, agent: str | None = None, transfer_id: str | None = None
    ) -> ReplyReport:
        """Reads the reply and acts on it (see the module doc); refusals raise, leaving no trace.

        `transfer_id`: the transfer the caller means (over HTTP, the one in the path); a reply
        to another is refused.
        """
        reply = read_transfer_reply(data)
        if transfer_id is not None and reply.request_identifier != transfer_id:
            raise InvalidRequest(
                f"the reply answers transfer {reply.request_identifier}, not {transfer_id}: nothing done"
            )
        with self.platform.database.unit_of_work() as session:
            transfer = _answered_transfer(session, tenant, reply.request_identifier)
            logbook = OperationLog(session, tenant)
            operation_id = logbook.start(TRANSFER_REPLY, agent, transfer.id).id
            said = (
                f"reply {reply.message_identifier or '(no identifier)'} of "
                f"{reply.archival_agency or 'the receiver'} to transfer {transfer.id}: {reply.reply_code}"
            )
            logbook.record(operation_id, [Finding(RECEIVED, Outcome.OK, said, None, transfer.id)])
        with closed_on_failure(self.platform, tenant, operation_id, TRANSFER_REPLY):
            self.platform.storage.put_document(
                layout.operation_file_key(tenant, operation_id, "reply.xml"), data
            )
            report = (
                self._purge(tenant, operation_id, transfer.id, reply, agent)
                if reply.accepted
                else self._refused(tenant, operation_id, transfer.id, reply)
            )
        return report

    def _refused(self, tenant: int, operation_id: str, transfer_id: str, reply: TransferReply) -> ReplyReport:
        reasons = [f"{event.code} {event.outcome}: {event.message}" for event in reply.refusals()]
        shown = "; ".join(reasons[:REASONS_SHOWN]) or "no reason given"
        message = (
            f"the receiving archive refused transfer {transfer_id} ({reply.reply_code}): units kept; {shown}"
        )
        refusal = Finding(REFUSED, Outcome.KO, message, None, transfer_id)
        close_operation(self.platform, tenant, operation_id, refusal, units=0, objects=0)
        return ReplyReport(operation_id, transfer_id, reply.reply_code, 0, 0, message)

    def _purge(
        self, tenant: int, operation_id: str, transfer_id: str, reply: TransferReply, agent: str | None
    ) -> ReplyReport:
        record = transfer_record(self.platform, tenant, transfer_id)
        unit_ids = list(record["units"])
        missing = [unit_id for unit_id in unit_ids if xml_id("unit", unit_id) not in reply.units]
        if missing:
            raise Conflict(
                f"the reply acknowledges {len(unit_ids) - len(missing)} of the {len(unit_ids)} units "
                f"handed on (not {', '.join(missing[:REASONS_SHOWN])}): nothing purged"
            )
        with self.platform.database.unit_of_work() as session:
            present = _present(session, tenant, unit_ids)
        if present and len(present) < len(unit_ids):
            raise Conflict(
                f"{len(unit_ids) - len(present)} of the units handed on are already gone, "
                f"{len(present)} are not: an offer audit must look at them; nothing purged"
            )
        if present:
            traces = self._purge_units(tenant, transfer_id, record, reply, unit_ids, agent)
        else:  # purged by an earlier reception of this reply: finish deleting its binaries
            traces = _earlier_traces(self.platform, tenant, transfer_id)
        keys = traced_binaries(tenant, traces)
        deleted = delete_binaries(
            self.platform,
            tenant,
            keys,
            lambda _left, done: self._progress(tenant, operation_id, done, len(keys)),
        )
        checked = check_gone(self.platform, tenant, traces)
        offers = ", ".join(offer.name for offer in self.platform.storage.offers)
        message = (
            f"{len(unit_ids)} units handed on to {record['archival_agency']} purged; "
            f"{deleted} binaries deleted from {offers} and checked absent"
        )
        with self.platform.database.unit_of_work() as session:
            OperationLog(session, tenant).record(
                operation_id,
                [
                    Finding(OBJECTS_STEP, Outcome.OK, f"{deleted} binaries deleted from {offers}"),
                    Finding(CHECK_STEP, Outcome.OK, f"{checked} binaries absent from every offer"),
                ],
            )
        done = Finding(TRANSFER_REPLY, Outcome.OK, message, None, transfer_id)
        close_operation(self.platform, tenant, operation_id, done, units=len(unit_ids), objects=deleted)
        return ReplyReport(operation_id, transfer_id, reply.reply_code, len(unit_ids), deleted, message)

    def _purge_units(
        self,
        tenant: int,
        transfer_id: str,
        record: dict[str, Any],
        reply: TransferReply,
        unit_ids: list[str],
        agent: str | None,
    ) -> list[dict[str, Any]]:
        """Step 1 of the purge: tombstones on every offer, then the index commit; the traces."""
        storage = self.platform.storage
        traces: list[dict[str, Any]] = []
        context = {
            "transfer_operation": transfer_id,
            "archival_agency": record["archival_agency"],
            "reply": reply.message_identifier,
        }

        def describe(document: Document, objects: list[DataObject]) -> dict[str, Any]:
            return {
                **unit_trace(document, objects),
                "received_as": reply.units[xml_id("unit", document["id"])],
            }

        def prepare(session: Session, purge_id: str) -> UnitsChange:
            refuse_if_held(session, tenant, unit_ids, "transfer")
            detail = f"handed on to {record['archival_agency']} (transfer {transfer_id})"
            purge = plan_purge(
                session,
                storage,
                tenant,
                unit_ids,
                purge_id,
                LIFECYCLE_EVENT,
                detail,
                describe,
                "transfer",
                context,
            )
            traces.extend(purge.traces)

            def apply(session: Session) -> list[Finding]:
                refuse_if_held(session, tenant, unit_ids, "transfer")
                apply_purge(session, tenant, purge)
                record_purge(session, tenant, ChangeKind.TRANSFER, purge_id, purge, storage.offers)
                return [
                    Finding(UNIT_STEP, Outcome.OK, json.dumps(trace, ensure_ascii=False), None, trace["id"])
                    for trace in purge.traces
                ]

            message = (
                f"{len(unit_ids)} units and {len(purge.groups)} object groups of transfer {transfer_id} "
                f"removed from the index; {len(purge.binaries)} binaries to delete from every offer"
            )
            return UnitsChange(purge.documents, apply, message)

        change_units(self.platform, tenant, PURGE_OPERATION, prepare, agent, transfer_id)
        return traces

    def _progress(self, tenant: int, operation_id: str, done: int, total: int) -> None:
        with self.platform.database.unit_of_work() as session:
            operation = OperationLog(session, tenant).get(operation_id)
            operation.objects = done
            operation.message = f"purge running: {done} of {total} binaries deleted from every offer"


def _answered_transfer(session: Session, tenant: int, transfer_id: str) -> Operation:
    """The transfer of this tenant the reply answers, if it sent a SIP and was not answered yet."""
    scope = TenantScope(session, tenant)
    transfer = scope.find(Operation, id=transfer_id)
    if transfer is None or transfer.type != TRANSFER:
        raise NotFound(
            f"the reply answers transfer {transfer_id}, which is not a transfer of tenant {tenant}"
        )
    if transfer.status != "DONE" or transfer.outcome not in ("OK", "WARNING"):
        raise Conflict(f"transfer {transfer_id} ended {transfer.outcome or transfer.status}: it sent no SIP")
    answered = scope.select(Operation).where(
        Operation.type == TRANSFER_REPLY,
        Operation.source_name == transfer_id,
        Operation.status == "DONE",
        Operation.outcome == "OK",
    )
    done = session.scalars(answered.limit(1)).first()
    if done is not None:
        raise Conflict(f"transfer {transfer_id} was already answered and purged (operation {done.id})")
    return transfer


def _present(session: Session, tenant: int, unit_ids: list[str]) -> set[str]:
    query = TenantScope(session, tenant).select(ArchiveUnit).where(ArchiveUnit.id.in_(unit_ids))
    return set(session.scalars(query.with_only_columns(ArchiveUnit.id)))


def _earlier_traces(platform: Platform, tenant: int, transfer_id: str) -> list[dict[str, Any]]:
    """The traces a committed purge of this transfer logged (its `TRANSFER_PURGE_UNIT` events)."""
    with platform.database.unit_of_work() as session:
        scope = TenantScope(session, tenant)
        purges = scope.select(Operation).where(
            Operation.type == PURGE_OPERATION, Operation.source_name == transfer_id, Operation.outcome == "OK"
        )
        purge = session.scalars(purges.limit(1)).first()
        if purge is None:
            raise InvalidRequest(f"transfer {transfer_id}: its units are gone but no purge of them is logged")
        logbook = OperationLog(session, tenant)
        return [json.loads(event.message) for event in logbook.events(purge.id) if event.step == UNIT_STEP]
