"""DIP export (communication): archive units chosen by a query, delivered as one ZIP.

A requester — a citizen, a service, a court — receives a Dissemination Information
Package: a ZIP holding `manifest.xml`, a SEDA `ArchiveDeliveryRequestReply` describing
the units (their `Content` and `Management`, nested as in the archive's tree) and the
objects, and under `Content/` the binaries the access contract lets the requester receive.

The export is an operation of the tenant's logbook (`EXPORT_DIP`), run in the background:
`submit` records the request and returns its id at once, `run` selects, plans, writes and
closes the operation. Its events say what was selected under which contract, each object
left out and why (a usage the contract does not allow, a unit not yet communicable), the
packaging, the manifest's schema check and the SHA-512 of the ZIP. The ZIP waits in the
instance's work folder (`dips/<tenant>/<operation>.zip`) for its download; its size is on
the operation before anyone downloads it.

A DIP belongs to the tenant and the access contract it was made under: another tenant's
is not found, and a caller under another contract cannot fetch it (it could otherwise
read, through someone else's DIP, what its own contract withholds).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from archipel.access.dip_manifest import DipHeader
from archipel.access.dip_package import ManifestWriter, Progress, WrittenPackage, write_package
from archipel.access.dip_plan import DipPlan, Refusal, plan_dip
from archipel.access.dip_selection import check_query, select_units
from archipel.access.scope import AccessScope
from archipel.admin.model import Tenant
from archipel.core.clock import utc_now
from archipel.core.errors import ArchipelError, Conflict, NotFound
from archipel.ingest.findings import Finding, Outcome, worst
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.seda.delivery import write_delivery
from archipel.tasks.runner import Job

log = logging.getLogger(__name__)

EXPORT_DIP = "EXPORT_DIP"
REQUEST = "STP_DIP_REQUEST"
SELECTION = "DIP_SELECTION"
OBJECT_REFUSED = "DIP_OBJECT_REFUSED"
PACKAGING = "DIP_PACKAGING"
MANIFEST = "DIP_MANIFEST"
DIGEST = "DIP_DIGEST"
OPERATOR = "operator"
"""The requester and contract named for the server's operator, who works without a contract."""
MAX_LOGGED_QUERY = 4_000


@dataclass(frozen=True)
class PackageKind:
    """The names an export of units logs under and keeps its ZIP under: a DIP for a requester
    (here), a transfer to another archive (`archipel.lifecycle.transfer`). Both select, plan,
    write and check a package the same way; what they are called in the logbook differs."""

    noun: str
    operation: str
    request: str
    selection: str
    object_refused: str
    packaging: str
    manifest: str
    digest: str
    folder: str
    """Under the instance's work folder: where the ZIP waits for its download."""


DIP = PackageKind("DIP", EXPORT_DIP, REQUEST, SELECTION, OBJECT_REFUSED, PACKAGING, MANIFEST, DIGEST, "dips")


def no_progress(phase: str, done: int, total: int) -> None:
    """Progress is for people watching a terminal; background work reports none."""


@dataclass(frozen=True)
class DipRequest:
    """What a requester asks for: the units (a search request, or their ids) and the header."""

    query: Mapping[str, Any] | None = None
    unit_ids: tuple[str, ...] = ()
    requester: str | None = None
    """Who asked (`Requester`): by default the agent of the call, else the contract."""
    request_identifier: str | None = None
    """The requester's reference for the request (`MessageRequestIdentifier`)."""
    comment: str | None = None

    def described(self) -> str:
        if self.query is None:
            return f"{len(self.unit_ids)} units named"
        text = json.dumps(self.query, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= MAX_LOGGED_QUERY else text[:MAX_LOGGED_QUERY] + "…"


@dataclass(frozen=True)
class DipResult:
    operation_id: str
    outcome: Outcome
    units: int
    objects: int
    bytes: int
    digest: str | None
    message: str
    path: Path | None = None
    refused: Sequence[Refusal] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "outcome": self.outcome.value,
            "units": self.units,
            "objects": self.objects,
            "bytes": self.bytes,
            "digest": self.digest,
            "digest_algorithm": "SHA-512" if self.digest else None,
            "message": self.message,
            "refused": [
                {"object": refusal.object_id, "code": refusal.code, "reason": refusal.reason}
                for refusal in self.refused
            ],
        }


class DipService:
    kind = DIP

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def path(self, tenant: int, operation_id: str) -> Path:
        """Where the package of an operation is kept until downloaded."""
        return self.platform.settings.work_dir / self.kind.folder / str(tenant) / f"{operation_id}.zip"

    # -- before: the estimate and the request ---------------------------------------------------

    def estimate(self, scope: AccessScope, request: DipRequest) -> dict[str, int]:
        """Units, binaries and their bytes the DIP would hold: the same plan, nothing built."""
        if request.query is not None:
            check_query(request.query)
        return self._plan(scope, request).as_dict()

    def submit(self, scope: AccessScope, request: DipRequest) -> str:
        """Records the request as a new operation (a malformed query is refused, none started)."""
        if request.query is not None:
            check_query(request.query)
        with self.platform.database.unit_of_work() as session:
            logbook = OperationLog(session, scope.tenant)
            operation = logbook.start(self.kind.operation, agent=scope.agent, changes_holdings=False)
            contract = scope.contract_id or OPERATOR
            message = f"{self.kind.noun} requested under access contract {contract}: {request.described()}"
            logbook.record(
                operation.id, [Finding(self.kind.request, Outcome.OK, message, target=scope.contract_id)]
            )
            return operation.id

    def submit_background(self, scope: AccessScope, request: DipRequest) -> str:
        operation_id = self.submit(scope, request)
        job = Job(scope.tenant, operation_id, self.kind.folder)
        self.platform.tasks.submit(job, self.run, scope, operation_id, request)
        return operation_id

    # -- the export -----------------------------------------------------------------------------

    def run(
        self, scope: AccessScope, operation_id: str, request: DipRequest, progress: Progress = no_progress
    ) -> DipResult:
        """Selects, plans, writes the ZIP and closes the operation; never leaves it RUNNING."""
        try:
            plan = self._plan(scope, request)
        except ArchipelError as refused:  # a query the search refuses, a selection too large
            return self._close(
                scope, operation_id, [Finding(self.kind.selection, Outcome.KO, refused.message)]
            )
        except Exception as error:
            log.exception("%s %s failed while selecting", self.kind.noun, operation_id)
            failure = Finding(
                self.kind.selection, Outcome.FATAL, f"technical failure while selecting: {error}"
            )
            return self._close(scope, operation_id, [failure])
        selection = self._selection_events(scope, plan)
        if not plan.units:
            return self._close(scope, operation_id, selection)
        self._record(scope, operation_id, selection, plan)
        try:
            package = write_package(
                self.platform,
                scope,
                plan,
                self._header(scope, operation_id, request),
                self.path(scope.tenant, operation_id),
                progress,
                self._manifest_writer(scope, request),
            )
            events = [
                *_delivered(self.kind, plan, package),
                *self._after_package(scope, operation_id, request, plan, package),
            ]
        except Exception as error:
            log.exception("%s %s failed while packaging", self.kind.noun, operation_id)
            noun = self.kind.noun
            failure = Finding(
                self.kind.packaging, Outcome.FATAL, f"technical failure while packaging, no {noun}: {error}"
            )
            self.path(scope.tenant, operation_id).unlink(missing_ok=True)
            return self._close(scope, operation_id, [failure], plan=plan)
        return self._close(
            scope,
            operation_id,
            events,
            plan=plan,
            package_size=package.size,
            digest=package.sha512,
            path=package.path,
        )

    def _manifest_writer(self, scope: AccessScope, request: DipRequest) -> ManifestWriter:
        """How the package's manifest is written: a delivery reply, for a DIP."""
        return write_delivery

    def _after_package(
        self,
        scope: AccessScope,
        operation_id: str,
        request: DipRequest,
        plan: DipPlan,
        package: WrittenPackage,
    ) -> list[Finding]:
        """What is done once the ZIP is complete, before the operation closes (its events);
        raising gives the package up. Nothing more for a DIP."""
        return []

    def _plan(self, scope: AccessScope, request: DipRequest) -> DipPlan:
        with self.platform.database.unit_of_work() as session:
            return plan_dip(session, scope, self._selected(session, scope, request))

    def _selected(self, session: Session, scope: AccessScope, request: DipRequest) -> list[str]:
        """The ids of the units asked for, in order (a refusal raised is the selection's KO)."""
        if request.query is not None:
            return select_units(session, scope, request.query)
        return list(request.unit_ids)

    def _selection_events(self, scope: AccessScope, plan: DipPlan) -> list[Finding]:
        contract = scope.contract_id or OPERATOR
        if not plan.units:
            message = f"the request selects no archive unit that access contract {contract} covers"
            return [Finding(self.kind.selection, Outcome.KO, message, "EMPTY")]
        summary = (
            f"{len(plan.units)} archive units selected under access contract {contract}: "
            f"{len(plan.binaries)} binaries ({plan.bytes} bytes) to deliver, "
            f"{len(plan.physical)} physical objects described, {len(plan.refusals)} objects left out"
        )
        refusals = [
            Finding(
                self.kind.object_refused, Outcome.WARNING, refusal.reason, refusal.code, refusal.object_id
            )
            for refusal in plan.refusals
        ]
        return [Finding(self.kind.selection, Outcome.OK, summary), *refusals]

    def _record(self, scope: AccessScope, operation_id: str, events: list[Finding], plan: DipPlan) -> None:
        """The selection's events, and the size announced while the ZIP is being written."""
        with self.platform.database.unit_of_work() as session:
            logbook = OperationLog(session, scope.tenant)
            logbook.record(operation_id, events)
            operation = logbook.get(operation_id)
            operation.units, operation.objects, operation.total_bytes = (
                len(plan.units),
                len(plan.binaries),
                plan.bytes,
            )

    def _header(self, scope: AccessScope, operation_id: str, request: DipRequest) -> DipHeader:
        return DipHeader(
            identifier=operation_id,
            date=utc_now(),
            archival_agency=self.tenant_agency(scope.tenant),
            requester=request.requester or scope.agent or scope.contract_id or OPERATOR,
            request_identifier=request.request_identifier or operation_id,
            comment=request.comment,
        )

    def tenant_agency(self, tenant: int) -> str:
        """How the messages this archive writes name it: the tenant's name."""
        with self.platform.database.unit_of_work() as session:
            row = session.get(Tenant, tenant)
            return row.name if row is not None else f"tenant {tenant}"

    def _close(
        self,
        scope: AccessScope,
        operation_id: str,
        events: list[Finding],
        plan: DipPlan | None = None,
        package_size: int = 0,
        digest: str | None = None,
        path: Path | None = None,
    ) -> DipResult:
        """Ends the operation with the worst outcome of its events and writes its logbook."""
        with self.platform.database.unit_of_work() as session:
            logbook = OperationLog(session, scope.tenant)
            recorded = [Outcome(event.outcome) for event in logbook.events(operation_id)]
            logbook.record(operation_id, events)
            outcome = worst([*recorded, *(event.outcome for event in events)])
            operation = logbook.get(operation_id)
            delivered = path is not None
            operation.units = len(plan.units) if plan and delivered else 0
            operation.objects = len(plan.binaries) if plan and delivered else 0
            operation.total_bytes = package_size
            message = (
                _summary(self.kind, operation, plan) if delivered else _failure(self.kind, outcome, events)
            )
            logbook.finish(operation, outcome, message)
            result = DipResult(
                operation_id,
                outcome,
                operation.units,
                operation.objects,
                operation.total_bytes,
                digest,
                message,
                path,
                tuple(plan.refusals) if plan else (),
            )
        self.platform.write_operation_logbook(scope.tenant, operation_id)
        return result

    # -- after: status and download ------------------------------------------------------------

    def status(self, scope: AccessScope, operation_id: str) -> dict[str, Any]:
        """The export's state; `bytes` is the ZIP's size once ready (the estimate until then)."""
        with self.platform.database.unit_of_work() as session:
            logbook = OperationLog(session, scope.tenant)
            operation = self._owned(logbook, scope, operation_id)
            events = logbook.events(operation_id)
        digest = next(
            (event.message.rsplit(": ", 1)[1] for event in events if event.step == self.kind.digest), None
        )
        return {
            "operation_id": operation.id,
            "status": operation.status,
            "outcome": operation.outcome,
            "message": operation.message,
            "ready": self._ready(scope, operation),
            "units": operation.units,
            "objects": operation.objects,
            "bytes": operation.total_bytes,
            "digest": digest,
            "digest_algorithm": "SHA-512" if digest else None,
            "refused": sum(1 for event in events if event.step == self.kind.object_refused),
        }

    def package(self, scope: AccessScope, operation_id: str) -> Path:
        """The ZIP of a finished export of this tenant and contract (Conflict while not ready)."""
        with self.platform.database.unit_of_work() as session:
            operation = self._owned(OperationLog(session, scope.tenant), scope, operation_id)
        noun = self.kind.noun
        if operation.status != "DONE":
            raise Conflict(f"{noun} {operation_id} is still being built: try again later")
        if operation.outcome not in (Outcome.OK.value, Outcome.WARNING.value):
            raise Conflict(
                f"{noun} {operation_id} ended {operation.outcome}: no package ({operation.message})"
            )
        path = self.path(scope.tenant, operation_id)
        if not path.is_file():
            raise NotFound(
                f"{noun} {operation_id} is no longer kept here (the command line hands its ZIP over)"
            )
        return path

    def _ready(self, scope: AccessScope, operation: Operation) -> bool:
        return (
            operation.status == "DONE"
            and operation.outcome in (Outcome.OK.value, Outcome.WARNING.value)
            and self.path(scope.tenant, operation.id).is_file()
        )

    def _owned(self, logbook: OperationLog, scope: AccessScope, operation_id: str) -> Operation:
        """The export if it is this tenant's and was made under the caller's contract."""
        noun = self.kind.noun
        operation = logbook.scope.find(Operation, id=operation_id)
        if operation is None or operation.type != self.kind.operation:
            raise NotFound(f"{noun} {operation_id} not found in tenant {scope.tenant}")
        request = next(
            (event for event in logbook.events(operation_id) if event.step == self.kind.request), None
        )
        if request is None or request.target != scope.contract_id:
            raise NotFound(
                f"{noun} {operation_id} not found under access contract {scope.contract_id or OPERATOR}"
            )
        return operation


def _delivered(kind: PackageKind, plan: DipPlan, package: WrittenPackage) -> list[Finding]:
    """The events of a package written: what it holds, its manifest's schema check, its digest."""
    manifest = package.manifest
    if manifest.official:
        checked = Finding(
            kind.manifest, Outcome.OK, f"manifest valid against the SEDA {manifest.version} XSD"
        )
    else:
        checked = Finding(
            kind.manifest,
            Outcome.WARNING,
            f"manifest in SEDA {manifest.version}, valid with SEDA's extension points open: units carry "
            f"extension elements their transfer wrote ({'; '.join(manifest.errors[:3])})",
        )
    written = (
        f"{len(plan.units)} units, {package.objects} binaries ({package.content_bytes} bytes) written, "
        "each checked against its SHA-512"
    )
    digest = f"SHA-512 of the {kind.noun} ({package.size} bytes): {package.sha512}"
    return [
        Finding(kind.packaging, Outcome.OK, written),
        checked,
        Finding(kind.digest, Outcome.OK, digest, target=package.path.name),
    ]


def _failure(kind: PackageKind, outcome: Outcome, events: list[Finding]) -> str:
    reasons = [event.message for event in events if event.outcome.rank >= Outcome.KO.rank]
    return f"no {kind.noun} ({outcome.value})" + (f": {reasons[0]}" if reasons else "")


def _summary(kind: PackageKind, operation: Operation, plan: DipPlan | None) -> str:
    refused = len(plan.refusals) if plan else 0
    left_out = f", {refused} object{'s' if refused > 1 else ''} left out" if refused else ""
    return (
        f"{kind.noun} ready: {operation.units} units, {operation.objects} binaries, "
        f"{operation.total_bytes} bytes{left_out}"
    )
