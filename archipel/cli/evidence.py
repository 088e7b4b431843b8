"""`archipel evidence export` and `archipel verify`: a unit's evidence bundle, and checking one offline.

`evidence export` runs on the instance (as its operator, or under `--contract`) and exits 1
when a check failed: the bundle is written all the same, since a bundle that shows the
failure is evidence too. `verify` needs nothing but the bundle: no instance, no database,
no server (`archipel.logbook.verifier`); it exits 1 and lists what failed when anything
was tampered with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from archipel.cli.access import ContractOpt, cli_scope
from archipel.cli.instance import JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, out
from archipel.core.errors import InvalidRequest, NotFound
from archipel.logbook.bundle import export_bundle

evidence_app = typer.Typer(
    help="Evidence of probative value: a unit's report and bundle (relevé de valeur probante).",
    no_args_is_help=True,
)


@evidence_app.command("export")
def export(
    unit_id: Annotated[str, typer.Argument(help="the archive unit")],
    tenant: TenantOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="the bundle ZIP to write")],
    contract: ContractOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Write a unit's evidence bundle (report.json, report.pdf, files, binaries); exit 1 if a check failed."""
    with tenant_instance(tenant) as instance:
        with instance.database.unit_of_work() as session:
            try:
                scope = cli_scope(session, tenant, contract)
            except NotFound as unknown:  # a contract named wrong is bad usage
                raise InvalidRequest(unknown.message) from unknown
        evidence = export_bundle(instance, scope, unit_id, output)
    summary = {"unit": evidence.unit_id, "file": str(output), "ok": evidence.ok, "checks": evidence.checks}
    _show(summary, json_)
    if not evidence.ok:
        raise typer.Exit(1)


def verify(
    bundle: Annotated[Path, typer.Argument(help="the evidence bundle ZIP")],
    ca: Annotated[
        Path | None,
        typer.Option(
            "--ca",
            help="PEM certificates of the time-stamping authority to trust (default: the bundled ones)",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Verify an evidence bundle offline (no database, no server); exit 1 if anything does not hold."""
    from archipel.logbook.tsa import load_certificates
    from archipel.logbook.verifier import verify_bundle

    if not bundle.is_file():
        raise InvalidRequest(f"{bundle}: no such file")
    if ca is not None and not ca.is_file():
        raise InvalidRequest(f"{ca}: no such file")
    try:
        trusted = load_certificates(ca.read_bytes()) if ca is not None else None
    except ValueError as error:
        raise InvalidRequest(f"{ca}: not PEM certificates ({error})") from error
    verdict = verify_bundle(bundle, trusted)
    _show(verdict.as_dict(), json_)
    if not verdict.ok:
        raise typer.Exit(1)


def _show(result: dict[str, Any], json_: bool) -> None:
    if json_:
        emit_json(result)
        return
    failed = [check for check in result["checks"] if not check["ok"]]
    for check in result["checks"]:
        mark = "[green]ok[/green]    " if check["ok"] else "[red]FAILED[/red]"
        out.print(f"{mark} {escape(check['name'])}: {escape(check['detail'])}", highlight=False)
    colour, verdict = (
        ("green", "all checks hold") if not failed else ("red", f"{len(failed)} check(s) failed")
    )
    out.print(f"[{colour}]{verdict}[/{colour}] ({len(result['checks'])} checks)")
