"""A malformed request is refused, naming where it is wrong, before anything is searched."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import QueryArchive

from archipel.access.query import search_objects, search_units
from archipel.access.query.parse import parse_request
from archipel.core.errors import InvalidRequest

MALFORMED: list[tuple[str, Any, str]] = [
    ("not an object", [], "request: a JSON object"),
    ("unknown key", {"$querry": {}}, r"request\.\$querry: unknown key"),
    ("unknown operator", {"$query": {"$regexp": {"Title": "x"}}}, r"\$query\.\$regexp: unknown operator"),
    ("two operators", {"$query": {"$eq": {"A": 1}, "$ne": {"B": 2}}}, "exactly one operator"),
    ("nested unknown", {"$query": {"$and": [{"$eq": {"A": 1}}, {"$foo": 1}]}}, r"\$query\.\$and\[1\]\.\$foo"),
    ("empty and", {"$query": {"$or": []}}, r"\$query\.\$or: needs at least one"),
    (
        "eq of a list",
        {"$query": {"$eq": {"Title": ["a"]}}},
        r"\$query\.\$eq\.Title: a string, number or boolean",
    ),
    ("eq of two fields", {"$query": {"$eq": {"A": 1, "B": 2}}}, "exactly one field"),
    ("in of a string", {"$query": {"$in": {"Title": "a"}}}, r"\$in\.Title: a JSON array"),
    ("empty range", {"$query": {"$range": {"Pages": {}}}}, "needs \\$gt"),
    ("two lower bounds", {"$query": {"$range": {"Pages": {"$gt": 1, "$gte": 2}}}}, "at most one lower"),
    ("mixed bounds", {"$query": {"$range": {"Pages": {"$gt": 1, "$lt": "9"}}}}, "both bounds"),
    ("unknown bound", {"$query": {"$range": {"Pages": {"$lt": 1, "$ne": 2}}}}, r"Pages\.\$ne: unknown key"),
    ("match of a number", {"$query": {"$match": {"Title": 3}}}, "must be a string"),
    ("empty wildcard", {"$query": {"$wildcard": {"Title": ""}}}, "non-empty string"),
    ("reserved field", {"$query": {"$eq": {"_id": "x"}}}, "reserved"),
    ("operator as field", {"$query": {"$exists": "$eq"}}, "is an operator"),
    ("empty element", {"$query": {"$exists": "Keyword..Type"}}, "empty element name"),
    (
        "depth below the top",
        {"$query": {"$and": [{"$eq": {"A": 1}, "$depth": 1}]}},
        "only allowed at the top",
    ),
    ("depth without roots", {"$query": {"$depth": 1}}, "only meaningful with \\$roots"),
    ("negative depth", {"$roots": ["x"], "$query": {"$depth": -1}}, "at least 0"),
    ("two queries", {"$query": [{"$eq": {"A": 1}}, {"$eq": {"B": 1}}]}, "only one query"),
    ("root not a string", {"$roots": [1]}, r"\$roots\[0\]"),
    (
        "subobject outside its element",
        {"$query": {"$subobject": {"Keyword": {"$eq": {"Title": "x"}}}}},
        "not inside Keyword",
    ),
    (
        "full text in a subobject",
        {"$query": {"$subobject": {"Keyword": {"$match": {"Keyword.KeywordContent": "x"}}}}},
        "not supported inside",
    ),
    ("limit too large", {"$filter": {"$limit": 10001}}, r"\$limit: must be between 0 and 10000"),
    ("window too deep", {"$filter": {"$offset": 9950, "$limit": 100}}, "scroll for deeper pages"),
    ("offset with scroll", {"$filter": {"$offset": 5, "$scrollId": "START"}}, "not allowed with"),
    ("limit not an integer", {"$filter": {"$limit": "10"}}, "an integer"),
    ("bad direction", {"$filter": {"$orderby": {"Title": 2}}}, r"\$orderby\.Title: 1 \(ascending\)"),
    ("projection of 0", {"$projection": {"$fields": {"Title": 0}}}, "only 1"),
    ("facet without name", {"$facets": [{"$terms": {"$field": "Title"}}]}, r"\$facets\[0\]\.\$name"),
    (
        "facet twice",
        {"$facets": [{"$name": "a", "$exists": "A"}, {"$name": "a", "$exists": "B"}]},
        "used twice",
    ),
    ("facet size", {"$facets": [{"$name": "a", "$terms": {"$field": "T", "$size": 0}}]}, r"\$size: must be"),
    (
        "bad date range",
        {"$facets": [{"$name": "a", "$date_range": {"$field": "StartDate", "$ranges": [{"$from": "199"}]}}]},
        r"\$ranges\[0\]\.\$from: an ISO date",
    ),
    ("unknown facet", {"$facets": [{"$name": "a", "$histogram": {}}]}, "one of \\$terms"),
]


@pytest.mark.parametrize(
    ("request_", "message"), [case[1:] for case in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_requests_are_refused_with_their_path(request_: Any, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_request(request_)


REFUSED_BY_THE_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown system field", {"$query": {"$eq": {"#tenant": 1}}}, "#tenant: unknown system field"),
    ("bad rule category", {"$query": {"$exists": "#management.FooRule.Rule"}}, "category one of"),
    ("full text on a system field", {"$query": {"$match": {"#id": "x"}}}, "description fields"),
    ("numbers on a text column", {"$query": {"$gt": {"#originating_agency": 3}}}, "compares with text"),
    ("bad rule date", {"$query": {"$lt": {"#management.AccessRule.EndDate": "soon"}}}, "an ISO date"),
    (
        "unknown projected field",
        {"$projection": {"$fields": {"#secret": 1}}},
        "#secret: unknown system field",
    ),
    ("unknown sort field", {"$filter": {"$orderby": {"#nope": 1}}}, "#nope: unknown system field"),
]


@pytest.mark.parametrize(
    ("request_", "message"),
    [case[1:] for case in REFUSED_BY_THE_FIELDS],
    ids=[c[0] for c in REFUSED_BY_THE_FIELDS],
)
def test_requests_on_unknown_fields_are_refused(
    query_archive: QueryArchive, request_: Any, message: str
) -> None:
    with (
        query_archive.platform.database.unit_of_work() as session,
        pytest.raises(InvalidRequest, match=message),
    ):
        search_units(session, 1, request_)


def test_objects_refuse_what_does_not_apply_to_them(query_archive: QueryArchive) -> None:
    with query_archive.platform.database.unit_of_work() as session:
        with pytest.raises(InvalidRequest, match="not available"):
            search_objects(session, 1, {"$query": {"$match": {"filename": "budget"}}})
        with pytest.raises(InvalidRequest, match="unknown field of data objects"):
            search_objects(session, 1, {"$query": {"$eq": {"Title": "x"}}})
        with pytest.raises(InvalidRequest, match="applies to text fields"):
            search_objects(session, 1, {"$query": {"$wildcard": {"size": "2*"}}})
        with pytest.raises(InvalidRequest, match="a number is expected"):
            search_objects(session, 1, {"$query": {"$eq": {"size": "big"}}})
