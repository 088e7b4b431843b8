"""`archipel search`: finding archive units from the command line, under an access contract.

Run on the server by the instance's operator, a command may leave out `--contract` and
then sees the whole tenant (the operator holds the database and the offers anyway); with
`--contract` it sees exactly what an application holding that contract would.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from archipel.access import service
from archipel.access.scope import AccessScope, open_scope
from archipel.cli.instance import AGENT, JsonOpt, TenantOpt, tenant_instance
from archipel.cli.output import emit_json, table
from archipel.core.errors import InvalidRequest

ContractOpt = Annotated[
    str | None,
    typer.Option(
        "--contract", "-c", help="access contract to search under (default: the operator's full view)"
    ),
]


def cli_scope(session: Session, tenant: int, contract: str | None) -> AccessScope:
    return open_scope(session, tenant, contract, AGENT) if contract else AccessScope.operator(tenant, AGENT)


def parse_request(query: str, limit: int) -> dict[str, Any]:
    """A JSON request as docs/query.md describes, or plain words to find in any text field."""
    if not query.lstrip().startswith("{"):
        return service.text_request(query, limit)
    try:
        request = json.loads(query)
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"the query is not valid JSON: {error}") from error
    if not isinstance(request, dict):
        raise InvalidRequest("the query must be a JSON object")
    return request


def search(
    query: Annotated[str, typer.Argument(help='words to find, or a JSON query ({"$query": …})')],
    tenant: TenantOpt,
    contract: ContractOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="results shown (plain words only)")] = 20,
    json_: JsonOpt = False,
) -> None:
    """Search archive units: `archipel search "délibération 2023" --tenant 1`."""
    request = parse_request(query, limit)
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        found = service.search(session, cli_scope(session, tenant, contract), request)
    if json_:
        emit_json(found)
        return
    table(
        f"{found['total']} archive unit(s) found in tenant {tenant}",
        ["id", "title", "level", "communicable"],
        [
            [row.get("#id"), _text(row.get("Title")), row.get("DescriptionLevel"), row.get("#communicable")]
            for row in found["results"]
        ],
    )


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " / ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return str(value.get("#text", ""))
    return "" if value is None else str(value)


rules_app = typer.Typer(help="Management rules of archive units.", no_args_is_help=True)


@rules_app.command("show")
def rules_show(unit_id: str, tenant: TenantOpt, contract: ContractOpt = None, json_: JsonOpt = False) -> None:
    """The rules that apply to a unit: its own and those inherited, each with its origin."""
    with tenant_instance(tenant) as instance, instance.database.unit_of_work() as session:
        shown = service.unit_rules(session, cli_scope(session, tenant, contract), unit_id)
    if json_:
        emit_json(shown)
        return
    table(
        f"Rules of archive unit {unit_id}",
        ["type", "rule", "start", "end", "final action", "origin"],
        [
            [rule["type"], rule["rule"], rule["start"], rule["end"], rule["final_action"],
             "inherited from " + rule["origin"] if rule["inherited"] else "own"]
            for rule in shown["rules"]
        ],
    )  # fmt: skip
