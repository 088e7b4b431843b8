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

from sqlalchemy import delete
from sqlalchemy.orm import Session

from archipel.access.indexing import index_units
from archipel.core.clock import utc_now
from archipel.core.digests import sha512_bytes
from archipel.core.errors import Conflict, IntegrityFault
from archipel.db.repository import TenantScope
from archipel.ingest.context import Progress, no_progress
from archipel.ingest.findings import Finding, Outcome
from archipel.lifecycle.elimination_certificate import certificate, certificate_files
from archipel.lifecycle.elimination_request import Actor, Status, closed_on_failure, get_request
from archipel.lifecycle.elimination_verdicts import judge
from archipel.lifecycle.holds import refuse_if_held
from archipel.lifecycle.model import EliminationRequest
from archipel.logbook.service import OperationLog
from archipel.metadata.documents import OBJECT_GROUP_SCHEMA, encode
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule
from archipel.metadata.versioning import (
    Document,
    UnitsChange,
    change_units,
    lock_existing_unit,
    locked_at_version,
    next_version,
    read_unit_document,
    tombstone,
    version_entry,
)
from archipel.storage import layout

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
            asked = f"request {request_id} approved by {request.decided_by}, run by {actor.who}{resumed}"
            logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, asked, None, request_id)])
            request.action_operation_id = operation.id
        return operation.id

    def submit_background(self, tenant: int, request_id: str, actor: Actor) -> str:
        operation_id = self.submit(tenant, request_id, actor)
        self.platform.tasks.submit(f"elimination {operation_id}", self.run, tenant, operation_id, request_id)
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
            versions = {unit_id: lock_existing_unit(session, tenant, unit_id).version for unit_id in ids}
            lines = {line["id"]: line for line in request.units}
            groups = _groups_of(session, tenant, ids)
            documents: dict[str, bytes] = {}
            traces = []
            for unit_id in ids:
                document = read_unit_document(storage, tenant, unit_id, versions[unit_id])
                objects = groups.get(document.get("object_group") or "", [])
                trace = unit_trace(document, lines[unit_id], objects)
                gone = tombstone(
                    document, operation_id, LIFECYCLE_EVENT, f"eliminated (request {request_id})"
                )
                gone["elimination"] = {"request_id": request_id, **trace}
                key, data = version_entry(tenant, gone)
                documents[key] = data
                traces.append(trace)
            rows = _group_rows(session, tenant, groups)
            for group in rows:
                documents.update(_group_tombstone(tenant, group, groups[group.id], operation_id, request_id))
            binaries = [
                layout.object_key(tenant, obj.id)
                for objects in groups.values()
                for obj in objects
                if obj.sha512
            ]

            def apply(session: Session) -> list[Finding]:
                _refuse_kept(session, tenant, ids)
                for unit_id in ids:
                    locked_at_version(session, tenant, unit_id, versions[unit_id])
                _delete_index_rows(session, tenant, ids, list(groups))
                index_units(session, tenant, ids)
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
            return UnitsChange(documents, apply, message)

        return prepare

    # -- steps 2 and 3 ------------------------------------------------------------------------

    def _delete_binaries(self, tenant: int, operation_id: str, request_id: str, progress: Progress) -> None:
        with self.platform.database.unit_of_work() as session:
            pending = list(get_request(session, tenant, request_id).objects_pending)
        total, done = len(pending), 0
        progress(OBJECTS, 0, total)
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]
            with self.platform.database.unit_of_work() as session:
                _refuse_indexed(session, tenant, batch)
            for key in batch:
                self.platform.storage.delete(key)
            done += len(batch)
            with self.platform.database.unit_of_work() as session:
                request = get_request(session, tenant, request_id)
                request.objects_pending = list(pending)
                request.objects_deleted += len(batch)
                operation = OperationLog(session, tenant).get(operation_id)
                operation.objects = done
                operation.message = (
                    f"elimination running: {done} of {total} binaries deleted from every offer"
                )
            progress(OBJECTS, done, total)
        offers = ", ".join(offer.name for offer in self.platform.storage.offers)
        self._record(
            tenant, operation_id, Finding(OBJECTS_STEP, Outcome.OK, f"{done} binaries deleted from {offers}")
        )

    def _check_gone(self, tenant: int, operation_id: str, request_id: str) -> None:
        """Every binary of every eliminated unit absent from every offer, else IntegrityFault."""
        with self.platform.database.unit_of_work() as session:
            traces = list(get_request(session, tenant, request_id).trace)
        keys = [
            layout.object_key(tenant, obj["id"])
            for trace in traces
            for obj in trace["objects"]
            if obj["sha512"]
        ]
        left = [
            f"{offer.name}: {key}"
            for key in keys
            for offer in self.platform.storage.offers
            if offer.exists(key)
        ]
        if left:
            raise IntegrityFault(f"{len(left)} copies still on the offers after deletion: {left[0]}")
        message = f"{len(keys)} binaries absent from every offer"
        self._record(tenant, operation_id, Finding(CHECK_STEP, Outcome.OK, message))

    def _certify(self, tenant: int, operation_id: str, request_id: str) -> EliminationReport:
        offers = [offer.name for offer in self.platform.storage.offers]
        with self.platform.database.unit_of_work() as session:
            document = certificate(tenant, get_request(session, tenant, request_id), offers, operation_id)
        files = certificate_files(document)
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


def _groups_of(session: Session, tenant: int, ids: list[str]) -> dict[str, list[DataObject]]:
    """Object group id → its objects, for the groups of these units."""
    scope = TenantScope(session, tenant)
    query = scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(ids), ArchiveUnit.object_group_id.is_not(None))
    group_ids = sorted(set(session.scalars(query.with_only_columns(ArchiveUnit.object_group_id))))
    groups: dict[str, list[DataObject]] = {group_id: [] for group_id in group_ids}
    if group_ids:
        objects = scope.select(DataObject).where(DataObject.object_group_id.in_(group_ids))
        for obj in session.scalars(objects.order_by(DataObject.id)):
            groups[obj.object_group_id].append(obj)
    return groups


def _group_rows(session: Session, tenant: int, groups: dict[str, list[DataObject]]) -> list[ObjectGroup]:
    if not groups:
        return []
    query = TenantScope(session, tenant).select(ObjectGroup).where(ObjectGroup.id.in_(list(groups)))
    return list(session.scalars(query.order_by(ObjectGroup.id)))


def _object_trace(obj: DataObject) -> dict[str, Any]:
    return {"id": obj.id, "usage": obj.usage, "version": obj.version, "size": obj.size, "sha512": obj.sha512}


def unit_trace(document: Document, line: dict[str, Any], objects: list[DataObject]) -> dict[str, Any]:
    """What is kept of an eliminated unit: who it was, its dates and rules, and the digests that prove it."""
    return {
        "id": document["id"],
        "title": document.get("title"),
        "level": document.get("level"),
        "originating_agency": document.get("originating_agency"),
        "operation_id": document.get("operation_id"),
        "start_date": line.get("start_date") or None,
        "end_date": line.get("end_date") or None,
        "appraisal_rule": line.get("appraisal_rule"),
        "appraisal_end": line.get("appraisal_end") or None,
        "rules": list(document.get("rules") or []),
        "document_version": document["version"],
        "document_sha512": sha512_bytes(encode(document)),
        "object_group": document.get("object_group"),
        "objects": [_object_trace(obj) for obj in objects],
    }


def _group_tombstone(
    tenant: int, group: ObjectGroup, objects: list[DataObject], operation_id: str, request_id: str
) -> dict[str, bytes]:
    """The object group's last version: a tombstone naming the objects deleted and their digests.

    Built from the index row (its earlier versions, with their lifecycle, stay on the offers).
    `objects` is empty so a rebuild that reads it as a group restores no object of it.
    """
    base: Document = {"id": group.id, "version": group.version, "lifecycle": []}
    final = next_version(base, operation_id, LIFECYCLE_EVENT, f"eliminated (request {request_id})")
    document = {
        "schema": OBJECT_GROUP_SCHEMA,
        "tenant": tenant,
        "id": group.id,
        "version": final["version"],
        "manifest_id": group.manifest_id,
        "operation_id": group.operation_id,
        "created": group.created.isoformat(),
        "updated": final["updated"],
        "deleted": True,
        "deleted_by": operation_id,
        "objects": [],
        "eliminated_objects": [_object_trace(obj) for obj in objects],
        "lifecycle": final["lifecycle"],
    }
    return {layout.object_group_key(tenant, group.id, final["version"]): encode(document)}


def _delete_index_rows(session: Session, tenant: int, ids: list[str], group_ids: list[str]) -> None:
    """Links, rules, units, then objects and groups (foreign keys first); the caller re-indexes."""
    scope = TenantScope(session, tenant)
    newcomers = (
        scope.select(UnitParent)
        .where(UnitParent.parent_id.in_(ids), UnitParent.unit_id.not_in(ids))
        .with_only_columns(UnitParent.unit_id),
        scope.select(ArchiveUnit)
        .where(ArchiveUnit.object_group_id.in_(group_ids), ArchiveUnit.id.not_in(ids))
        .with_only_columns(ArchiveUnit.id),
    )
    for query, what in zip(newcomers, ("is now under a unit", "now holds an object group"), strict=True):
        unit_id = session.scalars(query).first()
        if unit_id is not None:
            raise Conflict(f"unit {unit_id} {what} of the request: analyse again")
    for model, column, keys in (
        (UnitParent, UnitParent.unit_id, ids),
        (UnitRule, UnitRule.unit_id, ids),
        (ArchiveUnit, ArchiveUnit.id, ids),
        (DataObject, DataObject.object_group_id, group_ids),
        (ObjectGroup, ObjectGroup.id, group_ids),
    ):
        session.execute(delete(model).where(model.tenant_id == tenant, column.in_(keys)))


def _refuse_indexed(session: Session, tenant: int, keys: list[str]) -> None:
    """A binary still in the index is in use: it is never deleted (IntegrityFault stops the run)."""
    ids = [layout.parse_key(key).id for key in keys]
    still = session.scalars(
        TenantScope(session, tenant)
        .select(DataObject)
        .where(DataObject.id.in_(ids))
        .with_only_columns(DataObject.id)
    ).first()
    if still is not None:
        raise IntegrityFault(f"object {still} is still indexed: it is not deleted")
