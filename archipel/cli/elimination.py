"""`archipel elimination analyse|request|approve|refuse|run|show`: destroying archives whose time has come.

Each step runs in this process as an operation of the tenant's logbook. Exit 0 done; 1
refused (a request not approved, already decided, asked by the same person, a unit under
hold); 2 bad usage. Without users yet, the person is named by `--user`: the approval
must come from another login than the request's (separation of duties); the approver
role is checked once users exist.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from archipel.cli.dip import query_request
from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, out, table
from archipel.core.errors import InvalidRequest
from archipel.lifecycle.elimination_action import EliminationService
from archipel.lifecycle.elimination_analysis import EliminationAnalysisService
from archipel.lifecycle.elimination_certificate import CERTIFICATE_PDF
from archipel.lifecycle.elimination_request import (
    REQUEST_FILES,
    Actor,
    create_request,
    decide,
    request_file,
    show_request,
)

elimination_app = typer.Typer(
    help="Elimination: analyse, request, approve or refuse, run (with its certificate).", no_args_is_help=True
)

UserOpt = Annotated[str | None, typer.Option("--user", help="the person acting (login)")]
OutputOpt = Annotated[Path | None, typer.Option("-o", "--output", help="PDF to write")]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as error:
        raise InvalidRequest(f"--date: not a date YYYY-MM-DD: {text!r}") from error


@elimination_app.command("analyse")
def analyse(
    tenant: TenantOpt,
    query: Annotated[
        str, typer.Option("--query", help="the units: a search request (JSON), @FILE, or words")
    ],
    day: Annotated[
        str | None, typer.Option("--date", help="reference date YYYY-MM-DD (default: today)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Which units of the query may be destroyed at the date, and why the others are kept."""
    request, when = query_request(query), _day(day)
    with tenant_instance(tenant) as instance:
        service = EliminationAnalysisService(instance)
        result = service.run(tenant, service.submit(tenant, request, when, AGENT))
    if json_:
        emit_json(result)
        return
    out.print(f"analysis {result['operation_id']}: {len(result['destroyable'])} destroyable", highlight=False)
    table("Kept", ["id", "code", "reason"], [[k["id"], k["code"], k["reason"]] for k in result["kept"]])


@elimination_app.command("request")
def request(
    operation_id: Annotated[str, typer.Argument(metavar="OPERATION_ID", help="the analysis")],
    tenant: TenantOpt,
    output: OutputOpt = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="CSV to write (default: beside -o)")] = None,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Make the elimination request (bordereau) of an analysis: PDF and CSV, also kept on the offers."""
    with tenant_instance(tenant) as instance:
        made = create_request(instance, tenant, operation_id, Actor(AGENT, user))
        if csv_file is None and output is not None:
            csv_file = output.with_suffix(".csv")
        for target, name in ((output, REQUEST_FILES[2]), (csv_file, REQUEST_FILES[1])):
            if target is not None:
                target.write_bytes(
                    request_file(instance, tenant, made["request_id"], made["request_id"], name)
                )
    emit_json(made) if json_ else out.print(
        f"request {made['request_id']}: {made['units']} unit(s), {made['bytes']} bytes", highlight=False
    )


def _decide(request_id: str, tenant: int, user: str, approve: bool, comment: str | None, json_: bool) -> None:
    with tenant_instance(tenant) as instance:
        decided = decide(instance, tenant, request_id, approve, Actor(AGENT, user), comment)
    emit_json(decided) if json_ else out.print(f"request {request_id}: {decided['status']}", highlight=False)


CommentOpt = Annotated[str | None, typer.Option("--comment", help="why (kept in the logbook)")]
RequiredUser = Annotated[str, typer.Option("--user", help="the person deciding (login)")]


@elimination_app.command("approve")
def approve(
    request_id: str, tenant: TenantOpt, user: RequiredUser, comment: CommentOpt = None, json_: JsonOpt = False
) -> None:
    """Approve a request (visa): another person than the one who asked."""
    _decide(request_id, tenant, user, True, comment, json_)


@elimination_app.command("refuse")
def refuse(
    request_id: str, tenant: TenantOpt, user: RequiredUser, comment: CommentOpt = None, json_: JsonOpt = False
) -> None:
    """Refuse a request: nothing will be destroyed."""
    _decide(request_id, tenant, user, False, comment, json_)


@elimination_app.command("run")
def run(
    request_id: str, tenant: TenantOpt, output: OutputOpt = None, user: UserOpt = None, json_: JsonOpt = False
) -> None:
    """Destroy the units of an approved request (exit 1 unless approved) and issue the certificate."""
    with tenant_instance(tenant) as instance:
        service = EliminationService(instance)
        report = service.run(tenant, service.submit(tenant, request_id, Actor(AGENT, user)), request_id)
        if output is not None:
            output.write_bytes(
                request_file(instance, tenant, request_id, report.operation_id, CERTIFICATE_PDF)
            )
    if json_:
        emit_json(report.as_dict())
        return
    out.print(
        f"{report.eliminated} unit(s) eliminated, {report.objects_deleted} binaries deleted", highlight=False
    )


@elimination_app.command("show")
def show(request_id: str, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """A request: its status, who asked and decided, its units."""
    with tenant_instance(tenant) as instance:
        shown = show_request(instance, tenant, request_id)
    if json_:
        emit_json(shown)
        return
    out.print(f"request {request_id}: {shown['status']}, asked by {shown['requested_by']}", highlight=False)
