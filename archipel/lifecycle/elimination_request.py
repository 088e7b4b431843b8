"""The elimination request (bordereau d'élimination) and the visa of the supervising archives.

Nothing is destroyed without approval. An analysis becomes a request — one line per
destroyable unit: title, dates, appraisal rule and its end, originating agency, objects
and bytes — made as an `ELIMINATION_REQUEST` operation whose id is the request's; its
CSV, PDF and JSON are written to every offer beside that operation's logbook. The
request is then approved or refused, once, by another person than the one who asked
(separation of duties), each decision an operation (`ELIMINATION_APPROVAL`,
`ELIMINATION_REFUSAL`) saying who decided and when.

Users and roles do not exist yet: the person is the login given (`--user`, or the
`user` field over HTTP), the agent the API key or the command line. When users come,
the approver role is checked here, in `decide`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.admin.users import person_name, person_reference, require_approver
from archipel.core.clock import iso
from archipel.core.errors import Conflict, Forbidden, NotFound
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome, fatal
from archipel.lifecycle.elimination_pdf import request_pdf
from archipel.lifecycle.elimination_verdicts import APPRAISAL_RULE
from archipel.lifecycle.model import EliminationAnalysis, EliminationRequest
from archipel.logbook.closing import close_operation
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.storage import layout

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

REQUEST_OPERATION = "ELIMINATION_REQUEST"
APPROVAL_OPERATION = "ELIMINATION_APPROVAL"
REFUSAL_OPERATION = "ELIMINATION_REFUSAL"
REQUEST_FILES = ("elimination-request.json", "elimination-request.csv", "elimination-request.pdf")
CSV_COLUMNS = (
    "id",
    "title",
    "level",
    "originating_agency",
    "start_date",
    "end_date",
    "appraisal_rule",
    "appraisal_end",
    "objects",
    "bytes",
)


class Status(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"
    RUNNING = "RUNNING"
    """Approved, the units gone from the index, binaries being deleted (resumed by running it again)."""
    ELIMINATED = "ELIMINATED"


OPEN = (Status.PENDING, Status.APPROVED, Status.RUNNING)


@dataclass(frozen=True)
class Actor:
    """Who acts: the agent (an API key, the command line) and, when named, the person's login.

    `personal` agents (API keys) stand for one person or application, so the same key may
    not both ask and approve; the command line is shared by the instance's operators, and
    there the login tells them apart.
    """

    agent: str
    login: str | None = None
    personal: bool = False

    def reference(self, session: Session) -> str:
        """Who the records name: the person (`users.person_reference`), else the agent."""
        return person_reference(session, self.login) if self.login else self.agent


def request_lines(session: Session, tenant: int, unit_ids: list[str]) -> list[dict[str, Any]]:
    """One line per unit, in the order given; Conflict when a unit is no longer in the index."""
    scope = TenantScope(session, tenant)
    units = {
        unit.id: unit
        for unit in session.scalars(scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(unit_ids)))
    }
    gone = [unit_id for unit_id in unit_ids if unit_id not in units]
    if gone:
        raise Conflict(
            f"unit {gone[0]} (and {len(gone) - 1} more) left the archive since the analysis: analyse again"
        )
    groups = {unit.object_group_id for unit in units.values() if unit.object_group_id}
    objects: dict[str, list[DataObject]] = {}
    if groups:
        for obj in session.scalars(scope.select(DataObject).where(DataObject.object_group_id.in_(groups))):
            objects.setdefault(obj.object_group_id, []).append(obj)
    lines = []
    for unit_id in unit_ids:
        unit = units[unit_id]
        held = objects.get(unit.object_group_id or "", [])
        appraisal = (unit.management or {}).get(APPRAISAL_RULE)
        rules = _rules_of(appraisal)
        lines.append(
            {
                "id": unit.id,
                "title": unit.title,
                "level": unit.level,
                "originating_agency": unit.originating_agency,
                "start_date": _text((unit.content or {}).get("StartDate")),
                "end_date": _text((unit.content or {}).get("EndDate")),
                "appraisal_rule": ", ".join(rule.get("Rule", "") for rule in rules) or "inherited",
                "appraisal_end": ", ".join(rule.get("EndDate", "") for rule in rules if rule.get("EndDate")),
                "object_group": unit.object_group_id,
                "objects": len(held),
                "bytes": sum(obj.size or 0 for obj in held),
            }
        )
    return lines


def _rules_of(block: Any) -> list[dict[str, Any]]:
    rules = block.get("Rules") if isinstance(block, dict) else None
    listed = rules if isinstance(rules, list) else [rules] if isinstance(rules, dict) else []
    return [{key: _text(value) for key, value in rule.items()} for rule in listed if isinstance(rule, dict)]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("#text")
    if isinstance(value, list):
        return " / ".join(_text(item) for item in value)
    return "" if value is None else str(value)


def create_request(platform: Platform, tenant: int, analysis_id: str, actor: Actor) -> dict[str, Any]:
    """Makes the request of an analysis's destroyable units; its summary.

    Refused (Conflict): an analysis still running or with nothing destroyable, one that
    already has a request not refused, units gone since the analysis.
    """
    with platform.database.unit_of_work() as session:
        scope = TenantScope(session, tenant)
        analysis = scope.get(EliminationAnalysis, "elimination analysis", operation_id=analysis_id)
        if OperationLog(session, tenant).get(analysis_id).status == "RUNNING":
            raise Conflict(f"elimination analysis {analysis_id} is still running")
        if not analysis.destroyable:
            raise Conflict(
                f"elimination analysis {analysis_id} found no destroyable unit: nothing to request"
            )
        existing = session.scalars(
            scope.select(EliminationRequest).where(
                EliminationRequest.analysis_id == analysis_id, EliminationRequest.status.in_(list(OPEN))
            )
        ).first()
        if existing is not None:
            raise Conflict(
                f"elimination analysis {analysis_id} already has request {existing.id} ({existing.status})"
            )
        lines = request_lines(session, tenant, list(analysis.destroyable))
        who = actor.reference(session)
        operation = OperationLog(session, tenant).start(REQUEST_OPERATION, actor.agent, analysis_id)
        request = EliminationRequest(
            id=operation.id,
            analysis_id=analysis_id,
            status=Status.PENDING.value,
            reference_date=analysis.reference_date,
            units=lines,
            unit_count=len(lines),
            total_bytes=sum(line["bytes"] for line in lines),
            requested_by=who,
            requested_agent=actor.agent,
            requested_at=operation.started,
            trace=[],
            objects_pending=[],
        )
        document = request_document(tenant, request)
        shown = named(session, document)
    files = request_files(document, shown)
    try:
        digests = {
            name: platform.storage.put_document(layout.operation_file_key(tenant, request.id, name), data)
            for name, data in files.items()
        }
    except Exception as error:
        close_operation(
            platform,
            tenant,
            request.id,
            fatal(REQUEST_OPERATION, f"the request files could not be stored: {error}"),
        )
        raise
    with platform.database.unit_of_work() as session:
        TenantScope(session, tenant).add(request)
        logbook = OperationLog(session, tenant)
        stored = [
            Finding("ELIMINATION_REQUEST_FILE", Outcome.OK, f"{name}: SHA-512 {digest}", None, name)
            for name, digest in digests.items()
        ]
        summary = (
            f"elimination request {request.id}: {request.unit_count} unit(s), "
            f"{request.total_bytes} bytes, asked by {who}"
        )
        logbook.record(request.id, [*stored, Finding(REQUEST_OPERATION, Outcome.OK, summary)])
        operation = logbook.get(request.id)
        operation.units, operation.total_bytes = request.unit_count, request.total_bytes
        logbook.finish(operation, Outcome.OK, summary)
    platform.write_operation_logbook(tenant, request.id)
    return {
        "request_id": request.id,
        "units": len(lines),
        "bytes": document["bytes"],
        "status": Status.PENDING.value,
    }


def request_document(tenant: int, request: EliminationRequest) -> dict[str, Any]:
    """The request as JSON: what the files say, and what `GET /eliminations/{id}` shows."""
    return {
        "schema": "archipel:elimination-request:1",
        "tenant": tenant,
        "request_id": request.id,
        "analysis_id": request.analysis_id,
        "status": request.status,
        "date": request.reference_date.isoformat(),
        "requested_by": request.requested_by,
        "requested_agent": request.requested_agent,
        "requested_at": iso(request.requested_at),
        "decided_by": request.decided_by,
        "decided_agent": request.decided_agent,
        "decided_at": iso(request.decided_at) if request.decided_at else None,
        "comment": request.comment,
        "units_operation_id": request.units_operation_id,
        "action_operation_id": request.action_operation_id,
        "eliminated": request.eliminated,
        "objects_deleted": request.objects_deleted,
        "objects_pending": len(request.objects_pending or []),
        "bytes": request.total_bytes,
        "units": list(request.units),
    }


def named(session: Session, document: dict[str, Any]) -> dict[str, Any]:
    """A request's (or certificate's) document with the people it names as they are known now
    (login, or pseudonym once anonymised): for people to read; records keep the references."""
    people = {key: person_name(session, document.get(key)) for key in PEOPLE if key in document}
    return {**document, **people}


PEOPLE = ("requested_by", "decided_by", "approved_by")
"""The fields of request and certificate documents that name a person (`users.person_reference`)."""


def request_files(document: dict[str, Any], shown: dict[str, Any]) -> dict[str, bytes]:
    """`elimination-request.json`, `.csv` (one line per unit) and `.pdf` (the bordereau to sign).

    The JSON names people by reference, as the records do; the PDF, to be read and signed,
    by their login at the time (`shown`)."""
    table = io.StringIO()
    writer = csv.DictWriter(table, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(document["units"])
    as_json = json.dumps({**document, "status": Status.PENDING.value}, ensure_ascii=False, indent=1) + "\n"
    return dict(
        zip(
            REQUEST_FILES,
            (as_json.encode("utf-8"), table.getvalue().encode("utf-8"), request_pdf(shown)),
            strict=True,
        )
    )


def get_request(session: Session, tenant: int, request_id: str) -> EliminationRequest:
    """A request of this tenant; NotFound for another tenant's."""
    return TenantScope(session, tenant).get(EliminationRequest, "elimination request", id=request_id)


def show_request(platform: Platform, tenant: int, request_id: str) -> dict[str, Any]:
    with platform.database.unit_of_work() as session:
        return named(session, request_document(tenant, get_request(session, tenant, request_id)))


def request_file(platform: Platform, tenant: int, request_id: str, operation_id: str, name: str) -> bytes:
    """A file of the request's operations (its bordereau, its certificate), read back from the offers:
    what was written is what is shown. NotFound for another tenant's request."""
    with platform.database.unit_of_work() as session:
        request = get_request(session, tenant, request_id)
        known = {request.id, request.action_operation_id}
    if operation_id not in known:
        raise NotFound(f"operation {operation_id} has no file of elimination request {request_id}")
    key = layout.operation_file_key(tenant, operation_id, name)
    for offer in platform.storage.offers:
        if offer.exists(key):
            with offer.open(key) as stream:
                return stream.read()
    raise NotFound(f"{name} of elimination request {request_id} is on no offer")


def decide(
    platform: Platform, tenant: int, request_id: str, approve: bool, actor: Actor, comment: str | None = None
) -> dict[str, Any]:
    """Approves or refuses a pending request, once; logged with who decided and when.

    Refused: a request already decided (Conflict), a decision by the person (or the API key)
    that asked (Forbidden: separation of duties).
    """
    operation_type = APPROVAL_OPERATION if approve else REFUSAL_OPERATION
    with platform.database.unit_of_work() as session:
        request = get_request(session, tenant, request_id)
        if request.status != Status.PENDING:
            raise Conflict(f"elimination request {request_id} is {request.status}: it was already decided")
        if actor.login is not None:
            require_approver(session, tenant, actor.login)  # a person's visa needs the approver role
        same_key = actor.personal and actor.agent == request.requested_agent
        who = actor.reference(session)
        if request.requested_by in (who, actor.login) or same_key:  # a login: asked before users existed
            asker = person_name(session, request.requested_by)
            raise Forbidden(
                f"elimination request {request_id} was asked by {asker}: "
                "another person must approve or refuse it (separation of duties)"
            )
        logbook = OperationLog(session, tenant)
        operation = logbook.start(operation_type, actor.agent, request_id)
        request.status = (Status.APPROVED if approve else Status.REFUSED).value
        request.decided_by, request.decided_agent, request.decided_at = (
            who,
            actor.agent,
            operation.started,
        )
        request.decision_operation_id, request.comment = operation.id, comment
        verb = "approved" if approve else "refused"
        message = (
            f"elimination request {request_id} {verb} by {who} (agent {actor.agent}) "
            f"at {iso(operation.started)}"
        )
        if comment:
            message += f": {comment}"
        logbook.record(operation.id, [Finding(operation_type, Outcome.OK, message, verb.upper(), request_id)])
        operation.units = request.unit_count
        logbook.finish(operation, Outcome.OK, message)
        decided = {
            "request_id": request_id,
            "status": request.status,
            "decided_by": person_name(session, who),
            "decided_at": iso(operation.started),
            "operation_id": operation.id,
        }
    platform.write_operation_logbook(tenant, decided["operation_id"])
    return decided
