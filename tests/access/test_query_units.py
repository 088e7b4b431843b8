"""The search language on archive units: one table of queries, the same answers on both engines.

Every case runs on SQLite and on PostgreSQL against the same small archive
(query_corpus.py) and must give exactly the listed units, in the listed order. Without an
`$orderby` of its own a case is sorted by Title, so the expected order is readable.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import QueryArchive

from archipel.access.query import SearchResult, search_units

DESCRIPTION_KEYWORD = {"$eq": {"Keyword.KeywordType": "geogname"}}

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("everything", {}, ["I4", "F1", "F2", "I1", "I2", "I3", "S1", "S2"]),
    # full text: accents, case, stemming
    ("accents and case", {"$query": {"$match": {"Title": "DÉLIBÉRATIONS"}}}, ["I1", "I2", "S1"]),
    ("singular finds plural", {"$query": {"$match": {"Title": "deliberation"}}}, ["I1", "I2", "S1"]),
    ("description words", {"$query": {"$match": {"Description": "délibération"}}}, ["I4", "I2", "S1"]),
    ("any of the words", {"$query": {"$match": {"_all": "urbanisme église"}}}, ["F2", "I3", "S2"]),
    ("all of the words", {"$query": {"$match_all": {"_all": "budget conseil"}}}, ["I1", "I2"]),
    ("words in any order", {"$query": {"$match_all": {"_all": "municipal conseil"}}}, ["F1", "I1", "S1"]),
    ("phrase", {"$query": {"$match_phrase": {"Title": "conseil municipal"}}}, ["F1", "I1"]),
    ("phrase keeps order", {"$query": {"$match_phrase": {"_all": "municipal conseil"}}}, []),
    ("phrase prefix", {"$query": {"$match_phrase_prefix": {"Title": "délibération du cons"}}}, ["I1"]),
    ("prefix of one word", {"$query": {"$match_phrase_prefix": {"Title": "URBA"}}}, ["F2", "S2"]),
    ("field below an element", {"$query": {"$match": {"Keyword": "urbanisme"}}}, ["F2"]),
    ("language variant", {"$query": {"$match": {"Title_.en": "minutes"}}}, ["I1"]),
    ("no word at all", {"$query": {"$match": {"Title": "!!!"}}}, []),
    # wildcard: folded, LIKE metacharacters taken literally
    ("wildcard accents", {"$query": {"$wildcard": {"Title": "*ÉGLISE"}}}, ["I3"]),
    ("wildcard prefix", {"$query": {"$wildcard": {"Title": "dossier*"}}}, ["F1", "F2"]),
    ("wildcard one character", {"$query": {"$wildcard": {"Title": "permis ?e *"}}}, ["I3"]),
    ("wildcard percent literal", {"$query": {"$wildcard": {"Description": "*100%*"}}}, ["I3"]),
    ("wildcard underscore literal", {"$query": {"$wildcard": {"Description": "*_*"}}}, ["I3"]),
    # comparisons
    ("eq", {"$query": {"$eq": {"DescriptionLevel": "File"}}}, ["F1", "F2"]),
    ("eq is exact", {"$query": {"$eq": {"DescriptionLevel": "file"}}}, []),
    ("ne", {"$query": {"$ne": {"DescriptionLevel": "Item"}}}, ["F1", "F2", "S1", "S2"]),
    ("in", {"$query": {"$in": {"#originating_agency": ["AG-B", "AG-Z"]}}}, ["I4", "S2"]),
    ("nin", {"$query": {"$nin": {"DescriptionLevel": ["Item", "File"]}}}, ["S1", "S2"]),
    ("ne on a missing field", {"$query": {"$ne": {"Pages": 12}}}, ["I4", "F1", "F2", "I2", "I3", "S1", "S2"]),
    # ranges: dates as text, numbers as numbers
    ("year", {"$query": {"$range": {"StartDate": {"$gte": "1990", "$lt": "1991"}}}}, ["F1", "I1", "I2"]),
    (
        "date bounds",
        {"$query": {"$range": {"StartDate": {"$gt": "1985-06-15", "$lte": "1990-01-01"}}}},
        ["F1", "I3"],
    ),
    ("before", {"$query": {"$lt": {"StartDate": "1960"}}}, ["S1"]),
    ("numbers as numbers", {"$query": {"$gt": {"Pages": 9}}}, ["I1", "I3"]),
    ("text as text", {"$query": {"$gt": {"Pages": "9"}}}, []),
    ("number range", {"$query": {"$range": {"Pages": {"$gte": 9, "$lt": 100}}}}, ["I1", "I2"]),
    ("number eq", {"$query": {"$in": {"Pages": [9, 120]}}}, ["I2", "I3"]),
    # existence
    ("exists", {"$query": {"$exists": "Pages"}}, ["I1", "I2", "I3"]),
    ("exists an element", {"$query": {"$exists": "Keyword"}}, ["F2", "I1", "I2"]),
    ("exists a variant", {"$query": {"$exists": "Title_.en"}}, ["I1"]),
    ("not exists", {"$query": {"$not": [{"$exists": "StartDate"}]}}, ["I4"]),
    # one and the same keyword
    (
        "subobject",
        {
            "$query": {
                "$subobject": {
                    "Keyword": {"$and": [DESCRIPTION_KEYWORD, {"$eq": {"Keyword.KeywordContent": "Paris"}}]}
                }
            }
        },
        ["I1"],
    ),
    (
        "the same criteria across keywords",
        {"$query": {"$and": [DESCRIPTION_KEYWORD, {"$eq": {"Keyword.KeywordContent": "Paris"}}]}},
        ["I1", "I2"],
    ),
    (
        "subobject with a negation",
        {
            "$query": {
                "$subobject": {
                    "Keyword": {"$and": [DESCRIPTION_KEYWORD, {"$ne": {"Keyword.KeywordContent": "Paris"}}]}
                }
            }
        },
        ["I2"],
    ),
    (
        "subobject without a positive criterion",
        {"$query": {"$subobject": {"Keyword": {"$not": [{"$eq": {"Keyword.KeywordType": "geogname"}}]}}}},
        ["F2", "I1", "I2"],
    ),
    (
        "subobject of a single element",
        {
            "$query": {
                "$subobject": {
                    "Keyword": {
                        "$and": [
                            {"$wildcard": {"Keyword.KeywordContent": "urba*"}},
                            {"$exists": "Keyword.KeywordType"},
                        ]
                    }
                }
            }
        },
        ["F2"],
    ),
    # the tree (F2 has two parents, S1 and S2)
    ("under a root", {"$roots": ["@S1"]}, ["F1", "F2", "I1", "I2", "I3"]),
    ("children only", {"$roots": ["@S1"], "$query": {"$depth": 1}}, ["F1", "F2"]),
    ("under the second parent", {"$roots": ["@S2"]}, ["F2", "I3"]),
    ("depth two", {"$roots": ["@S2"], "$query": {"$depth": 2}}, ["F2", "I3"]),
    ("the roots themselves", {"$roots": ["@S1", "@S2"], "$query": {"$depth": 0}}, ["S1", "S2"]),
    (
        "criteria under a root",
        {"$roots": ["@F1"], "$query": [{"$match": {"Title": "budgétaire"}, "$depth": 1}]},
        ["I2"],
    ),
    ("direct parents", {"$query": {"$eq": {"#unitups": "@F1"}}}, ["I1", "I2"]),
    ("all ancestors", {"$query": {"$eq": {"#allunitups": "@S2"}}}, ["F2", "I3"]),
    ("no parent", {"$query": {"$not": [{"$exists": "#unitups"}]}}, ["I4", "S1", "S2"]),
    # logic
    (
        "or",
        {"$query": {"$or": [{"$eq": {"DescriptionLevel": "Series"}}, {"$match": {"Title": "église"}}]}},
        ["I3", "S1", "S2"],
    ),
    (
        "not of several",
        {"$query": {"$not": [{"$eq": {"DescriptionLevel": "Item"}}, {"$eq": {"DescriptionLevel": "File"}}]}},
        ["S1", "S2"],
    ),
    (
        "and with full text and tree",
        {"$roots": ["@S1"], "$query": {"$and": [{"$match": {"_all": "budget"}}, {"$lt": {"Pages": 10}}]}},
        ["I2"],
    ),
    # system fields and rules
    (
        "unit type",
        {"$query": {"$eq": {"#unitType": "INGEST"}}},
        ["I4", "F1", "F2", "I1", "I2", "I3", "S1", "S2"],
    ),
    ("with an object", {"$query": {"$exists": "#object"}}, ["I1", "I2"]),
    ("by id", {"$query": {"$in": {"#id": ["@I1", "@S2"]}}}, ["I1", "S2"]),
    ("own rule", {"$query": {"$eq": {"#management.AccessRule.Rule": "ACC-00003"}}}, ["I3"]),
    (
        "own rule, Vitam's path",
        {"$query": {"$eq": {"#management.AccessRule.Rules.Rule": "ACC-00002"}}},
        ["S1"],
    ),
    ("own rule end", {"$query": {"$gte": {"#management.AccessRule.EndDate": "2040"}}}, ["I3"]),
    (
        "inherited rule",
        {"$query": {"$eq": {"#computedInheritedRules.AccessRule.Rule": "ACC-00002"}}},
        ["F1", "F2", "I1", "I2", "I3", "S1"],
    ),
    (
        "inherited end",
        {"$query": {"$range": {"#computedInheritedRules.AccessRule.EndDate": {"$gt": "2040-01-01"}}}},
        ["I3"],
    ),
    # order: missing values last, ties by #id, several keys
    (
        "order by date",
        {"$filter": {"$orderby": {"StartDate": 1}}},
        ["S1", "S2", "F2", "I3", "F1", "I1", "I2", "I4"],
    ),
    (
        "order by date, descending",
        {"$filter": {"$orderby": {"StartDate": -1}}},
        ["I2", "I1", "F1", "I3", "F2", "S2", "S1", "I4"],
    ),
    (
        "multi-valued field sorts by its smallest value",
        {
            "$query": {"$exists": "Keyword"},
            "$filter": {"$orderby": {"Keyword.KeywordContent": 1, "Title": 1}},
        },
        ["I1", "I2", "F2"],
    ),
    (
        "text order of digits",
        {"$query": {"$exists": "Pages"}, "$filter": {"$orderby": {"Pages": 1}}},
        ["I1", "I3", "I2"],
    ),
    (
        "system field then title",
        {"$filter": {"$orderby": {"#originating_agency": -1, "Title": 1}}},
        ["I4", "S2", "F1", "F2", "I1", "I2", "I3", "S1"],
    ),
    (
        "order by inherited end date",
        {
            "$query": {"$exists": "#computedInheritedRules.AccessRule.Rule"},
            "$filter": {"$orderby": {"#computedInheritedRules.AccessRule.EndDate": -1, "Title": -1}},
        },
        ["S1", "I3", "I2", "I1", "F2", "F1"],
    ),
]


def search(archive: QueryArchive, request: dict[str, Any], tenant: int = 1, **options: Any) -> SearchResult:
    with archive.platform.database.unit_of_work() as session:
        return search_units(session, tenant, archive.first.resolve(request), **options)


def found(archive: QueryArchive, result: SearchResult) -> list[str]:
    return archive.first.keys([item["#id"] for item in result.results])


@pytest.mark.parametrize(
    ("request_", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_query(query_archive: QueryArchive, request_: dict[str, Any], expected: list[str]) -> None:
    request = dict(request_)
    request.setdefault("$filter", {"$orderby": {"Title": 1}})
    result = search(query_archive, request)
    assert found(query_archive, result) == expected
    assert result.total == len(expected)


def test_results_carry_the_default_fields(query_archive: QueryArchive) -> None:
    result = search(query_archive, {"$query": {"$eq": {"#id": "@I1"}}})
    archive = query_archive.first
    assert result.results == [
        {
            "#id": archive.ids["I1"],
            "Title": "Délibération du conseil municipal n°12",
            "DescriptionLevel": "Item",
            "#originating_agency": "AG-A",
            "#unitups": [archive.ids["F1"]],
            "#object": result.results[0]["#object"],
            "#unitType": "INGEST",
            "#opi": result.results[0]["#opi"],
        }
    ]
    assert result.results[0]["#object"] and result.results[0]["#opi"]


def test_projection_picks_fields_and_all_gives_the_whole_description(query_archive: QueryArchive) -> None:
    archive = query_archive.first
    picked = search(
        query_archive,
        {
            "$query": {"$eq": {"#id": "@F2"}},
            "$projection": {
                "$fields": {"#id": 1, "Keyword.KeywordContent": 1, "#allunitups": 1, "Absent": 1}
            },
        },
    )
    assert picked.results == [
        {
            "#id": archive.ids["F2"],
            "Keyword.KeywordContent": "Urbanisme",
            "#allunitups": sorted([archive.ids["S1"], archive.ids["S2"]]),
        }
    ]
    whole = search(
        query_archive, {"$query": {"$eq": {"#id": "@I1"}}, "$projection": {"$fields": {"#all": 1}}}
    )
    result = whole.results[0]
    assert result["Keyword"][0] == {"KeywordType": "geogname", "KeywordContent": "Paris"}
    assert result["Title_"] == {"fr": "Délibération du conseil municipal n°12", "en": "Council minutes 12"}
    assert result["#unitups"] == [archive.ids["F1"]]
    assert result["#management"] == {}
    repeated = search(
        query_archive,
        {"$query": {"$eq": {"#id": "@I2"}}, "$projection": {"$fields": {"Keyword.KeywordType": 1}}},
    )
    assert repeated.results == [{"Keyword.KeywordType": ["subject", "geogname"]}]


ORDERS = [
    {},
    {"$orderby": {"StartDate": -1}},
    {"$orderby": {"StartDate": 1, "#originating_agency": -1}},
    {"$orderby": {"Keyword.KeywordContent": 1}},
    {"$orderby": {"#computedInheritedRules.AccessRule.EndDate": 1}},
]


@pytest.mark.parametrize("order", ORDERS, ids=[str(order) for order in ORDERS])
def test_scrolling_through_every_page_gives_the_one_big_page(
    query_archive: QueryArchive, order: dict[str, Any]
) -> None:
    whole = search(query_archive, {"$filter": {**order, "$limit": 100}})
    pages: list[str] = []
    request: dict[str, Any] = {"$filter": {**order, "$limit": 3, "$scrollId": "START"}}
    for _ in range(10):
        page = search(query_archive, request)
        pages += [item["#id"] for item in page.results]
        assert page.total == whole.total
        if page.scroll_id is None:
            break
        request = {"$filter": {**order, "$limit": 3, "$scrollId": page.scroll_id}}
    assert pages == [item["#id"] for item in whole.results]
    assert len(pages) == 8


def test_offsets_page_through_the_same_order(query_archive: QueryArchive) -> None:
    order = {"$orderby": {"StartDate": 1}}
    whole = [item["#id"] for item in search(query_archive, {"$filter": order}).results]
    pages = [
        item["#id"]
        for offset in (0, 3, 6)
        for item in search(query_archive, {"$filter": {**order, "$offset": offset, "$limit": 3}}).results
    ]
    assert pages == whole
    beyond = search(query_archive, {"$filter": {**order, "$offset": 20}})
    assert (beyond.results, beyond.total) == ([], 8)


def test_a_scroll_id_belongs_to_its_query(query_archive: QueryArchive) -> None:
    from archipel.core.errors import InvalidRequest

    first = search(query_archive, {"$filter": {"$limit": 2, "$scrollId": "START"}})
    assert first.scroll_id
    with pytest.raises(InvalidRequest, match="another query"):
        search(
            query_archive,
            {"$query": {"$exists": "Pages"}, "$filter": {"$limit": 2, "$scrollId": first.scroll_id}},
        )
    with pytest.raises(InvalidRequest, match="scrollId"):
        search(query_archive, {"$filter": {"$limit": 2, "$scrollId": "not-a-cursor"}})


def test_facets_count_the_matching_units(query_archive: QueryArchive) -> None:
    result = search(
        query_archive,
        {
            "$query": {"$ne": {"#id": "@I4"}},
            "$filter": {"$limit": 0},
            "$facets": [
                {"$name": "agencies", "$terms": {"$field": "#originating_agency"}},
                {"$name": "levels", "$terms": {"$field": "DescriptionLevel", "$size": 2}},
                {"$name": "least", "$terms": {"$field": "DescriptionLevel", "$order": "ASC"}},
                {"$name": "keyword types", "$terms": {"$field": "Keyword.KeywordType"}},
                {"$name": "parents", "$terms": {"$field": "#unitups", "$size": 1}},
                {
                    "$name": "periods",
                    "$date_range": {
                        "$field": "StartDate",
                        "$format": "yyyy",
                        "$ranges": [{"$to": "1980"}, {"$from": "1980", "$to": "1990"}, {"$from": "1990"}],
                    },
                },
                {
                    "$name": "closed until",
                    "$date_range": {
                        "$field": "#computedInheritedRules.AccessRule.EndDate",
                        "$ranges": [{"$to": "2001"}, {"$from": "2040-06"}],
                    },
                },
                {"$name": "with pages", "$exists": {"$field": "Pages"}},
                {
                    "$name": "kinds",
                    "$filters": {
                        "$query_filters": [
                            {"$name": "budget", "$query": {"$match": {"_all": "budget"}}},
                            {"$name": "series", "$query": {"$eq": {"DescriptionLevel": "Series"}}},
                        ]
                    },
                },
            ],
        },
    )
    archive = query_archive.first
    assert result.total == 7 and result.results == []
    assert result.facets == {
        "agencies": [{"value": "AG-A", "count": 6}, {"value": "AG-B", "count": 1}],
        "levels": [{"value": "Item", "count": 3}, {"value": "File", "count": 2}],
        "least": [
            {"value": "File", "count": 2},
            {"value": "Series", "count": 2},
            {"value": "Item", "count": 3},
        ],
        "keyword types": [{"value": "subject", "count": 3}, {"value": "geogname", "count": 2}],
        "parents": [{"value": min(archive.ids["F1"], archive.ids["S1"]), "count": 2}],
        "periods": [
            {"value": "../1980", "count": 2},
            {"value": "1980/1990", "count": 2},
            {"value": "1990/..", "count": 3},
        ],
        "closed until": [{"value": "../2001", "count": 6}, {"value": "2040-06/..", "count": 1}],
        "with pages": [{"value": "Pages", "count": 3}],
        "kinds": [{"value": "budget", "count": 2}, {"value": "series", "count": 2}],
    }


def test_the_callers_restriction_applies_to_results_total_and_facets(query_archive: QueryArchive) -> None:
    from archipel.metadata.model import ArchiveUnit

    result = search(
        query_archive,
        {
            "$query": {"$match": {"_all": "délibération"}},
            "$filter": {"$orderby": {"Title": 1}},
            "$facets": [{"$name": "agencies", "$terms": {"$field": "#originating_agency"}}],
        },
        where=ArchiveUnit.originating_agency == "AG-B",
        annotations={"#fromA": ArchiveUnit.originating_agency == "AG-A", "#level": ArchiveUnit.level},
    )
    assert found(query_archive, result) == ["I4"]
    assert result.total == 1
    assert result.facets == {"agencies": [{"value": "AG-B", "count": 1}]}
    assert result.results[0]["#fromA"] in (False, 0) and result.results[0]["#level"] == "Item"
    assert result.as_dict()["scrollId"] is None


def test_a_tenant_never_sees_nor_counts_another_tenants_units(query_archive: QueryArchive) -> None:
    request = {
        "$query": {"$match": {"_all": "délibération secrète"}},
        "$facets": [{"$name": "levels", "$terms": {"$field": "DescriptionLevel"}}],
    }
    first = search(query_archive, request, tenant=1)
    second = search(query_archive, request, tenant=2)
    other_id = query_archive.second.ids["X1"]
    assert other_id not in [item["#id"] for item in first.results]
    assert first.total == 4
    assert first.facets["levels"] == [{"value": "Item", "count": 3}, {"value": "Series", "count": 1}]
    assert [item["#id"] for item in second.results] == [other_id]
    assert second.facets["levels"] == [{"value": "Item", "count": 1}]
    roots = search(query_archive, {"$roots": [other_id], "$query": {"$depth": 0}}, tenant=1)
    by_id = search(query_archive, {"$query": {"$eq": {"#id": other_id}}}, tenant=1)
    assert roots.total == by_id.total == 0


def test_the_total_is_counted_up_to_the_window_unless_every_match_is_asked(
    query_archive: QueryArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archipel.access.query import search as search_module

    monkeypatch.setattr(search_module, "MAX_WINDOW", 5)  # the 10,000 of production, made small
    capped = search(query_archive, {"$filter": {"$limit": 2, "$scrollId": "START"}})
    assert (capped.total, capped.total_exact) == (5, False)
    assert capped.as_dict()["totalExact"] is False
    following = search(query_archive, {"$filter": {"$limit": 2, "$scrollId": capped.scroll_id}})
    assert (following.total, following.total_exact) == (5, False)  # kept from the scroll's start
    exact = search(query_archive, {"$filter": {"$track_total_hits": True}})
    assert (exact.total, exact.total_exact) == (8, True)
    small = search(query_archive, {"$query": {"$exists": "Pages"}})
    assert (small.total, small.total_exact) == (3, True)


@pytest.mark.parametrize(
    "query",
    [
        {"$match": {"_all": "urbanisme église conseil"}},
        {"$or": [{"$match": {"_all": "urbanisme"}}, {"$eq": {"DescriptionLevel": "Item"}}]},
    ],
    ids=["full text", "full text or field"],
)
def test_a_page_of_more_matches_than_the_window_is_the_first_of_all_matches(
    query_archive: QueryArchive, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]
) -> None:
    """Past the window PostgreSQL walks the units in id order instead of sorting every match
    (search._Pages._dense): the page must be the same as when every match is counted."""
    from archipel.access.query import search as search_module

    every = search(query_archive, {"$query": query, "$filter": {"$track_total_hits": True}})
    assert every.total > 3
    monkeypatch.setattr(search_module, "MAX_WINDOW", 2)
    for limit in (2, every.total, every.total + 1):
        capped = search(query_archive, {"$query": query, "$filter": {"$limit": limit}})
        assert (capped.total, capped.total_exact) == (2, False)
        assert found(query_archive, capped) == found(query_archive, every)[:limit]
