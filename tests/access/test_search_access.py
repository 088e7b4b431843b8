"""Search under an access contract, from the HTTP API and the command line.

The contract's limits apply to the results, their total and their facets alike; each
result says whether the unit is communicable today.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_archive import AGENCY, PDF, Archive, add_access_contract, ingest_archive
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from archipel.access.delivery import access_records
from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.cli.main import app
from archipel.platform import Platform

FACETS = [{"$name": "agencies", "$terms": {"$field": "#originating_agency", "$size": 10}}]


@pytest.fixture
def archive(platform: Platform, tmp_path: Path) -> Archive:
    return ingest_archive(platform, tmp_path)


@pytest.fixture
def http(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as client:
        with platform.database.unit_of_work() as session:
            key = admin.create_api_key(session, 1, "reader", access_contract="ContratTNR").secret
        client.headers.update({"X-Tenant-Id": "1", "X-Api-Key": key})
        yield client


def archipel(platform: Platform, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setenv("ARCHIPEL_DATABASE_URL", platform.settings.database_url)
    monkeypatch.setenv("ARCHIPEL_DEMO", "false")
    return CliRunner().invoke(app, ["--home", str(platform.settings.home), *args])


def test_search_counts_and_facets_only_the_units_the_contract_covers(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    request = {"$query": {"$match": {"_all": "marché registre"}}, "$facets": FACETS}
    everything = http.post("/api/v1/units/search", json=request).json()
    assert everything["total"] == 5  # the series, its three files, the other service's register
    assert {facet["value"] for facet in everything["facets"]["agencies"]} == {AGENCY, "Identifier0"}
    limited = add_access_contract(
        platform, "AC-SERVICE", EveryOriginatingAgency=False, OriginatingAgencies=[AGENCY]
    )
    found = http.post("/api/v1/units/search", json=request, headers={"X-Access-Contract-Id": limited}).json()
    assert found["total"] == 4
    assert archive.other not in {unit["#id"] for unit in found["results"]}
    assert found["facets"]["agencies"] == [{"value": AGENCY, "count": 4}]


def test_each_result_says_whether_the_unit_is_communicable_today(http: TestClient, archive: Archive) -> None:
    request = {"$query": {"$match_all": {"Title": "marché"}}, "$filter": {"$orderby": {"Title": 1}}}
    found = http.post("/api/v1/units/search", json=request).json()
    assert [(unit["Title"], unit["#communicable"]) for unit in found["results"]] == [
        ("Marché de voirie 2020", False),
        ("Marché ouvert", True),
        ("Marché sans réserve", True),
        ("Série des marchés publics", False),
    ]


def test_a_malformed_query_is_a_400_naming_the_fault(http: TestClient, archive: Archive) -> None:
    response = http.post("/api/v1/units/search", json={"$query": {"$sorcery": {"Title": "x"}}})
    assert response.status_code == 400
    assert "$sorcery" in response.json()["message"]


def test_object_search_leaves_out_usages_the_contract_excludes(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    request = {"$query": {"$eq": {"usage": "BinaryMaster"}}}
    assert http.post("/api/v1/objects/search", json=request).json()["total"] == 4
    thumbnails = add_access_contract(
        platform, "AC-VIGNETTES", EveryDataObjectVersion=False, DataObjectVersion=["Thumbnail"]
    )
    found = http.post("/api/v1/objects/search", json=request, headers={"X-Access-Contract-Id": thumbnails})
    assert found.json()["total"] == 0


def test_the_command_line_searches_words_under_a_contract(
    platform: Platform, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = archipel(platform, monkeypatch, "search", "marchés", "--tenant", "1", "--json")
    assert operator.exit_code == 0, operator.output
    assert json.loads(operator.stdout)["total"] == 4
    public = add_access_contract(platform, "AC-PUBLIC", RuleCategoryToFilter=["AccessRule"])
    query = json.dumps({"$query": {"$eq": {"#id": archive.closed}}})
    limited = archipel(
        platform, monkeypatch, "search", query, "--tenant", "1", "--contract", public, "--json"
    )
    assert limited.exit_code == 0, limited.output
    assert [unit["#communicable"] for unit in json.loads(limited.stdout)["results"]] == [False]


def test_the_command_line_refuses_what_the_contract_refuses_and_records_what_it_delivers(
    platform: Platform, archive: Archive, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    public = add_access_contract(platform, "AC-PUBLIC", RuleCategoryToFilter=["AccessRule"])
    found = archipel(platform, monkeypatch, "unit", "show", archive.closed, "--tenant", "1", "--json")
    object_id = json.loads(found.stdout)["objects"][0]["id"]
    target = tmp_path / "out.pdf"
    refused = archipel(
        platform, monkeypatch, "object", "get", object_id, "-t", "1", "-o", str(target), "--contract", public
    )
    assert refused.exit_code == 1 and not target.exists()
    delivered = archipel(platform, monkeypatch, "object", "get", object_id, "-t", "1", "-o", str(target))
    assert delivered.exit_code == 0, delivered.output
    assert target.read_bytes() == PDF
    with platform.database.unit_of_work() as session:
        assert [(r.contract, r.agent) for r in access_records(session, 1, object_id)] == [(None, "cli")]


def test_rules_show_gives_each_rule_its_origin(
    platform: Platform, http: TestClient, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = archipel(platform, monkeypatch, "rules", "show", archive.closed, "--tenant", "1", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == {
        "unit": archive.closed,
        "rules": [
            {
                "type": "AccessRule",
                "rule": "ACC-00003",
                "start": "2020-01-01",
                "end": "2045-01-01",
                "final_action": None,
                "origin": archive.series,
                "inherited": True,
            }
        ],
    }
    assert http.get(f"/api/v1/units/{archive.closed}/rules").json() == json.loads(shown.stdout)
