"""`archipel logbook ...`: operations, lifecycles, securing and verifying the logbooks.

Thin, like every command: each calls a service of `archipel.logbook` and prints its result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, out, table
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.securing import entry_proof_of, secure
from archipel.logbook.service import OperationLog, OperationView
from archipel.logbook.verification import verify_logbooks

logbook_app = typer.Typer(
    help="Logbooks: operations, lifecycles, securing, verification.", no_args_is_help=True
)


@logbook_app.command("operations")
def logbook_operations(tenant: TenantOpt, limit: int = 100, json_: JsonOpt = False) -> None:
    """List operations with their events."""
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        rows = [OperationView(op, logbook.events(op.id)).as_dict() for op in logbook.operations(limit)]
    if json_:
        emit_json(rows)
    else:
        table(
            f"Operations of tenant {tenant}",
            ["id", "type", "status", "outcome", "started", "message"],
            [[r["id"], r["type"], r["status"], r["outcome"], r["started"], r["message"][:80]] for r in rows],
        )


@logbook_app.command("operation")
def logbook_operation(
    operation_id: str,
    tenant: TenantOpt,
    json_: JsonOpt = False,
    reply: Annotated[Path | None, typer.Option("--reply", help="write the ATR here")] = None,
) -> None:
    """One operation with its events (and its reply with --reply)."""
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        view = OperationView(logbook.get(operation_id), logbook.events(operation_id))
    if reply is not None and view.operation.reply:
        reply.write_bytes(view.operation.reply)
    if json_:
        emit_json(view.as_dict())
    else:
        out.print_json(data=view.as_dict())


@logbook_app.command("lifecycle")
def logbook_lifecycle(subject_id: str, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """The lifecycle logbook of an archive unit (or an object group), oldest first."""
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        result = lifecycle(session, tenant, subject_id)
    if json_:
        emit_json(result)
        return
    table(
        f"Lifecycle of {result['kind']} {subject_id}",
        ["date", "event", "outcome", "operation", "detail", "position"],
        [
            [
                e["date"],
                e["event"],
                e["outcome"],
                e["operation_id"],
                e["detail"],
                (e["chain"] or {}).get("position"),
            ]
            for e in result["lifecycle"]
        ],
    )


@logbook_app.command("secure")
def logbook_secure(tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Seal every entry since the last securing under a time-stamped Merkle root (traçabilité)."""
    with tenant_instance(tenant) as instance:
        result = secure(instance, tenant, AGENT)
    if json_:
        emit_json(result.as_dict())
    elif result.operation_id is None:
        out.print(result.message)
    else:
        out.print(f"{result.message}\n  operation {result.operation_id}\n  root {result.root}")


@logbook_app.command("verify")
def logbook_verify(tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Recompute every chain and re-prove every securing file (exit 1 if anything is wrong)."""
    with tenant_instance(tenant) as instance:
        report = verify_logbooks(instance, tenant)
    if json_:
        emit_json(report.as_dict())
    else:
        verdict = "[green]OK[/green]" if report.ok else f"[red]{len(report.faults)} fault(s)[/red]"
        out.print(f"{verdict}: {report.entries} entries and {report.securings} securing files checked")
        for fault in report.faults:
            out.print(f"  {fault.entry}: {fault.detail}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@logbook_app.command("proof")
def logbook_proof(entry_id: str, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """The Merkle proof that an entry (operation or lifecycle entry id) is under a secured root."""
    with tenant_instance(tenant) as instance:
        proof = entry_proof_of(instance, tenant, entry_id)
    if json_:
        emit_json(proof)
    else:
        out.print_json(data=proof)
