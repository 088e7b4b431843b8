"""`archipel reclassify UNIT_ID --tenant N [--attach PARENT]… [--detach PARENT]…`.

Exit 0 done; 1 refused (a cycle, a unit not in this tenant, a parent the unit has not or
already has, a type that may not go there); 2 bad usage (no parent named).
"""

from __future__ import annotations

from typing import Annotated

import typer

from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, fail, out
from archipel.core.errors import InvalidRequest
from archipel.metadata.reclassification import ReclassificationRefused
from archipel.metadata.reclassification import reclassify as reclassify_unit


def reclassify(
    unit_id: Annotated[str, typer.Argument(metavar="UNIT_ID", help="the unit's system id")],
    tenant: TenantOpt,
    attach: Annotated[
        list[str] | None, typer.Option("--attach", metavar="PARENT", help="put the unit under it; repeatable")
    ] = None,
    detach: Annotated[
        list[str] | None, typer.Option("--detach", metavar="PARENT", help="take it from under it; repeatable")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Attach a unit (and all below it) under other parents, or detach it from some: one operation."""
    if not attach and not detach:
        raise InvalidRequest("name at least one --attach PARENT or --detach PARENT")
    with tenant_instance(tenant) as instance:
        try:
            change = reclassify_unit(instance, tenant, unit_id, attach or [], detach or [], AGENT)
        except ReclassificationRefused as refusal:  # the request ran and was refused: exit 1, not 2
            fail(refusal.message)
            raise typer.Exit(1) from None
    if json_:
        emit_json(change.as_dict())
        return
    where = ", ".join(change.parents) or "no parent (a root)"
    out.print(f"unit {change.unit_id} now under {where} (operation {change.operation_id})", highlight=False)
