"""Writing and reading the operation logbook.

Events are written in the same transaction as the change they record (the caller's
session), so the logbook never claims what the database does not hold, nor the reverse.
An operation is sealed into its tenant's hash chain by `finish`, in the transaction that
closes it: from then on it is one immutable entry (the database refuses changes to it and
its events), and no event is added to it.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from archipel.admin.model import Tenant
from archipel.core.clock import iso, utc_now
from archipel.core.errors import Conflict
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome
from archipel.logbook import chain
from archipel.logbook.canonical import operation_entry
from archipel.logbook.lifecycle import LIFECYCLES_FILE, lifecycle_file
from archipel.logbook.model import LogbookEvent, Operation, columns


def this_worker() -> str:
    """Who runs an operation: recovery only rolls back work of processes that are gone."""
    return f"{socket.gethostname()}:{os.getpid()}"


class OperationLog:
    """The logbook of one tenant."""

    def __init__(self, session: Session, tenant: int) -> None:
        self.scope = TenantScope(session, tenant)
        self.session = session

    def start(
        self,
        type_: str,
        agent: str | None = None,
        source_name: str | None = None,
        *,
        changes_holdings: bool = True,
    ) -> Operation:
        """A RUNNING operation; Forbidden on a deactivated tenant unless it only reads or proves
        (`changes_holdings=False`: an export, an audit, a securing, a rebuild of the index).

        Every change of a tenant's archives, descriptions or referentials starts here, from
        the API, the command line or a worker alike: the one place read-only is enforced.
        """
        if changes_holdings:
            tenant = self.session.get(Tenant, self.scope.tenant)
            if tenant is not None:
                tenant.require_writable()
        operation = Operation(
            id=new_id(),
            type=type_,
            status="RUNNING",
            started=utc_now(),
            agent=agent,
            worker=this_worker(),
            source_name=source_name,
            message="",
            units=0,
            objects=0,
            total_bytes=0,
        )
        self.scope.add(operation)
        self.session.flush()
        return operation

    def get(self, operation_id: str) -> Operation:
        return self.scope.get(Operation, "operation", id=operation_id)

    def hand_over(self, operation_id: str, worker: str) -> None:
        """Names who will run a RUNNING operation: a queued message, until a worker claims it.

        Recovery rolls back only the work of processes it knows are dead; a name that is no
        process of any host (`queued:<message>`) keeps a queued operation safe from the restart
        of the process that recorded it.
        """
        self.get(operation_id).worker = worker
        self.session.flush()

    def claim(self, operation_id: str, handed_to: str) -> bool:
        """Makes this process the operation's runner, if it is still RUNNING and still handed to
        `handed_to`; False otherwise (finished meanwhile, or claimed by another delivery of the
        same message). One UPDATE, so two workers can never both claim it."""
        claimed = self.session.execute(
            self.scope.update(Operation)
            .where(
                Operation.id == operation_id,
                Operation.status == "RUNNING",
                Operation.worker == handed_to,
            )
            .values(worker=this_worker())
            .execution_options(synchronize_session=False)
        )
        return claimed.rowcount == 1

    def record(self, operation_id: str, findings: list[Finding]) -> None:
        """Appends events in order after those already written; a finished operation takes none."""
        if self.get(operation_id).status != "RUNNING":
            raise Conflict(f"operation {operation_id} is finished and sealed: no event can be added to it")
        query = self.scope.select(LogbookEvent).where(LogbookEvent.operation_id == operation_id)
        last = self.session.scalar(query.with_only_columns(func.max(LogbookEvent.seq)))
        first = (last or 0) + 1
        now = utc_now()
        self.scope.insert_many(
            LogbookEvent,
            [
                {
                    "operation_id": operation_id,
                    "seq": seq,
                    "step": finding.step,
                    "outcome": finding.outcome.value,
                    "code": finding.key,
                    "target": finding.target,
                    "message": finding.message,
                    "created": now,
                }
                for seq, finding in enumerate(findings, start=first)
            ],
        )

    def finish(self, operation: Operation, outcome: Outcome, message: str) -> chain.Link:
        """Closes the operation and seals it, with its events, at the end of the tenant's chain."""
        operation.status = "DONE"
        operation.outcome = outcome.value
        operation.message = message
        operation.ended = utc_now()
        self.session.flush()
        content = sealed_content(operation, self.events(operation.id))
        return chain.append(self.session, self.scope.tenant, chain.OPERATIONS, [(operation.id, content)])[0]

    def events(self, operation_id: str) -> list[LogbookEvent]:
        query = self.scope.select(LogbookEvent).where(LogbookEvent.operation_id == operation_id)
        return list(self.session.scalars(query.order_by(LogbookEvent.seq)))

    def operations(self, limit: int = 100, offset: int = 0, type_: str | None = None) -> list[Operation]:
        query = self.scope.select(Operation)
        if type_:
            query = query.where(Operation.type == type_)
        query = query.order_by(Operation.started.desc(), Operation.id.desc()).limit(limit).offset(offset)
        return list(self.session.scalars(query))


def sealed_content(operation: Operation, events: list[LogbookEvent]) -> dict[str, Any]:
    """The chain entry of a finished operation (`archipel.logbook.canonical.operation_entry`)."""
    return operation_entry(columns(operation), [columns(event) for event in events])


@dataclass(frozen=True)
class OperationView:
    """An operation with its events, as the API, the CLI and the offers show it."""

    operation: Operation
    events: list[LogbookEvent]

    def as_dict(self) -> dict[str, Any]:
        op = self.operation
        return {
            "id": op.id,
            "tenant": op.tenant_id,
            "type": op.type,
            "status": op.status,
            "outcome": op.outcome,
            "message": op.message,
            "started": _iso(op.started),
            "ended": _iso(op.ended),
            "agent": op.agent,
            "source_name": op.source_name,
            "units": op.units,
            "objects": op.objects,
            "bytes": op.total_bytes,
            "events": [
                {
                    "seq": event.seq,
                    "step": event.step,
                    "code": event.code,
                    "outcome": event.outcome,
                    "target": event.target,
                    "message": event.message,
                    "created": _iso(event.created),
                }
                for event in self.events
            ],
        }


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


OPERATION_SCHEMA = "archipel:operation:1"


def operation_files(session: Session, tenant: int, operation_id: str) -> list[tuple[str, bytes]]:
    """The files a closed operation leaves on the offers: (name, bytes), see `storage.layout`.

    `logbook.json` is the operation with its events and, under `chain`, its link in the
    tenant's hash chain; `lifecycles.json` the lifecycle entries it sealed, with theirs; a
    refused transfer's reply too (an accepted one's was stored with its archives). With
    the links, a rebuild from the offers gets back the very chains the database held.
    """
    logbook = OperationLog(session, tenant)
    view = OperationView(logbook.get(operation_id), logbook.events(operation_id))
    link = chain.link_of(session, tenant, chain.OPERATIONS, operation_id)
    document = {"schema": OPERATION_SCHEMA, **view.as_dict(), "chain": link.as_dict() if link else None}
    files = [("logbook.json", (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode())]
    lifecycles = lifecycle_file(session, tenant, operation_id)
    if lifecycles is not None:
        files.append((LIFECYCLES_FILE, lifecycles))
    reply = view.operation.reply
    if reply and view.operation.outcome in ("KO", "FATAL"):
        files.append(("reply.xml", reply))
    return files
