"""Eliminating the units of an approved request: metadata and binaries, from every offer.

Nothing half done may stay visible, and no unit may ever point to a missing binary, so
the run goes in this order:
1. `ELIMINATION_UNITS`, one change of `archipel.metadata.versioning.change_units`: each
   unit and object group gets a tombstone version on every offer (the minimal trace
   inside: id, title, dates, rules, SHA-512 of the last document and of the objects), then
   one transaction deletes their index rows (units, links, rules, groups, objects, search
   rows), logs the trace of each unit, seals their lifecycle entries (`LFC.ELIMINATION`),
   and records in the request the binaries left to delete. A crash before that commit is
   rolled back by recovery (the tombstones are journaled); after it, the units are gone.
2. The binaries are deleted from every offer, a batch at a time, each batch struck from
   the request once gone everywhere. A binary still indexed is never deleted. A crash here
   leaves the request RUNNING: running it again resumes (deleting is idempotent).
3. Every copy is checked absent, then the certificate is written to every offer and the
   request is ELIMINATED.
Steps 2 and 3 are the `ELIMINATION_ACTION` operation, the one a caller follows; it names
the `ELIMINATION_UNITS` operation. Holds and the verdicts are checked again before
anything is written, and again in the commit: a unit held or kept since the approval
stops the whole run (all or nothing).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.admin.volumetry import ChangeKind, record_purge
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict
from archipel.ingest.context import Progress, no_progress
from archipel.ingest.findings import Finding, Outcome
from archipel.lifecycle.elimination_certificate import certificate, certificate_files
from archipel.lifecycle.elimination_request import Actor, Status, get_request, named
from archipel.lifecycle.elimination_verdicts import judge
from archipel.lifecycle.holds import refuse_if_held
from archipel.lifecycle.model import EliminationRequest
from archipel.lifecycle.purge import apply_purge, check_gone, delete_binaries, plan_purge, unit_trace
from archipel.logbook.closing import closed_on_failure
from archipel.logbook.service import OperationLog
from archipel.metadata.model import DataObject
from archipel.metadata.versioning import (
    Document,
    UnitsChange,
    change_units,
)
from archipel.storage import layout
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

ACTION_OPERATION = "ELIMINATION_ACTION"
UNITS_OPERATION = "ELIMINATION_UNITS"
LIFECYCLE_EVENT = "LFC.ELIMINATION"
ACTION = "elimination"
UNIT_STEP, GROUP_STEP = "ELIMINATION_ACTION_DELETE_UNIT", "ELIMINATION_ACTION_DELETE_OBJECT_GROUP"
REQUEST_STEP, OBJECTS_STEP = "ELIMINATION_ACTION_REQUEST", "ELIMINATION_ACTION_DELETE_OBJECTS"
CHECK_STEP, CERTIFICATE_STEP = "ELIMINATION_ACTION_CHECK_OBJECTS", "ELIMINATION_ACTION_CERTIFICATE"
OBJECTS = "objects"
"""The phase given to `Progress`: binaries deleted of the total."""
BATCH = 100
"""Binaries deleted between two writes of the request's progress."""


@dataclass
class EliminationReport:
    request_id: str
    operation_id: str
    eliminated: int
    objects_deleted: int
    certificate_sha512: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class EliminationService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def submit(self, tenant: int, request_id: str, actor: Actor) -> str:
        """Records the `ELIMINATION_ACTION` operation of an approved (or interrupted) request; its id.

        Refused (Conflict): a request not approved, already eliminated, or holding a unit under hold.
        """
        with self.platform.database.unit_of_work() as session:
            request = get_request(session, tenant, request_id)
            if request.status not in (Status.APPROVED, Status.RUNNING):
                raise Conflict(
                    f"elimination request {request_id} is {request.status}: only an approved request is run"
                )
            if request.status == Status.APPROVED:
                refuse_if_held(session, tenant, _unit_ids(request), ACTION)
            logbook = OperationLog(session, tenant)
            operation = logbook.start(ACTION_OPERATION, actor.agent, request_id)
            operation.message = "waiting for a worker"
            resumed = " (resumed: its units are already gone)" if request.status == Status.RUNNING else ""
            asked = (
                f"request {request_id} approved by {request.decided_by}, "
                f"run by {actor.reference(session)}{resumed}"
            )
            logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, asked, None, request_id)])
            request.action_operation_id = operation.id
        return operation.id

    def submit_background(self, tenant: int, request_id: str, actor: Actor) -> str:
        operation_id = self.submit(tenant, request_id, actor)
        job = Job(tenant, operation_id, "elimination")
        self.platform.tasks.submit(job, self.run, tenant, operation_id, request_id)
        return operation_id

    def run(
        self, tenant: int, operation_id: str, request_id: str, progress: Progress = no_progress
    ) -> EliminationReport:
        """Steps 1 to 3 of the module doc; closes the operation KO on a refusal, FATAL on a failure."""
        with closed_on_failure(self.platform, tenant, operation_id, ACTION_OPERATION):
            report = self._run(tenant, operation_id, request_id, progress)
        self.platform.write_operation_logbook(tenant, operation_id)
        return report

    def _run(self, tenant: int, operation_id: str, request_id: str, progress: Progress) -> EliminationReport:
        with self.platform.database.unit_of_work() as session:
            agent = OperationLog(session, tenant).get(operation_id).agent
            status = get_request(session, tenant, request_id).status
        if status == Status.APPROVED:
            units_operation = change_units(
                self.platform, tenant, UNITS_OPERATION, self._prepare(tenant, request_id), agent, request_id
            )
            self._record(
                tenant,
                operation_id,
                Finding(
                    UNITS_OPERATION, Outcome.OK, f"units and object groups eliminated by {units_operation}"
                ),
            )
        self._delete_binaries(tenant, operation_id, request_id, progress)
        self._check_gone(tenant, operation_id, request_id)
        return self._certify(tenant, operation_id, request_id)

    # -- step 1 -------------------------------------------------------------------------------

    def _prepare(self, tenant: int, request_id: str) -> Any:
        storage = self.platform.storage

        def prepare(session: Session, operation_id: str) -> UnitsChange:
            request = get_request(session, tenant, request_id)
            if request.status != Status.APPROVED:
                raise Conflict(f"elimination request {request_id} is {request.status}, no longer approved")
            ids = _unit_ids(request)
            _refuse_kept(session, tenant, ids)
            lines = {line["id"]: line for line in request.units}

            def describe(document: Document, objects: list[DataObject]) -> dict[str, Any]:
                return {**unit_trace(document, objects), **_appraisal(lines[document["id"]])}

            purge = plan_purge(
                session,
                storage,
                tenant,
                ids,
                operation_id,
                LIFECYCLE_EVENT,
                f"eliminated (request {request_id})",
                describe,
                ACTION,
                {"request_id": request_id},
            )
            traces, groups, binaries = purge.traces, purge.groups, purge.binaries

            def apply(session: Session) -> list[Finding]:
                _refuse_kept(session, tenant, ids)
                apply_purge(session, tenant, purge)
                record_purge(session, tenant, ChangeKind.ELIMINATION, operation_id, purge, storage.offers)
                request = get_request(session, tenant, request_id)
                request.status = Status.RUNNING.value
                request.units_operation_id, request.trace = operation_id, traces
                request.objects_pending, request.eliminated = binaries, len(ids)
                events = [
                    Finding(UNIT_STEP, Outcome.OK, json.dumps(trace, ensure_ascii=False), None, trace["id"])
                    for trace in traces
                ]
                return events + [
                    Finding(GROUP_STEP, Outcome.OK, f"{len(objects)} object(s) listed", None, group_id)
                    for group_id, objects in groups.items()
                ]

            message = (
                f"{len(ids)} unit(s) and {len(groups)} object group(s) of elimination request {request_id} "
                f"eliminated from the index; {len(binaries)} binaries to delete from every offer"
            )
            return UnitsChange(purge.documents, apply, message)

        return prepare

    # -- steps 2 and 3 ------------------------------------------------------------------------

    def _delete_binaries(self, tenant: int, operation_id: str, request_id: str, progress: Progress) -> None:
        with self.platform.database.unit_of_work() as session:
            pending = list(get_request(session, tenant, request_id).objects_pending)
        total = len(pending)
        progress(OBJECTS, 0, total)

        def deleted(left: list[str], done: int) -> None:
            with self.platform.database.unit_of_work() as session:
                request = get_request(session, tenant, request_id)
                request.objects_deleted += len(request.objects_pending) - len(left)
                request.objects_pending = list(left)
                operation = OperationLog(session, tenant).get(operation_id)
                operation.objects = done
                operation.message = (
                    f"elimination running: {done} of {total} binaries deleted from every offer"
                )
            progress(OBJECTS, done, total)

        done = delete_binaries(self.platform, tenant, pending, deleted)
        offers = ", ".join(offer.name for offer in self.platform.storage.offers)
        self._record(
            tenant, operation_id, Finding(OBJECTS_STEP, Outcome.OK, f"{done} binaries deleted from {offers}")
        )

    def _check_gone(self, tenant: int, operation_id: str, request_id: str) -> None:
        """Every binary of every eliminated unit absent from every offer, else IntegrityFault."""
        with self.platform.database.unit_of_work() as session:
            traces = list(get_request(session, tenant, request_id).trace)
        message = f"{check_gone(self.platform, tenant, traces)} binaries absent from every offer"
        self._record(tenant, operation_id, Finding(CHECK_STEP, Outcome.OK, message))

    def _certify(self, tenant: int, operation_id: str, request_id: str) -> EliminationReport:
        offers = [offer.name for offer in self.platform.storage.offers]
        with self.platform.database.unit_of_work() as session:
            document = certificate(tenant, get_request(session, tenant, request_id), offers, operation_id)
            shown = named(session, document)
        files = certificate_files(document, shown)
        digests = {
            name: self.platform.storage.put_document(
                layout.operation_file_key(tenant, operation_id, name), data
            )
            for name, data in files.items()
        }
        with self.platform.database.unit_of_work() as session:
            request = get_request(session, tenant, request_id)
            request.status, request.ended_at = Status.ELIMINATED.value, utc_now()
            request.action_operation_id = operation_id
            logbook = OperationLog(session, tenant)
            stored = [
                Finding(CERTIFICATE_STEP, Outcome.OK, f"{name}: SHA-512 {digest}", None, name)
                for name, digest in digests.items()
            ]
            summary = (
                f"elimination request {request_id}: {request.eliminated} unit(s) eliminated, "
                f"{request.objects_deleted} binaries deleted from every offer; certificate issued"
            )
            logbook.record(operation_id, [*stored, Finding(ACTION_OPERATION, Outcome.OK, summary)])
            operation = logbook.get(operation_id)
            operation.units, operation.objects = request.eliminated, request.objects_deleted
            logbook.finish(operation, Outcome.OK, summary)
            report = EliminationReport(
                request_id,
                operation_id,
                request.eliminated,
                request.objects_deleted,
                digests[next(iter(files))],
            )
        return report

    def _record(self, tenant: int, operation_id: str, finding: Finding) -> None:
        with self.platform.database.unit_of_work() as session:
            OperationLog(session, tenant).record(operation_id, [finding])


def _unit_ids(request: EliminationRequest) -> list[str]:
    return [line["id"] for line in request.units]


def _refuse_kept(session: Session, tenant: int, ids: list[str]) -> None:
    """Holds first (their own error), then any unit no longer destroyable today: nothing is done."""
    refuse_if_held(session, tenant, ids, ACTION)
    today = utc_now().date()
    kept = [verdict for verdict in judge(session, tenant, ids, today).values() if not verdict.destroyable]
    if kept:
        raise Conflict(
            f"elimination refused: unit {kept[0].unit_id} is no longer destroyable ({kept[0].reason})"
            + (f" and {len(kept) - 1} more" if len(kept) > 1 else "")
            + ": analyse again"
        )


def _appraisal(line: dict[str, Any]) -> dict[str, Any]:
    """What the request said of the unit's dates and appraisal rule, kept in its trace."""
    return {
        "start_date": line.get("start_date") or None,
        "end_date": line.get("end_date") or None,
        "appraisal_rule": line.get("appraisal_rule"),
        "appraisal_end": line.get("appraisal_end") or None,
    }
