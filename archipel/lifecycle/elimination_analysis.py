"""Elimination analysis: which units a query selects may be destroyed at a reference date.

An `ELIMINATION_ANALYSIS` operation of the tenant, run in the background like an audit:
`submit` checks the query and records the operation, `run` selects the units (the search
language, docs/query.md, as the operator: no access contract limits an archivist's
appraisal), judges each (`archipel.lifecycle.elimination_verdicts`) and closes it. Its
logbook names every unit with its verdict (`ELIMINATION_ANALYSIS_UNIT` events), each
unit's lifecycle gets an `LFC.ELIMINATION_ANALYSIS` entry, and the result is kept in
`elimination_analyses` and written to the offers beside the logbook
(`elimination-analysis.json`). Nothing is changed: the request comes next.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from archipel.access.dip_selection import check_query, select_units
from archipel.access.scope import AccessScope
from archipel.admin import service as admin
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict
from archipel.db.repository import TenantScope
from archipel.ingest.context import Progress, no_progress
from archipel.ingest.findings import Finding, Outcome
from archipel.lifecycle.elimination_verdicts import Verdict, judge
from archipel.lifecycle.model import EliminationAnalysis
from archipel.logbook.closing import closed_on_failure
from archipel.logbook.lifecycle import UNIT, LifecycleEvent, append_lifecycle
from archipel.logbook.service import OperationLog
from archipel.storage import layout
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

OPERATION = "ELIMINATION_ANALYSIS"
LIFECYCLE_EVENT = "LFC.ELIMINATION_ANALYSIS"
REQUEST_STEP, LIST_STEP, UNIT_STEP, REPORT_STEP = (
    "ELIMINATION_ANALYSIS_REQUEST",
    "ELIMINATION_ANALYSIS_LIST_UNITS",
    "ELIMINATION_ANALYSIS_UNIT",
    "ELIMINATION_ANALYSIS_REPORT",
)
RESULT_FILE = "elimination-analysis.json"
UNITS = "units"
"""The phase given to `Progress`: units judged of the total."""


class EliminationAnalysisService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def submit(
        self, tenant: int, query: Mapping[str, Any], day: date | None = None, agent: str | None = None
    ) -> str:
        """Checks the query and records the operation (waiting for a worker); its id."""
        check_query(query)
        when = day or utc_now().date()
        with self.platform.database.unit_of_work() as session:
            admin.require_tenant(session, tenant)
            logbook = OperationLog(session, tenant)
            operation = logbook.start(OPERATION, agent=agent)
            operation.message = "waiting for a worker"
            asked = f"units of {json.dumps(dict(query), ensure_ascii=False)} judged at {when.isoformat()}"
            logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, asked)])
            TenantScope(session, tenant).add(
                EliminationAnalysis(
                    operation_id=operation.id,
                    reference_date=when,
                    query=dict(query),
                    destroyable=[],
                    kept=[],
                    created=utc_now(),
                )
            )
        return operation.id

    def submit_background(
        self, tenant: int, query: Mapping[str, Any], day: date | None = None, agent: str | None = None
    ) -> str:
        operation_id = self.submit(tenant, query, day, agent)
        job = Job(tenant, operation_id, "elimination analysis")
        self.platform.tasks.submit(job, self.run, tenant, operation_id)
        return operation_id

    def run(self, tenant: int, operation_id: str, progress: Progress = no_progress) -> dict[str, Any]:
        """Selects and judges the units, keeps the result and closes the operation; the result."""
        with closed_on_failure(self.platform, tenant, operation_id, REPORT_STEP):
            result = self._analyse(tenant, operation_id, progress)
        self.platform.storage.put_document(
            layout.operation_file_key(tenant, operation_id, RESULT_FILE),
            (json.dumps(result, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
        )
        self.platform.write_operation_logbook(tenant, operation_id)
        return result

    def _analyse(self, tenant: int, operation_id: str, progress: Progress) -> dict[str, Any]:
        with self.platform.database.unit_of_work() as session:
            analysis = TenantScope(session, tenant).get(
                EliminationAnalysis, "elimination analysis", operation_id=operation_id
            )
            day, query = analysis.reference_date, analysis.query
            ids = select_units(session, AccessScope.operator(tenant), query)
            logbook = OperationLog(session, tenant)
            logbook.record(operation_id, [Finding(LIST_STEP, Outcome.OK, f"{len(ids)} unit(s) selected")])
            logbook.get(operation_id).message = f"judging {len(ids)} unit(s)"
        progress(UNITS, 0, len(ids))
        with self.platform.database.unit_of_work() as session:
            verdicts = judge(session, tenant, ids, day)
            progress(UNITS, len(ids), len(ids))
            destroyable = [unit_id for unit_id in ids if verdicts[unit_id].destroyable]
            kept = [verdicts[unit_id].as_dict() for unit_id in ids if not verdicts[unit_id].destroyable]
            analysis = TenantScope(session, tenant).get(
                EliminationAnalysis, "elimination analysis", operation_id=operation_id
            )
            analysis.destroyable, analysis.kept = destroyable, kept
            append_lifecycle(
                session, tenant, [_lifecycle(operation_id, verdicts[unit_id]) for unit_id in ids]
            )
            logbook = OperationLog(session, tenant)
            logbook.record(operation_id, [_event(verdicts[unit_id]) for unit_id in ids])
            summary = (
                f"{len(destroyable)} unit(s) destroyable and {len(kept)} kept "
                f"of {len(ids)} selected, at {day.isoformat()}"
            )
            operation = logbook.get(operation_id)
            operation.units = len(ids)
            logbook.record(operation_id, [Finding(REPORT_STEP, Outcome.OK, summary)])
            logbook.finish(operation, Outcome.OK, summary)
        return analysis_view(operation_id, day, destroyable, kept)

    def result(self, tenant: int, operation_id: str) -> dict[str, Any]:
        """An analysis of this tenant, with its operation's status; Conflict while it runs."""
        with self.platform.database.unit_of_work() as session:
            analysis = TenantScope(session, tenant).get(
                EliminationAnalysis, "elimination analysis", operation_id=operation_id
            )
            operation = OperationLog(session, tenant).get(operation_id)
            if operation.status == "RUNNING":
                raise Conflict(f"elimination analysis {operation_id} is still running: {operation.message}")
            view = analysis_view(operation_id, analysis.reference_date, analysis.destroyable, analysis.kept)
            view.update(outcome=operation.outcome, message=operation.message)
            return view


def analysis_view(
    operation_id: str, day: date, destroyable: list[str], kept: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "operation_id": operation_id,
        "date": day.isoformat(),
        "destroyable": list(destroyable),
        "kept": list(kept),
    }


def _event(verdict: Verdict) -> Finding:
    code = "DESTROYABLE" if verdict.destroyable else f"KEPT.{verdict.kept}"
    return Finding(UNIT_STEP, Outcome.OK, verdict.reason, code, verdict.unit_id)


def _lifecycle(operation_id: str, verdict: Verdict) -> LifecycleEvent:
    detail = json.dumps(verdict.as_dict(), ensure_ascii=False, sort_keys=True)
    return LifecycleEvent(UNIT, verdict.unit_id, LIFECYCLE_EVENT, operation_id, "OK", detail)
