"""`archipel update` (mass update) and `archipel rules recompute` (end dates after a rule changed).

Both run in this process as an operation of the tenant's logbook. `update` exit codes: 0 every
selected unit is as asked; 1 the actions were refused (a field the ontology does not know, a
value of the wrong type, an unknown rule or one of another category), a unit was refused, the
query selected nothing, or the operation failed; 2 bad usage (no action, a malformed option
or query). `rules recompute`: 0 done (or nothing to do), 1 some unit refused or failed.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from archipel.cli.access import ContractOpt, cli_scope, parse_request
from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, fail, out
from archipel.core.errors import InvalidRequest
from archipel.lifecycle.mass_update import MassUpdateRequest, MassUpdateService
from archipel.lifecycle.rule_recompute import RuleRecomputeService
from archipel.lifecycle.unit_batches import BatchedChange
from archipel.lifecycle.update_actions import (
    MassUpdateRefused,
    build_actions,
    parse_rule_addition,
    parse_rule_removal,
    parse_set,
)

Repeated = list[str] | None


def update(
    tenant: TenantOpt,
    query: Annotated[str, typer.Option("--query", help='the units: a JSON search request ({"$query": …})')],
    set_: Annotated[
        Repeated, typer.Option("--set", metavar="FIELD=VALUE", help="set a field of Content; repeatable")
    ] = None,
    unset: Annotated[
        Repeated, typer.Option("--unset", metavar="FIELD", help="remove a field; repeatable")
    ] = None,
    add_rule: Annotated[
        Repeated,
        typer.Option("--add-rule", metavar="TYPE:ID:START", help="add (or restart) a rule; repeatable"),
    ] = None,
    remove_rule: Annotated[
        Repeated, typer.Option("--remove-rule", metavar="TYPE:ID", help="remove a rule; repeatable")
    ] = None,
    contract: ContractOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Update the description or the rules of every unit a query selects: one MASS_UPDATE operation."""
    actions = build_actions(
        dict(parse_set(item) for item in set_ or []),
        list(unset or []),
        [parse_rule_addition(item) for item in add_rule or []],
        [parse_rule_removal(item) for item in remove_rule or []],
    )
    selection = _query(query)
    with tenant_instance(tenant) as instance:
        with instance.database.unit_of_work() as session:
            scope = cli_scope(session, tenant, contract)
        request = MassUpdateRequest(scope, selection, actions)
        service = MassUpdateService(instance)
        try:
            operation_id = service.submit(request, AGENT)
        except MassUpdateRefused as refusal:  # the request ran and was refused: exit 1, not 2
            for reason in refusal.reasons:
                fail(reason)
            raise typer.Exit(1) from None
        report = service.run(operation_id, request)
    _report(report, json_)
    if report.refused or not report.selected:
        raise typer.Exit(1)


def recompute(
    tenant: TenantOpt,
    rule: Annotated[Repeated, typer.Option("--rule", metavar="ID", help="only units using this rule")] = None,
    json_: JsonOpt = False,
) -> None:
    """Recompute the end dates of units whose rules changed duration in the referential (idempotent)."""
    with tenant_instance(tenant) as instance:
        service = RuleRecomputeService(instance)
        operation_id = service.submit(tenant, rule or None, AGENT)
        report = service.run(operation_id, tenant, rule or None) if operation_id else None
    if report is None:
        emit_json({"operation_id": None, "updated": 0, "refused": []}) if json_ else out.print(
            "every unit's end dates already follow the rules referential: nothing to do"
        )
        return
    _report(report, json_)
    if report.refused:
        raise typer.Exit(1)


def _query(text: str) -> dict[str, Any]:
    """`--query`: a JSON search request only (plain words would select more than meant)."""
    if not text.lstrip().startswith("{"):
        raise InvalidRequest('--query is not valid JSON: write a search request, {"$query": …}')
    return parse_request(text, 0)


def _report(report: BatchedChange, json_: bool) -> None:
    if json_:
        emit_json(report.as_dict())
        return
    out.print(f"operation {report.operation_id}: {report.summary('done')}", highlight=False)
    for unit, reason in report.refused:
        out.print(f"  REFUSED {unit}: {reason}", highlight=False, markup=False)
