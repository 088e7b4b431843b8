"""Elimination analyses and requests made again from the offers, for `archipel rebuild`.

Their tables are an index (`archipel.lifecycle.model`): what they say is on the offers, in
the files and logbooks of the operations that made them, read here after the rebuild has
restored every operation:
- an analysis: its `ELIMINATION_ANALYSIS` logbook (the query and reference date it was
  asked, the first event) and `elimination-analysis.json` (destroyable and kept units);
- a request: `elimination-request.json` (its lines, who asked, when), written PENDING;
  then, in order, the operations naming it as their source: the approval or refusal (who
  decided, when, and the comment, in its event), `ELIMINATION_UNITS` (units gone: the trace
  of each in its events; RUNNING) and `ELIMINATION_ACTION` with its
  `elimination-certificate.json` (ELIMINATED). A request caught between the last two gets
  back, as binaries still to delete, those of its trace the offer still holds, so running
  it again finishes the job.
A row the database already holds is left as it is (a resumed rebuild passes here twice).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.db.repository import TenantScope
from archipel.lifecycle.elimination_action import ACTION_OPERATION, UNIT_STEP, UNITS_OPERATION
from archipel.lifecycle.elimination_analysis import OPERATION as ANALYSIS_OPERATION
from archipel.lifecycle.elimination_analysis import REQUEST_STEP as ANALYSIS_REQUEST_STEP
from archipel.lifecycle.elimination_analysis import RESULT_FILE
from archipel.lifecycle.elimination_certificate import CERTIFICATE_JSON
from archipel.lifecycle.elimination_request import (
    APPROVAL_OPERATION,
    REFUSAL_OPERATION,
    REQUEST_FILES,
    REQUEST_OPERATION,
    Status,
)
from archipel.lifecycle.model import EliminationAnalysis, EliminationRequest
from archipel.lifecycle.purge import traced_binaries
from archipel.logbook.model import LogbookEvent, Operation
from archipel.logbook.service import OperationLog
from archipel.storage import layout
from archipel.storage.offer import Offer

if TYPE_CHECKING:
    from archipel.platform import Platform

REQUEST_FILE = REQUEST_FILES[0]
_ASKED = re.compile(r"^units of (?P<query>.*) judged at (?P<day>\d{4}-\d{2}-\d{2})$", re.DOTALL)
"""The first event of an analysis (`elimination_analysis.submit`): its query and reference date."""
_DECIDED = re.compile(
    r" (?:approved|refused) by (?P<who>.*) \(agent (?P<agent>.*?)\) at \S+(?:: (?P<comment>.*))?$", re.DOTALL
)
"""The event of a decision (`elimination_request.decide`): who decided and the comment."""


def restore_eliminations(platform: Platform, offer: Offer, tenants: Iterable[int]) -> int:
    """Restores the analyses and requests of these tenants; how many requests the tables hold."""
    count = 0
    for tenant in tenants:
        with platform.database.unit_of_work() as session:
            for operation in _operations(session, tenant, ANALYSIS_OPERATION):
                _restore_analysis(session, offer, tenant, operation)
            for operation in _operations(session, tenant, REQUEST_OPERATION):
                count += _restore_request(session, offer, tenant, operation)
    return count


def _operations(session: Session, tenant: int, type_: str, source: str | None = None) -> list[Operation]:
    query = TenantScope(session, tenant).select(Operation).where(Operation.type == type_)
    if source is not None:
        query = query.where(Operation.source_name == source)
    return list(session.scalars(query.order_by(Operation.started, Operation.id)))


def _read(offer: Offer, tenant: int, operation_id: str, name: str) -> dict[str, Any] | None:
    key = layout.operation_file_key(tenant, operation_id, name)
    if not offer.exists(key):
        return None
    with offer.open(key) as stream:
        return json.loads(stream.read().decode("utf-8"))


def _restore_analysis(session: Session, offer: Offer, tenant: int, operation: Operation) -> None:
    scope = TenantScope(session, tenant)
    if scope.find(EliminationAnalysis, operation_id=operation.id) is not None:
        return
    first = session.scalars(
        scope.select(LogbookEvent).where(
            LogbookEvent.operation_id == operation.id, LogbookEvent.step == ANALYSIS_REQUEST_STEP
        )
    ).first()
    asked = _ASKED.match(first.message) if first is not None else None
    if asked is None:
        return  # not an analysis this version of Archipel asked: nothing to rebuild it from
    result = _read(offer, tenant, operation.id, RESULT_FILE) or {}
    scope.add(
        EliminationAnalysis(
            operation_id=operation.id,
            reference_date=date.fromisoformat(result.get("date") or asked["day"]),
            query=json.loads(asked["query"]),
            destroyable=list(result.get("destroyable", [])),
            kept=list(result.get("kept", [])),
            created=operation.started,
        )
    )


def _restore_request(session: Session, offer: Offer, tenant: int, operation: Operation) -> int:
    scope = TenantScope(session, tenant)
    if scope.find(EliminationRequest, id=operation.id) is not None:
        return 1
    document = _read(offer, tenant, operation.id, REQUEST_FILE)
    if document is None:
        return 0  # its files were never stored: the request failed and has no row
    request = EliminationRequest(
        id=operation.id,
        analysis_id=document["analysis_id"],
        status=Status.PENDING.value,
        reference_date=date.fromisoformat(document["date"]),
        units=list(document["units"]),
        unit_count=len(document["units"]),
        total_bytes=document["bytes"],
        requested_by=document["requested_by"],
        requested_agent=document.get("requested_agent"),
        requested_at=datetime.fromisoformat(document["requested_at"]),
        trace=[],
        objects_pending=[],
        eliminated=0,
        objects_deleted=0,
    )
    _decision(session, tenant, request)
    _elimination(session, offer, tenant, request)
    scope.add(request)
    return 1


def _decision(session: Session, tenant: int, request: EliminationRequest) -> None:
    """The approval or refusal of the request, if one was logged."""
    decisions = [
        operation
        for type_ in (APPROVAL_OPERATION, REFUSAL_OPERATION)
        for operation in _operations(session, tenant, type_, request.id)
        if operation.outcome == "OK"
    ]
    if not decisions:
        return
    operation = decisions[0]
    events = OperationLog(session, tenant).events(operation.id)
    decided = next((match for event in events if (match := _DECIDED.search(event.message))), None)
    approved = operation.type == APPROVAL_OPERATION
    request.status = (Status.APPROVED if approved else Status.REFUSED).value
    request.decided_by = decided["who"] if decided else operation.agent
    request.decided_agent = operation.agent
    request.decided_at = operation.started
    request.decision_operation_id = operation.id
    request.comment = decided["comment"] if decided else None


def _elimination(session: Session, offer: Offer, tenant: int, request: EliminationRequest) -> None:
    """How far the run of an approved request went: units gone (RUNNING), or all done (ELIMINATED)."""
    logbook = OperationLog(session, tenant)
    units = [op for op in _operations(session, tenant, UNITS_OPERATION, request.id) if op.outcome == "OK"]
    if units:
        request.status = Status.RUNNING.value
        request.units_operation_id = units[-1].id
        request.trace = [
            json.loads(event.message) for event in logbook.events(units[-1].id) if event.step == UNIT_STEP
        ]
        request.eliminated = len(request.trace)
    actions = _operations(session, tenant, ACTION_OPERATION, request.id)
    if actions:
        request.action_operation_id = actions[-1].id
    for action in reversed(actions):
        certificate = _read(offer, tenant, action.id, CERTIFICATE_JSON)
        if certificate is not None:
            request.status = Status.ELIMINATED.value
            request.action_operation_id = action.id
            request.trace = list(certificate["units"])
            request.eliminated = certificate["eliminated"]
            request.objects_deleted = certificate["objects_deleted"]
            request.ended_at = action.ended
            return
    if units:
        request.objects_pending = _binaries_left(offer, tenant, request.trace)


def _binaries_left(offer: Offer, tenant: int, traces: list[dict[str, Any]]) -> list[str]:
    return [key for key in traced_binaries(tenant, traces) if offer.exists(key)]
