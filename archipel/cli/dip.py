"""`archipel dip export`: a selection of archive units delivered as a DIP (ZIP + SEDA manifest).

The export runs in this process as an `EXPORT_DIP` operation of the tenant's logbook, with
its progress on stderr, and the ZIP is moved to `-o` once complete. Without `--contract`
it runs as the server's operator, who holds the database and the offers anyway; with one,
exactly what that contract would receive over HTTP. Exit 1 when the operation failed
(nothing selected, a copy that cannot be read); objects left out by the contract are a
WARNING, listed, and the exit is 0.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.orm import Session

from archipel.access.dip import DipRequest, DipService
from archipel.access.scope import AccessScope
from archipel.cli.access import cli_scope, parse_request
from archipel.cli.instance import JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, err, out
from archipel.core.errors import InvalidRequest, NotFound
from archipel.ingest.findings import Outcome

dip_app = typer.Typer(
    help="DIPs: archive units delivered to a requester (ZIP + SEDA manifest).", no_args_is_help=True
)


@dip_app.command("export")
def export(
    tenant: TenantOpt,
    query: Annotated[
        str, typer.Option("--query", help="the units: a search request (JSON), @FILE, or words")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="the DIP ZIP to write")],
    contract: Annotated[
        str | None, typer.Option("--contract", help="the access contract (default: the operator, no limit)")
    ] = None,
    requester: Annotated[
        str | None, typer.Option("--requester", help="who asked for it (SEDA Requester)")
    ] = None,
    request_id: Annotated[
        str | None, typer.Option("--request-id", help="the requester's reference (MessageRequestIdentifier)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Export the units a query selects as a DIP (exit 1 if the export failed)."""
    request = DipRequest(query=query_request(query), requester=requester, request_identifier=request_id)
    with tenant_instance(tenant) as instance:
        with instance.database.unit_of_work() as session:
            scope = _scope(session, tenant, contract)
        run_export(DipService(instance), scope, request, output, json_)


def run_export(
    service: DipService, scope: AccessScope, request: DipRequest, output: Path, json_: bool
) -> None:
    """Runs an export in this process with its progress on stderr, moves its ZIP to `output`,
    prints the outcome; exit 1 when it failed. A transfer's export is run the same way."""
    operation_id = service.submit(scope, request)
    with bytes_bar(service.kind.noun) as progress:
        result = service.run(scope, operation_id, request, progress)
    if result.path is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(result.path, output)
    summary = {**result.as_dict(), "file": str(output) if result.path is not None else None}
    if json_:
        emit_json(summary)
    else:
        print_export(summary)
    if result.outcome.rank >= Outcome.KO.rank:
        raise typer.Exit(1)


def query_request(text: str) -> dict[str, Any]:
    """`--query`: a JSON search request, `@FILE` holding one, or plain words."""
    source = text
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise InvalidRequest(f"{path}: no such file")
        source = path.read_text(encoding="utf-8")
    request = parse_request(source, limit=1)
    if not source.lstrip().startswith("{"):  # words: every unit holding them, not a first page
        request.pop("$filter", None)
    return request


def _scope(session: Session, tenant: int, contract: str | None) -> AccessScope:
    try:
        return cli_scope(session, tenant, contract)
    except NotFound as unknown:  # a contract named wrong is bad usage, like an unknown tenant
        raise InvalidRequest(unknown.message) from unknown


def print_export(summary: dict[str, Any]) -> None:
    """An export's outcome, its package and what it left out, for a person."""
    outcome = summary["outcome"]
    colour = {"OK": "green", "WARNING": "yellow"}.get(outcome, "red")
    out.print(f"[{colour}]{outcome}[/{colour}] operation {summary['operation_id']}: {summary['message']}")
    if summary["file"]:
        out.print(f"  {summary['file']}  SHA-512 {summary['digest']}", highlight=False)
    for refusal in summary["refused"]:
        out.print(f"  left out {refusal['object']} ({refusal['code']}): {refusal['reason']}", highlight=False)


@contextmanager
def bytes_bar(label: str = "DIP") -> Iterator[Callable[[str, int, int], None]]:
    """The bytes written so far, on stderr, only when stderr is a terminal (never in a pipe)."""
    columns = (TextColumn(label), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(phase: str, done: int, total: int) -> None:
            if phase == "bytes":
                bar.update(task, completed=done, total=total or None)

        yield update
