"""`archipel tree …`: a tenant's filing trees and classification plans from the command line.

`import` reads the archivist's CSV (`id,parent id,title,level,description`) or a SEDA ZIP of
units and ingests it; `list`, `show`, `rename`, `move`, `delete` work on the archived
nodes (`archipel.metadata.tree`). Exit codes are the CLI's: 0 done, 1 refused (a faulty
file, an ingest KO, a move the rules forbid, a node not found), 2 bad usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, fail, out, print_findings, table
from archipel.core.errors import InvalidRequest
from archipel.metadata import tree
from archipel.referential.filing import import_filing_tree
from archipel.referential.report import ImportRefused, LineError

tree_app = typer.Typer(
    help="Filing trees (arbres) and classification plans (plans): import, list, show, change nodes.",
    no_args_is_help=True,
)

UnitArg = Annotated[str, typer.Argument(metavar="UNIT_ID", help="the node's system id")]


@tree_app.command("import")
def import_tree(
    file: Annotated[
        Path, typer.Argument(help="the tree: CSV id,parent id,title,level,description, or a SEDA ZIP")
    ],
    tenant: TenantOpt,
    plan: Annotated[bool, typer.Option("--plan", help="a classification plan (HOLDING_SCHEME)")] = False,
    json_: JsonOpt = False,
) -> None:
    """Import a filing tree (or with --plan a classification plan); refused: exit 1 with every bad line."""
    if not file.is_file():
        raise InvalidRequest(f"{file}: no such file")
    with tenant_instance(tenant) as instance:
        try:
            result = import_filing_tree(instance, tenant, file.read_bytes(), plan, AGENT, file.name)
        except ImportRefused as refusal:
            _print_faults(refusal.report.as_dict(), refusal.report.errors, json_)
            fail(refusal.message)
            raise typer.Exit(1) from None
    if json_:
        emit_json(result.as_dict())
    else:
        colour = "green" if result.accepted else "red"
        out.print(
            f"[{colour}]{result.reply_code}[/{colour}] {result.workflow} operation {result.operation_id}: "
            f"{result.units} nodes"
        )
        print_findings(result.events)
    if not result.accepted:
        raise typer.Exit(1)


def _print_faults(report: dict[str, Any], faults: list[LineError], json_: bool) -> None:
    if json_:
        emit_json(report)
        return
    rows = [[fault.line or "", fault.identifier, fault.message] for fault in faults]
    table(f"tree file refused, nothing imported ({len(faults)} fault(s))", ["line", "id", "message"], rows)


@tree_app.command("list")
def list_trees(tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """List the trees and plans: their root nodes, node counts and where they are attached."""
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        trees = tree.list_trees(session, tenant)
    if json_:
        emit_json(trees)
        return
    table(
        f"Trees and plans of tenant {tenant}",
        ["id", "title", "type", "nodes", "attached under"],
        [[t["id"], t["title"], t["unit_type"], t["nodes"], ", ".join(t["parents"])] for t in trees],
    )


@tree_app.command("show")
def show_tree(
    root_id: Annotated[str, typer.Argument(metavar="ROOT_ID", help="a node's system id")],
    tenant: TenantOpt,
    json_: JsonOpt = False,
) -> None:
    """Show a tree (or the part below a node), indented, with the archives attached to each node."""
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        shown = tree.show_tree(session, tenant, root_id)
    if json_:
        emit_json(shown)
        return
    stack: list[tuple[dict[str, Any], int]] = [(shown, 0)]
    while stack:
        node, depth = stack.pop()
        archives = f", {node['archives']} archive(s)" if node["archives"] else ""
        out.print(
            f"{'  ' * depth}{node['title']}  [{node['level']}, {node['unit_type']}{archives}]  {node['id']}",
            highlight=False,
            markup=False,
        )
        stack.extend((child, depth + 1) for child in reversed(node["children"]))


def _print_change(change: tree.NodeChange, json_: bool) -> None:
    if json_:
        emit_json(change.as_dict())
        return
    what = "deleted" if change.deleted else f"now version {change.version}"
    out.print(f"node {change.unit_id} {what} (operation {change.operation_id})", highlight=False)


@tree_app.command("rename")
def rename_node(
    unit_id: UnitArg,
    title: Annotated[str, typer.Argument(help="the new title")],
    tenant: TenantOpt,
    json_: JsonOpt = False,
) -> None:
    """Give a node a new title."""
    with tenant_instance(tenant) as instance:
        change = tree.rename_node(instance, tenant, unit_id, title, AGENT)
    _print_change(change, json_)


@tree_app.command("move")
def move_node(
    unit_id: UnitArg,
    tenant: TenantOpt,
    parent: Annotated[
        str | None, typer.Argument(metavar="PARENT_ID", help="the new parent's system id")
    ] = None,
    top: Annotated[bool, typer.Option("--top", help="make the node a root (no parent)")] = False,
    json_: JsonOpt = False,
) -> None:
    """Move a node, with everything under it, under another unit (or to the top with --top)."""
    if (parent is None) == (not top):
        raise InvalidRequest("give either PARENT_ID or --top")
    with tenant_instance(tenant) as instance:
        change = tree.move_node(instance, tenant, unit_id, parent, AGENT)
    _print_change(change, json_)


@tree_app.command("delete")
def delete_node(unit_id: UnitArg, tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Delete a node with nothing under it (its document keeps every earlier version)."""
    with tenant_instance(tenant) as instance:
        change = tree.delete_node(instance, tenant, unit_id, AGENT)
    _print_change(change, json_)
