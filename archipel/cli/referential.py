"""`archipel referential …`: a tenant's referentials from the command line, over `ReferentialService`.

Files go in and out in Vitam's layouts (INTERFACE.md, "Referential files"), so an archivist
round-trips the spreadsheet they already keep. A refused change is an answer, not a crash:
its report is printed like an accepted one (every bad line, by its number in the file) and
the command exits 1; bad usage (unknown kind, tenant or file) exits 2 through `main`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, fail, out, table
from archipel.core.errors import InvalidRequest, NotFound
from archipel.referential.filing import KIND as FILING_KIND
from archipel.referential.filing import filing_report, import_filing_tree
from archipel.referential.kinds import KINDS, ReferentialKind, kind_named
from archipel.referential.report import ImportRefused, ImportReport
from archipel.referential.service import ReferentialService

referential_app = typer.Typer(
    help="Referentials: management rules, agencies, contracts, profiles… in Vitam's file layouts.",
    no_args_is_help=True,
)

STDOUT = "-"
SHOWN_FIELDS = 5
"""Columns of `list` for people: the identifier and the first short fields (`--json` has them all)."""

KindArg = Annotated[
    str, typer.Argument(metavar="KIND", help=f"one of {', '.join(KINDS)} (import: also {FILING_KIND})")
]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="the entry's identifier (RuleId, Identifier…)")]


@contextmanager
def _service(tenant: int, kind: str) -> Iterator[ReferentialService]:
    """The service on the instance, once the kind and the tenant are known to exist (else exit 2)."""
    kind_named(kind)
    with tenant_instance(tenant) as instance:
        yield ReferentialService(instance)


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidRequest(f"{path}: no such file")
    return path.read_bytes()


def _change(json_: bool, change: Callable[[], ImportReport]) -> None:
    """Runs one change and prints its report; a refusal prints the same report and exits 1."""
    try:
        report = change()
    except ImportRefused as refusal:
        _print_report(refusal.report, json_)
        fail(refusal.message)
        raise typer.Exit(1) from None
    _print_report(report, json_)


def _print_report(report: ImportReport, json_: bool) -> None:
    if json_:
        emit_json(report.as_dict())
    elif report.errors:
        table(
            f"{report.kind}: refused, nothing changed ({len(report.errors)} fault(s))",
            ["line", "identifier", "message"],
            [[error.line or "", error.identifier, error.message] for error in report.errors],
        )
    else:
        out.print(
            f"{report.kind}: {report.imported} imported ({len(report.created)} created, "
            f"{len(report.updated)} updated, {len(report.deleted)} deleted), "
            + (f"version {report.version}, " if report.version is not None else "")
            + f"operation {report.operation_id}",
            highlight=False,
            markup=False,
        )


@referential_app.command("import")
def import_file(
    kind: KindArg,
    file: Annotated[Path, typer.Argument(help="the file, in Vitam's layout for the kind")],
    tenant: TenantOpt,
    json_: JsonOpt = False,
    plan: Annotated[bool, typer.Option("--plan", help=f"{FILING_KIND}: a classification plan")] = False,
) -> None:
    """Import a file: all or nothing (refused: exit 1 with every bad line).

    KIND `filing-tree` imports a holding tree (arbre de positionnement), or with --plan a
    classification plan (plan de classement): CSV `id,parent id,title,level,description` or
    a SEDA ZIP of units; its nodes become units other transfers attach under.
    """
    if kind == FILING_KIND:
        with tenant_instance(tenant) as instance:
            data = _read(file)
            _change(
                json_,
                lambda: filing_report(import_filing_tree(instance, tenant, data, plan, AGENT, file.name)),
            )
        return
    with _service(tenant, kind) as service:
        data = _read(file)
        _change(json_, lambda: service.import_file(tenant, kind, data, AGENT, file.name))


@referential_app.command("export")
def export_file(
    kind: KindArg,
    tenant: TenantOpt,
    output: Annotated[str, typer.Option("-o", "--output", help="file to write; - for stdout")] = STDOUT,
    json_: Annotated[bool, typer.Option("--json", help="with -o FILE: print what was written")] = False,
) -> None:
    """Write the referential as a file in Vitam's layout (to stdout without -o)."""
    target = None if output == STDOUT else Path(output)
    if target is None and json_:
        raise InvalidRequest("--json needs -o FILE: the exported file itself goes to stdout")
    if target is not None and not target.parent.is_dir():
        raise InvalidRequest(f"{target.parent}: no such folder")
    with _service(tenant, kind) as service:
        data = service.export_file(tenant, kind)
    if target is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    result = {"kind": kind, "file": str(target), "bytes": len(data)}
    emit_json(result) if json_ else out.print(
        f"{target}: {kind}, {len(data)} bytes", highlight=False, markup=False
    )


@referential_app.command("list")
def list_entries(kind: KindArg, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """List the entries the tenant sees (its own, and the shared ones)."""
    with _service(tenant, kind) as service:
        documents = service.entries(tenant, kind)
    if json_:
        emit_json(documents)
        return
    columns = _summary_columns(kind_named(kind), documents)
    view = Table(title=f"{kind_named(kind).label} of tenant {tenant} ({len(documents)})")
    widest = max((len(str(document.get(columns[0]))) for document in documents), default=0)
    view.add_column(columns[0], no_wrap=True, min_width=widest)  # an identifier is never cut
    for column in columns[1:]:
        view.add_column(column)
    for document in documents:
        view.add_row(
            *("" if document.get(column) is None else str(document.get(column)) for column in columns)
        )
    out.print(view)


def _summary_columns(kind: ReferentialKind, documents: list[dict[str, Any]]) -> list[str]:
    """The identifier, then the first fields short enough to recognise an entry by."""
    columns = [kind.id_field]
    for document in documents:
        for name, value in document.items():
            if len(columns) == SHOWN_FIELDS:
                return columns
            short = isinstance(value, str | int | float | bool) and not name.endswith("Description")
            if short and name not in columns:
                columns.append(name)
    return columns


@referential_app.command("show")
def show_entry(kind: KindArg, identifier: IdArg, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Show one entry."""
    with _service(tenant, kind) as service:
        document = service.get(tenant, kind, identifier)
    emit_json(document) if json_ else out.print_json(data=document)


@referential_app.command("history")
def entry_history(kind: KindArg, identifier: IdArg, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Every version of one entry: created, updated, deleted, by which operation."""
    with _service(tenant, kind) as service:
        changes = service.history(tenant, kind, identifier)
    if not changes:
        raise NotFound(f"{kind_named(kind).label}: {identifier} has no history in tenant {tenant}")
    if json_:
        emit_json(changes)
        return
    table(
        f"{identifier} ({kind})",
        ["version", "action", "operation", "changed"],
        [[c["version"], c["action"], c["operation_id"], c["changed"]] for c in changes],
    )


@referential_app.command("delete")
def delete_entry(kind: KindArg, identifier: IdArg, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Delete one entry (refused, exit 1, while archives depend on it)."""
    with _service(tenant, kind) as service:
        _change(json_, lambda: service.delete(tenant, kind, identifier, AGENT))


@referential_app.command("attach")
def attach_file(
    kind: KindArg,
    identifier: IdArg,
    file: Annotated[Path, typer.Argument(help="the file (an archive profile's RelaxNG or XSD)")],
    tenant: TenantOpt,
    json_: JsonOpt = False,
) -> None:
    """Attach a file to an entry (an archive profile's RelaxNG or XSD); refused: exit 1."""
    with _service(tenant, kind) as service:
        data = _read(file)
        _change(json_, lambda: service.attach_file(tenant, kind, identifier, data, AGENT))
