"""Audits of the offers as logbook operations: every copy present (existence) or intact (integrity).

An audit is an operation of the tenant (`AUDIT_EXISTENCE`, `AUDIT_INTEGRITY`): `submit`
records it and returns its id at once, `run` goes through the selected objects and closes
it. Its logbook is the audit report an expert reads later, in the reference system's step
names:

- `PROCESS_AUDIT`: what was asked (kind, objects, offers, repair or not);
- `LIST_OBJECTS`: how many objects and bytes the selection held when the audit began;
- `AUDIT_FILE_EXISTING` / `AUDIT_FILE_INTEGRITY`: one event per faulty copy, its code the
  kind of fault (`...INTEGRITY.CORRUPT.KO`), its target the object, its message the offer;
  WARNING when the audit repaired that copy, KO when the fault remains;
- `AUDIT_REPAIR`: one event per repair tried: OK with the offer the healthy copy came from,
  or KO (`UNREPAIRABLE`) when no offer held a healthy copy; the object is never deleted;
- `REPORT_AUDIT`: the summary, also the operation's message.

The outcome is OK (no fault), WARNING (faults, all repaired) or KO (faults remain).
While it runs, the operation's `objects` and `bytes` count what is done and its message
says how far it is, so `GET /operations/{id}` shows progress. Repairs are never journaled
for rollback (`pending_writes`): they put back recorded content, which must survive a crash.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from archipel.admin import service as admin
from archipel.ingest.context import Progress, no_progress
from archipel.ingest.findings import Finding, Outcome, fatal, ko
from archipel.logbook.closing import close_operation
from archipel.logbook.service import OperationLog
from archipel.storage import layout
from archipel.storage.copies import AuditKind, Fault, ObjectVerdict, check_object, repair_object
from archipel.storage.selection import Selection, StoredObject
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

OPERATION_TYPES = {AuditKind.EXISTENCE: "AUDIT_EXISTENCE", AuditKind.INTEGRITY: "AUDIT_INTEGRITY"}
CHECK_STEPS = {AuditKind.EXISTENCE: "AUDIT_FILE_EXISTING", AuditKind.INTEGRITY: "AUDIT_FILE_INTEGRITY"}
REQUEST_STEP, LIST_STEP = "PROCESS_AUDIT", "LIST_OBJECTS"
REPAIR_STEP, REPORT_STEP = "AUDIT_REPAIR", "REPORT_AUDIT"
OBJECTS, BYTES = "objects", "bytes"
"""The phases given to `Progress`: objects done of the total, bytes (recorded sizes) done of the total."""

FLUSH_SECONDS = 5.0
"""How often events and progress are written: a watcher never waits on a page of large objects."""
FLUSH_EVENTS = 500
"""Events written at once at most, however fast faults come (an offer lost whole)."""


@dataclass(frozen=True)
class AuditRequest:
    """What to audit: which kind of check, on which objects, and whether to repair."""

    kind: AuditKind
    selection: Selection
    repair: bool = False

    @property
    def tenant(self) -> int:
        return self.selection.tenant

    def describe(self, offers: list[str]) -> str:
        repair = "faulty copies repaired from a healthy one" if self.repair else "no repair"
        where = ", ".join(offers)
        return f"{self.kind.value} audit of {self.selection.describe()} on offers {where}; {repair}"


class FaultTally:
    """What every audit report says of its faulty copies: how many were repaired, and the outcome:
    OK (no fault), WARNING (faults, all repaired) or KO (faults remain)."""

    faults: list[Fault]

    @property
    def repaired(self) -> int:
        return sum(1 for fault in self.faults if fault.repaired)

    @property
    def unrepaired(self) -> int:
        return len(self.faults) - self.repaired

    @property
    def outcome(self) -> Outcome:
        if not self.faults:
            return Outcome.OK
        return Outcome.KO if self.unrepaired else Outcome.WARNING


@dataclass
class AuditReport(FaultTally):
    """What an audit found; `bytes` sums the recorded sizes of the objects checked, `bytes_read`
    what was read from the offers to check them (every copy, for an integrity audit)."""

    operation_id: str
    kind: AuditKind
    checked: int = 0
    bytes: int = 0
    bytes_read: int = 0
    faults: list[Fault] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.kind.value} audit: {self.checked} objects checked ({self.bytes} bytes), "
            f"{len(self.faults)} faulty copies, {self.repaired} repaired, {self.unrepaired} remaining"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "kind": self.kind.value,
            "outcome": self.outcome.value,
            "checked": self.checked,
            "bytes": self.bytes,
            "bytes_read": self.bytes_read,
            "faults": [fault.as_dict() for fault in self.faults],
            "repaired": self.repaired,
        }


class AuditService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def submit(self, request: AuditRequest, agent: str | None = None) -> str:
        """Checks the request against the tenant's holdings and records the operation; returns its id."""
        offers = [offer.name for offer in self.platform.storage.offers]
        with self.platform.database.unit_of_work() as session:
            admin.require_tenant(session, request.tenant)
            request.selection.validate(session)
            logbook = OperationLog(session, request.tenant)
            operation = logbook.start(OPERATION_TYPES[request.kind], agent=agent, changes_holdings=False)
            operation.message = "waiting for a worker"
            logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, request.describe(offers))])
        return operation.id

    def submit_background(self, request: AuditRequest, agent: str | None = None) -> str:
        """`submit`, then the audit runs on a worker."""
        operation_id = self.submit(request, agent)
        self.platform.tasks.submit(
            Job(request.tenant, operation_id, "audit"), self.run, operation_id, request
        )
        return operation_id

    def run(self, operation_id: str, request: AuditRequest, progress: Progress = no_progress) -> AuditReport:
        """Audits the selected objects and closes the operation, FATAL if the audit itself failed."""
        report = AuditReport(operation_id, request.kind)
        try:
            self._audit(request, report, progress)
        except Exception as error:
            log.exception("audit %s failed", operation_id)
            message = f"the audit stopped on a technical failure after {report.checked} objects: {error}"
            close_operation(self.platform, request.tenant, operation_id, fatal(REPORT_STEP, message))
            raise
        close_operation(
            self.platform,
            request.tenant,
            operation_id,
            Finding(REPORT_STEP, report.outcome, report.summary()),
        )
        return report

    def _audit(self, request: AuditRequest, report: AuditReport, progress: Progress) -> None:
        with self.platform.database.unit_of_work() as session:
            total, total_bytes = request.selection.totals(session)
            OperationLog(session, request.tenant).record(
                report.operation_id,
                [Finding(LIST_STEP, Outcome.OK, f"{total} objects ({total_bytes} bytes) to check")],
            )

        def running() -> tuple[int, int, str]:
            return (
                report.checked,
                report.bytes,
                f"{request.kind.value} audit running: {report.checked} of {total} objects, "
                f"{report.bytes} of {total_bytes} bytes, {len(report.faults)} faulty copies",
            )

        journal = OperationJournal(self.platform, request.tenant, report.operation_id, running)
        try:
            for verdict in self._verdicts(request):
                report.checked += 1
                report.bytes += verdict.object.size or 0
                report.bytes_read += verdict.bytes_read
                if verdict.faults:
                    faults = self._settle(request, verdict)
                    report.faults.extend(faults)
                    journal.add([finding for fault in faults for finding in fault_findings(request, fault)])
                progress(OBJECTS, report.checked, total)
                progress(BYTES, report.bytes, total_bytes)
                journal.flush_if_due()
        except BaseException:
            with contextlib.suppress(Exception):  # keep what was found before the failure
                journal.flush()
            raise
        journal.flush()

    def _verdicts(self, request: AuditRequest) -> Iterator[ObjectVerdict]:
        """Every selected object checked on every offer, in id order; objects checked side by side
        (`workers` threads: reading and hashing release the interpreter's lock)."""
        offers = self.platform.storage.offers

        def check(stored: StoredObject) -> ObjectVerdict:
            return check_object(offers, layout.object_key(request.tenant, stored.id), stored, request.kind)

        with ThreadPoolExecutor(self.platform.settings.workers, thread_name_prefix="archipel-audit") as pool:
            for page in request.selection.pages(self.platform.database):
                yield from pool.map(check, page)

    def _settle(self, request: AuditRequest, verdict: ObjectVerdict) -> list[Fault]:
        """The faults of one object as they stand after repair (if asked); none for an object the
        index no longer holds (it left the archive during the audit: never bring it back)."""
        with self.platform.database.unit_of_work() as session:
            if not request.selection.still_held(session, [verdict.object.id]):
                return []
        if not request.repair:
            return verdict.faults
        key = layout.object_key(request.tenant, verdict.object.id)
        return repair_object(self.platform.storage.offers, key, verdict)


class OperationJournal:
    """Writes a long operation's events and progress to it in short transactions, as it goes.

    `progress()` gives what the operation row shows meanwhile: (objects done, bytes done,
    message), so `GET /operations/{id}` follows it. Shared by the audits of this module and
    the offer-versus-offer audit (`archipel.storage.offer_audit`).
    """

    def __init__(
        self, platform: Platform, tenant: int, operation_id: str, progress: Callable[[], tuple[int, int, str]]
    ) -> None:
        self.platform = platform
        self.tenant = tenant
        self.operation_id = operation_id
        self.progress = progress
        self.pending: list[Finding] = []
        self.flushed = time.monotonic()

    def add(self, findings: list[Finding]) -> None:
        self.pending.extend(findings)

    def flush_if_due(self) -> None:
        if time.monotonic() - self.flushed >= FLUSH_SECONDS or len(self.pending) >= FLUSH_EVENTS:
            self.flush()

    def flush(self) -> None:
        with self.platform.database.unit_of_work() as session:
            logbook = OperationLog(session, self.tenant)
            if self.pending:
                logbook.record(self.operation_id, self.pending)
            operation = logbook.get(self.operation_id)
            operation.objects, operation.total_bytes, operation.message = self.progress()
        self.pending = []
        self.flushed = time.monotonic()


class AuditedCopy(Protocol):
    """What the logbook says of a faulty copy, whatever the audit that found it."""

    @property
    def object(self) -> str: ...
    @property
    def offer(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def kind(self) -> Enum: ...
    @property
    def repaired(self) -> bool: ...
    @property
    def repaired_from(self) -> str | None: ...
    @property
    def repair_failure(self) -> str | None: ...


def fault_findings(request: AuditRequest, fault: Fault) -> list[Finding]:
    """The logbook events of one faulty copy: the fault, then the repair tried, if any."""
    return copy_findings(CHECK_STEPS[request.kind], request.repair, fault)


def copy_findings(step: str, repair: bool, fault: AuditedCopy) -> list[Finding]:
    """The fault as an event of `step` (WARNING once repaired, else KO), then the `AUDIT_REPAIR`
    event of the repair tried, if `repair` was asked."""
    outcome = Outcome.WARNING if fault.repaired else Outcome.KO
    found = Finding(step, outcome, fault.detail, fault.kind.name, fault.object)
    if not repair:
        return [found]
    if fault.repaired:
        message = (
            f"offer {fault.offer}: copy restored from offer {fault.repaired_from}, "
            "its SHA-512 verified after the write"
        )
        return [found, Finding(REPAIR_STEP, Outcome.OK, message, "REPAIRED", fault.object)]
    message = f"offer {fault.offer}: not repaired ({fault.repair_failure}); the object is kept as it is"
    return [found, ko(REPAIR_STEP, message, "UNREPAIRABLE", fault.object)]
