"""JSON search request → archipel.access.query.nodes, refusing anything malformed.

The language follows the reference system's DSL (`$query`, `$filter`, `$projection`,
`$facets`), so an archivist's request written for Vitam reads the same here. Every refusal
is an InvalidRequest naming where in the request the fault is (`$query.$and[1].$eq`), so
the caller can fix it without guessing; nothing is silently ignored, because a criterion
dropped without a word returns more than the archivist asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from archipel.access.query.nodes import (
    And,
    Bound,
    DateRange,
    DateRangeFacet,
    Everything,
    Exists,
    Facet,
    FiltersFacet,
    In,
    Match,
    MatchKind,
    Node,
    Not,
    Or,
    Page,
    Range,
    Request,
    Scalar,
    SortKey,
    SubObject,
    TermsFacet,
    Tree,
    Wildcard,
)
from archipel.access.text import ALL_FIELDS
from archipel.core.errors import InvalidRequest

DEFAULT_LIMIT = 100
MAX_WINDOW = 10_000
"""`$offset + $limit` at most: deeper pages are reached with a scroll (keyset), which costs
the same at any depth, where an offset makes the database skip every row before it."""
DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 1_000
MAX_FIELD_LENGTH = 200
SCROLL_START = "START"
ALL_PROJECTION = "#all"

REQUEST_KEYS = frozenset({"$roots", "$query", "$filter", "$projection", "$facets"})
FILTER_KEYS = frozenset({"$limit", "$offset", "$orderby", "$scrollId", "$track_total_hits"})
_ISO_DATE_PREFIX = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def parse_request(request: Any) -> Request:
    """The whole request, checked; `InvalidRequest` at the first fault."""
    data = _mapping(request, "request")
    _known_keys(data, REQUEST_KEYS, "request")
    query, depth = _top_query(data.get("$query"))
    return Request(
        tree=_tree(data.get("$roots"), depth),
        query=query,
        page=_page(data.get("$filter")),
        projection=_projection(data.get("$projection")),
        facets=_facets(data.get("$facets")),
    )


def parse_query(query: Any, where: str) -> Node:
    """One query object (`{"$eq": {...}}`), as found at `where` in the request."""
    data = _mapping(query, where)
    operators = [key for key in data if key != "$depth"]
    if "$depth" in data:
        raise InvalidRequest(f"{where}: $depth is only allowed at the top of $query")
    if len(operators) != 1:
        raise InvalidRequest(
            f"{where}: a query object holds exactly one operator (found {len(operators)}); "
            "combine several with $and"
        )
    operator = operators[0]
    argument = data[operator]
    at = f"{where}.{operator}"
    parser = _OPERATORS.get(operator)
    if parser is None:
        raise InvalidRequest(f"{at}: unknown operator {operator}")
    return parser(operator, argument, at)


# -- $query ---------------------------------------------------------------------------------


def _top_query(query: Any) -> tuple[Node, int | None]:
    """`$query`: an object or a one-element list (Vitam's multi-query chains are not supported)."""
    where = "$query"
    if query is None:
        return Everything(), None
    if isinstance(query, list):
        if len(query) > 1:
            raise InvalidRequest(f"{where}: only one query is supported, combine criteria with $and")
        if not query:
            return Everything(), None
        query, where = query[0], "$query[0]"
    data = dict(_mapping(query, where))
    depth = data.pop("$depth", None)
    if depth is not None:
        depth = _integer(depth, f"{where}.$depth", minimum=0)
    if not data:
        return Everything(), depth
    return parse_query(data, where), depth


def _boolean(operator: str, argument: Any, at: str) -> Node:
    items = _list(argument, at)
    if not items:
        raise InvalidRequest(f"{at}: needs at least one query")
    nodes = tuple(parse_query(item, f"{at}[{index}]") for index, item in enumerate(items))
    if operator == "$and":
        return And(nodes)
    if operator == "$or":
        return Or(nodes)
    return Not(nodes)


def _equality(operator: str, argument: Any, at: str) -> Node:
    field, value = _single_field(argument, at)
    node = In(field, (_scalar(value, f"{at}.{field}"),))
    return Not((node,)) if operator == "$ne" else node


def _membership(operator: str, argument: Any, at: str) -> Node:
    field, values = _single_field(argument, at)
    items = _list(values, f"{at}.{field}")
    if not items:
        raise InvalidRequest(f"{at}.{field}: needs at least one value")
    node = In(field, tuple(_scalar(item, f"{at}.{field}[{index}]") for index, item in enumerate(items)))
    return Not((node,)) if operator == "$nin" else node


def _comparison(operator: str, argument: Any, at: str) -> Node:
    field, value = _single_field(argument, at)
    bound = Bound(_comparable(value, f"{at}.{field}"), inclusive=operator.endswith("e"))
    if operator in ("$gt", "$gte"):
        return Range(field, bound, None)
    return Range(field, None, bound)


def _range(operator: str, argument: Any, at: str) -> Node:
    field, bounds = _single_field(argument, at)
    data = _mapping(bounds, f"{at}.{field}")
    _known_keys(data, frozenset({"$gt", "$gte", "$lt", "$lte"}), f"{at}.{field}")
    if not data:
        raise InvalidRequest(f"{at}.{field}: needs $gt, $gte, $lt or $lte")
    if {"$gt", "$gte"} <= data.keys() or {"$lt", "$lte"} <= data.keys():
        raise InvalidRequest(f"{at}.{field}: at most one lower and one upper bound")
    lower = upper = None
    for key, value in data.items():
        bound = Bound(_comparable(value, f"{at}.{field}.{key}"), inclusive=key.endswith("e"))
        if key.startswith("$g"):
            lower = bound
        else:
            upper = bound
    if lower and upper and isinstance(lower.value, str) != isinstance(upper.value, str):
        raise InvalidRequest(f"{at}.{field}: both bounds must be numbers, or both text")
    return Range(field, lower, upper)


def _exists(operator: str, argument: Any, at: str) -> Node:
    return Exists(_field_name(argument, at))


def _match(operator: str, argument: Any, at: str) -> Node:
    field, text = _single_field(argument, at, text_field=True)
    if not isinstance(text, str):
        raise InvalidRequest(f"{at}.{field}: the words to find must be a string")
    return Match(MatchKind(operator), field, text)


def _wildcard(operator: str, argument: Any, at: str) -> Node:
    field, pattern = _single_field(argument, at)
    if not isinstance(pattern, str) or not pattern:
        raise InvalidRequest(f"{at}.{field}: the pattern must be a non-empty string")
    return Wildcard(field, pattern)


def _subobject(operator: str, argument: Any, at: str) -> Node:
    path, query = _single_field(argument, at)
    if path.startswith("#"):
        raise InvalidRequest(f"{at}.{path}: $subobject applies to elements of the description")
    inner = parse_query(query, f"{at}.{path}")
    _check_within(inner, path, f"{at}.{path}")
    return SubObject(path, inner)


def _check_within(node: Node, path: str, at: str) -> None:
    """Every criterion of a `$subobject` is on a field inside its element."""
    if isinstance(node, And | Or | Not):
        for item in node.items:
            _check_within(item, path, at)
    elif isinstance(node, Match | SubObject):
        raise InvalidRequest(f"{at}: full text and nested $subobject are not supported inside $subobject")
    elif isinstance(node, In | Range | Exists | Wildcard) and not node.field.startswith(f"{path}."):
        raise InvalidRequest(f"{at}: the field {node.field} is not inside {path}")


_OPERATORS = {
    "$and": _boolean,
    "$or": _boolean,
    "$not": _boolean,
    "$eq": _equality,
    "$ne": _equality,
    "$in": _membership,
    "$nin": _membership,
    "$gt": _comparison,
    "$gte": _comparison,
    "$lt": _comparison,
    "$lte": _comparison,
    "$range": _range,
    "$exists": _exists,
    "$match": _match,
    "$match_all": _match,
    "$match_phrase": _match,
    "$match_phrase_prefix": _match,
    "$wildcard": _wildcard,
    "$subobject": _subobject,
}


# -- $roots, $filter, $projection -------------------------------------------------------------


def _tree(roots: Any, depth: int | None) -> Tree | None:
    if roots is None or roots == []:
        if depth is not None:
            raise InvalidRequest("$query.$depth: only meaningful with $roots")
        return None
    items = _list(roots, "$roots")
    for index, root in enumerate(items):
        if not isinstance(root, str) or not root:
            raise InvalidRequest(f"$roots[{index}]: a unit id (string) is expected")
    return Tree(tuple(items), depth)


def _page(data: Any) -> Page:
    if data is None:
        data = {}
    data = _mapping(data, "$filter")
    _known_keys(data, FILTER_KEYS, "$filter")
    limit = _integer(data.get("$limit", DEFAULT_LIMIT), "$filter.$limit", minimum=0, maximum=MAX_WINDOW)
    offset = _integer(data.get("$offset", 0), "$filter.$offset", minimum=0)
    scroll = data.get("$scrollId")
    if scroll is not None:
        if not isinstance(scroll, str) or not scroll:
            raise InvalidRequest("$filter.$scrollId: a string is expected (START to begin a scroll)")
        if offset:
            raise InvalidRequest("$filter.$offset: not allowed with $scrollId")
    elif offset + limit > MAX_WINDOW:
        raise InvalidRequest(
            f"$filter: $offset + $limit may not exceed {MAX_WINDOW}; scroll for deeper pages "
            '("$scrollId": "START")'
        )
    exact = data.get("$track_total_hits", False)
    if not isinstance(exact, bool):
        raise InvalidRequest("$filter.$track_total_hits: true or false expected")
    return Page(limit, offset, _order(data.get("$orderby")), scroll, exact)


def _order(data: Any) -> tuple[SortKey, ...]:
    if data is None:
        return ()
    keys = []
    for field, direction in _mapping(data, "$filter.$orderby").items():
        at = f"$filter.$orderby.{field}"
        _check_field(field, at)
        if direction not in (1, -1) or isinstance(direction, bool):
            raise InvalidRequest(f"{at}: 1 (ascending) or -1 (descending) expected")
        keys.append(SortKey(field, descending=direction == -1))
    return tuple(keys)


def _projection(data: Any) -> tuple[str, ...] | None:
    if data is None:
        return None
    data = _mapping(data, "$projection")
    _known_keys(data, frozenset({"$fields"}), "$projection")
    fields = _mapping(data.get("$fields", {}), "$projection.$fields")
    if not fields:
        return None
    names = []
    for field, flag in fields.items():
        at = f"$projection.$fields.{field}"
        if flag != 1 or isinstance(flag, bool):
            raise InvalidRequest(f"{at}: only 1 (return this field) is supported")
        if field != ALL_PROJECTION:
            _check_field(field, at)
        names.append(field)
    return tuple(names)


# -- $facets ----------------------------------------------------------------------------------


def _facets(data: Any) -> tuple[Facet, ...]:
    if data is None:
        return ()
    facets: list[Facet] = []
    names: set[str] = set()
    for index, item in enumerate(_list(data, "$facets")):
        where = f"$facets[{index}]"
        facet = _facet(_mapping(item, where), where)
        if facet.name in names:
            raise InvalidRequest(f"{where}.$name: {facet.name} is used twice")
        names.add(facet.name)
        facets.append(facet)
    return tuple(facets)


def _facet(data: Mapping[str, Any], where: str) -> Facet:
    name = data.get("$name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"{where}.$name: every facet needs a name")
    kinds = [key for key in data if key != "$name"]
    if len(kinds) != 1:
        raise InvalidRequest(f"{where}: one of $terms, $date_range, $exists, $filters expected")
    kind = kinds[0]
    at = f"{where}.{kind}"
    argument = data[kind]
    if kind == "$terms":
        return _terms_facet(name, _mapping(argument, at), at)
    if kind == "$date_range":
        return _date_range_facet(name, _mapping(argument, at), at)
    if kind == "$exists":
        field = argument.get("$field") if isinstance(argument, Mapping) else argument
        field = _field_name(field, f"{at}.$field" if isinstance(argument, Mapping) else at)
        return FiltersFacet(name, ((field, Exists(field)),))
    if kind == "$filters":
        return _filters_facet(name, _mapping(argument, at), at)
    raise InvalidRequest(f"{at}: unknown facet {kind} (one of $terms, $date_range, $exists, $filters)")


def _terms_facet(name: str, data: Mapping[str, Any], at: str) -> Facet:
    _known_keys(data, frozenset({"$field", "$size", "$order"}), at)
    field = _field_name(data.get("$field"), f"{at}.$field")
    size = _integer(data.get("$size", DEFAULT_FACET_SIZE), f"{at}.$size", minimum=1, maximum=MAX_FACET_SIZE)
    order = data.get("$order", "DESC")
    if order not in ("ASC", "DESC"):
        raise InvalidRequest(f"{at}.$order: ASC or DESC expected")
    return TermsFacet(name, field, size, ascending=order == "ASC")


def _date_range_facet(name: str, data: Mapping[str, Any], at: str) -> Facet:
    _known_keys(data, frozenset({"$field", "$format", "$ranges"}), at)
    field = _field_name(data.get("$field"), f"{at}.$field")
    if "$format" in data and not isinstance(data["$format"], str):
        raise InvalidRequest(f"{at}.$format: a string is expected")
    ranges = []
    for index, item in enumerate(_list(data.get("$ranges"), f"{at}.$ranges")):
        where = f"{at}.$ranges[{index}]"
        bounds = _mapping(item, where)
        _known_keys(bounds, frozenset({"$from", "$to"}), where)
        if not bounds:
            raise InvalidRequest(f"{where}: $from or $to expected")
        start, end = (_iso_date(bounds.get(key), f"{where}.{key}") for key in ("$from", "$to"))
        ranges.append(DateRange(start, end))
    if not ranges:
        raise InvalidRequest(f"{at}.$ranges: at least one range expected")
    return DateRangeFacet(name, field, tuple(ranges))


def _filters_facet(name: str, data: Mapping[str, Any], at: str) -> Facet:
    _known_keys(data, frozenset({"$query_filters"}), at)
    filters = []
    for index, item in enumerate(_list(data.get("$query_filters"), f"{at}.$query_filters")):
        where = f"{at}.$query_filters[{index}]"
        entry = _mapping(item, where)
        _known_keys(entry, frozenset({"$name", "$query"}), where)
        label = entry.get("$name")
        if not isinstance(label, str) or not label:
            raise InvalidRequest(f"{where}.$name: every filter needs a name")
        filters.append((label, parse_query(entry.get("$query"), f"{where}.$query")))
    if not filters:
        raise InvalidRequest(f"{at}.$query_filters: at least one filter expected")
    return FiltersFacet(name, tuple(filters))


# -- values -----------------------------------------------------------------------------------


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequest(f"{where}: a JSON object is expected")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRequest(f"{where}: a JSON array is expected")
    return value


def _known_keys(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidRequest(f"{where}.{key}: unknown key (expected one of {', '.join(sorted(allowed))})")


def _integer(value: Any, where: str, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{where}: an integer is expected")
    if value < minimum or (maximum is not None and value > maximum):
        limits = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidRequest(f"{where}: must be {limits}")
    return value


def _single_field(argument: Any, at: str, text_field: bool = False) -> tuple[str, Any]:
    data = _mapping(argument, at)
    if len(data) != 1:
        raise InvalidRequest(f"{at}: exactly one field expected (found {len(data)})")
    field, value = next(iter(data.items()))
    _check_field(field, f"{at}.{field}", text_field)
    return field, value


def _field_name(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}: a field name (string) is expected")
    _check_field(value, where)
    return value


def _check_field(field: str, where: str, text_field: bool = False) -> None:
    if not field or len(field) > MAX_FIELD_LENGTH:
        raise InvalidRequest(f"{where}: a field name of 1 to {MAX_FIELD_LENGTH} characters is expected")
    if field.startswith("$"):
        raise InvalidRequest(f"{where}: {field} is an operator, a field name is expected")
    if field.startswith("_") and not (text_field and field == ALL_FIELDS):
        raise InvalidRequest(f"{where}: fields starting with _ are reserved")
    if any(part == "" for part in field.split(".")):
        raise InvalidRequest(f"{where}: empty element name in {field}")


def _scalar(value: Any, where: str) -> Scalar:
    if isinstance(value, str | bool | int | float):
        return value
    raise InvalidRequest(f"{where}: a string, number or boolean is expected")


def _comparable(value: Any, where: str) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequest(f"{where}: a string, a date or a number is expected")
    return value


def _iso_date(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATE_PREFIX.match(value):
        raise InvalidRequest(f"{where}: an ISO date is expected (1990, 1990-06 or 1990-06-30)")
    return value
