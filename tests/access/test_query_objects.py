"""The search language on data objects: the same criteria, order, cursor and facets."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import QueryArchive

from archipel.access.query import SearchResult, search_objects
from archipel.metadata.model import DataObject

OBJECT_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("everything", {}, ["budget_1990.pdf", "deliberation-12.pdf", "deliberation-12.png"]),
    ("by MIME type", {"$query": {"$eq": {"mime": "image/png"}}}, ["deliberation-12.png"]),
    ("by size", {"$query": {"$gte": {"size": 1000}}}, ["budget_1990.pdf", "deliberation-12.pdf"]),
    ("by usage", {"$query": {"$ne": {"usage": "BinaryMaster"}}}, ["deliberation-12.png"]),
    (
        "wildcard ignores ASCII case",
        {"$query": {"$wildcard": {"filename": "*.PDF"}}},
        ["budget_1990.pdf", "deliberation-12.pdf"],
    ),
    ("underscore is literal", {"$query": {"$wildcard": {"filename": "budget_*"}}}, ["budget_1990.pdf"]),
    ("of a unit", {"$query": {"$eq": {"#unitups": "@I1"}}}, ["deliberation-12.pdf", "deliberation-12.png"]),
    ("under a root", {"$roots": ["@F1"]}, ["budget_1990.pdf", "deliberation-12.pdf", "deliberation-12.png"]),
    ("of the root itself", {"$roots": ["@I2"], "$query": {"$depth": 0}}, ["budget_1990.pdf"]),
    ("under a root without objects", {"$roots": ["@S2"]}, []),
    (
        "order by size",
        {"$filter": {"$orderby": {"size": -1}}},
        ["budget_1990.pdf", "deliberation-12.pdf", "deliberation-12.png"],
    ),
]


def objects(archive: QueryArchive, request: dict[str, Any], tenant: int = 1, **options: Any) -> SearchResult:
    with archive.platform.database.unit_of_work() as session:
        return search_objects(session, tenant, archive.first.resolve(request), **options)


@pytest.mark.parametrize(
    ("request_", "expected"), [c[1:] for c in OBJECT_CASES], ids=[c[0] for c in OBJECT_CASES]
)
def test_object_query(query_archive: QueryArchive, request_: dict[str, Any], expected: list[str]) -> None:
    request = dict(request_)
    request.setdefault("$filter", {"$orderby": {"filename": 1}})
    result = objects(query_archive, request)
    assert [item["filename"] for item in result.results] == expected
    assert result.total == len(expected)


def test_object_results_facets_and_tenant(query_archive: QueryArchive) -> None:
    archive = query_archive.first
    result = objects(
        query_archive,
        {
            "$query": {"$eq": {"puid": "fmt/17"}},
            "$filter": {"$orderby": {"size": 1}, "$limit": 1, "$scrollId": "START"},
            "$facets": [
                {"$name": "usages", "$terms": {"$field": "usage"}},
                {"$name": "units", "$terms": {"$field": "#unitups"}},
            ],
        },
    )
    assert result.total == 2
    first = result.results[0]
    assert first == {
        "#id": archive.objects["deliberation-12.pdf"],
        "#object": first["#object"],
        "usage": "BinaryMaster",
        "version": 1,
        "puid": "fmt/17",
        "mime": "application/pdf",
        "size": 2048,
        "filename": "deliberation-12.pdf",
        "#unitups": [archive.ids["I1"]],
    }
    assert result.facets["usages"] == [{"value": "BinaryMaster", "count": 2}]
    assert sorted(bucket["value"] for bucket in result.facets["units"]) == sorted(
        [archive.ids["I1"], archive.ids["I2"]]
    )
    following = objects(
        query_archive,
        {
            "$query": {"$eq": {"puid": "fmt/17"}},
            "$filter": {"$orderby": {"size": 1}, "$scrollId": result.scroll_id},
        },
    )
    assert [item["filename"] for item in following.results] == ["budget_1990.pdf"]
    restricted = objects(query_archive, {}, where=DataObject.usage == "Dissemination")
    assert [item["filename"] for item in restricted.results] == ["deliberation-12.png"]
    other = objects(query_archive, {}, tenant=2)
    assert [item["filename"] for item in other.results] == ["secret.pdf"]
