"""Which archive units a DIP request selects: the search language, under the access scope.

A DIP is asked for with the same request a search takes (`$roots`, `$query`, `$filter`;
docs/query.md), run with the scope's condition, so a unit the contract does not cover is
never selected. Without `$limit` the DIP takes every unit the query matches, read page
by page with a scroll cursor (cost independent of depth); with `$limit` (and `$offset`)
it takes that page, as the requester wrote it. Facets and projections mean nothing to a
package and are not asked for.

A request may instead name its units (`unit_ids`): the command line and tests use it,
and the scope still decides which of them are delivered (`archipel.access.dip_plan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from archipel.access.query import search_units
from archipel.access.query.parse import SCROLL_START, parse_request
from archipel.access.scope import AccessScope
from archipel.core.errors import InvalidRequest

PAGE = 1_000
MAX_UNITS = 100_000
"""A DIP larger than this is refused: narrow the query, or make several DIPs (one manifest
holds every unit, and a requester cannot use a million units in one package anyway)."""
IGNORED_KEYS = ("$facets", "$projection")


def check_query(query: Mapping[str, Any]) -> None:
    """Refuses a malformed request at once, before an operation is started for it."""
    parse_request(_without_ignored(query))


def select_units(
    session: Session, scope: AccessScope, query: Mapping[str, Any], page: int = PAGE
) -> list[str]:
    """Ids of the units the query selects under the scope, in the search's order (`page` ids
    are read at a time)."""
    request = _without_ignored(query)
    request["$projection"] = {"$fields": {"#id": 1}}
    filters = dict(request.get("$filter") or {})
    if "$limit" in filters or "$offset" in filters or "$scrollId" in filters:
        result = search_units(session, scope.tenant, request, where=scope.unit_filter())
        return [item["#id"] for item in result.results]
    ids: list[str] = []
    cursor = SCROLL_START
    while True:
        request["$filter"] = {**filters, "$scrollId": cursor, "$limit": page}
        result = search_units(session, scope.tenant, request, where=scope.unit_filter())
        if result.total > MAX_UNITS:
            raise InvalidRequest(
                f"the query selects {result.total} units; a DIP holds at most {MAX_UNITS}: narrow the query"
            )
        ids.extend(item["#id"] for item in result.results)
        if result.scroll_id is None:
            return ids
        cursor = result.scroll_id


def _without_ignored(query: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(query, Mapping):
        raise InvalidRequest("the DIP request is a JSON object: the search request selecting its units")
    return {key: value for key, value in query.items() if key not in IGNORED_KEYS}
