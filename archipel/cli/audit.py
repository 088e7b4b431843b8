"""`archipel audit existence|integrity|offers`: check every copy of a tenant's objects on every offer,
or compare the offers with each other key by key (`offers`).

The audit runs in this process, as an operation of the tenant's logbook, with its progress
on stderr. Exit 1 when faults remain (not repaired, or no healthy copy to repair them
from), 0 when every copy is sound or was repaired, 2 on bad usage.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import filesize
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, err, out
from archipel.storage.audit import BYTES, AuditReport, AuditRequest, AuditService
from archipel.storage.copies import AuditKind
from archipel.storage.offer_audit import OfferAuditReport, OfferAuditService
from archipel.storage.selection import ObjectSelection

audit_app = typer.Typer(
    help="Audits of the offers: every copy present (existence) or intact (integrity), the offers "
    "compared with each other (offers), with --repair.",
    no_args_is_help=True,
)

RepairOpt = Annotated[
    bool, typer.Option("--repair", help="restore faulty copies from a healthy copy on another offer")
]
UnitOpt = Annotated[
    list[str] | None, typer.Option("--unit", help="only the objects of this archive unit (repeatable)")
]
OperationOpt = Annotated[
    str | None, typer.Option("--operation", help="only the objects archived by this ingest operation")
]


def _register(kind: AuditKind, summary: str) -> None:
    """One sub-command per kind of audit; they differ only in the check they ask for."""

    def command(
        tenant: TenantOpt,
        repair: RepairOpt = False,
        unit: UnitOpt = None,
        operation: OperationOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        _audit(kind, tenant, repair, unit, operation, json_)

    command.__doc__ = f"{summary} (exit 1: faults remain)."
    audit_app.command(kind.value)(command)


_register(AuditKind.INTEGRITY, "Read every copy and compare its SHA-512 with the one recorded at ingest")
_register(AuditKind.EXISTENCE, "Check every copy is present with its recorded size, without reading it")


def _audit(
    kind: AuditKind, tenant: int, repair: bool, units: list[str] | None, operation: str | None, json_: bool
) -> None:
    selection = ObjectSelection(tenant, tuple(units or ()), operation)
    request = AuditRequest(kind, selection, repair)
    with tenant_instance(tenant) as instance:
        service = AuditService(instance)
        operation_id = service.submit(request, agent=AGENT)
        with _ProgressBars() as bars:
            report = service.run(operation_id, request, bars.update)
    _show(report, json_)


@audit_app.command("offers")
def audit_offers(tenant: TenantOpt, repair: RepairOpt = False, json_: JsonOpt = False) -> None:
    """Compare every key of the tenant between the offers: presence, size, SHA-512 (exit 1: faults remain)."""
    with tenant_instance(tenant) as instance:
        service = OfferAuditService(instance)
        operation_id = service.submit(tenant, repair, agent=AGENT)
        with _ProgressBars() as bars:
            report = service.run(operation_id, tenant, repair, bars.update)
    _show(report, json_)


def _show(report: AuditReport | OfferAuditReport, json_: bool) -> None:
    """The report on stdout (one JSON document, or lines for people); exit 1 while faults remain."""
    if json_:
        emit_json(report.as_dict())
    else:
        _print_report(report)
    if report.unrepaired:
        raise typer.Exit(1)


class _ProgressBars:
    """Objects and bytes done, on stderr, only when stderr is a terminal (never in a pipe or a log)."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[done]}"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.bars: dict[str, TaskID] = {}

    def __enter__(self) -> _ProgressBars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, phase: str, done: int, total: int) -> None:
        if phase == BYTES:
            shown = f"{filesize.decimal(done)} of {filesize.decimal(total)}"
        else:
            shown = f"{done} of {total} {phase}"
        if phase not in self.bars:
            self.bars[phase] = self.progress.add_task(f"audit ({phase})", total=total or None, done=shown)
        self.progress.update(self.bars[phase], completed=done, total=total or None, done=shown)


def _print_report(report: AuditReport | OfferAuditReport) -> None:
    """The summary, then one line per faulty copy: ids are never cut, a reader copies them."""
    outcome = report.outcome.value
    colour = {"OK": "green", "WARNING": "yellow"}.get(outcome, "red")
    out.print(f"[{colour}]{outcome}[/{colour}] operation {report.operation_id}: {report.summary()}")
    for fault in report.faults:
        state = f"repaired from {fault.repaired_from}" if fault.repaired else "REMAINS"
        out.print(
            f"  {fault.kind.value:10} {fault.offer:12} {fault.object}  {state}: {fault.detail}",
            highlight=False,
            markup=False,
        )
