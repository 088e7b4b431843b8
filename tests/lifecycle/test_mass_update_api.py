"""`POST /units/update` answers 202 with an operation id once the actions are checked; the update
runs in the background, the operation's events are the report, and a tenant's update never
reaches another tenant's units."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access.access_archive import add_access_contract, ingest_archive
from fastapi.testclient import TestClient
from support import ACCESS_CONTRACT
from update_support import ids_query, stored_versions, unit_row

from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.platform import Platform


@pytest.fixture
def http(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as client:
        yield client


def headers(platform: Platform, tenant: int, contract: str = ACCESS_CONTRACT) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        key = admin.create_api_key(session, tenant, "test", access_contract=contract).secret
    return {"X-Tenant-Id": str(tenant), "X-Api-Key": key}


def finished(
    platform: Platform, http: TestClient, operation_id: str, caller: dict[str, str]
) -> dict[str, Any]:
    """The operation once the workers are done (they are waited for, not polled)."""
    platform.tasks.shutdown(wait=True)
    response = http.get(f"/api/v1/operations/{operation_id}", headers=caller)
    assert response.status_code == 200, response.text
    return response.json()


def test_updates_in_the_background_and_never_touches_another_tenants_units(
    platform: Platform, http: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ours, theirs = ingest_archive(platform, tmp_path / "a", 1), ingest_archive(platform, tmp_path / "b", 2)
    commune_a, commune_b = headers(platform, 1), headers(platform, 2)
    body = {
        "query": ids_query(ours.other, theirs.other, theirs.series),
        "set": {"Description": "revu en 2026"},
        "add_rules": [{"type": "AccessRule", "id": "ACC-00002", "start": "2026-01-01"}],
    }

    response = http.post("/api/v1/units/update", headers=commune_a, json=body)

    assert response.status_code == 202, response.text
    assert response.json().keys() == {"operation_id"}
    operation_id = response.json()["operation_id"]
    done = finished(platform, http, operation_id, commune_a)
    assert done["type"] == "MASS_UPDATE" and done["outcome"] == "OK" and done["units"] == 1
    assert [e["target"] for e in done["events"] if e["code"] == "MASS_UPDATE.UPDATED.OK"] == [ours.other]
    assert unit_row(platform, ours.other).content["Description"] == "revu en 2026"
    for unit_id in (theirs.other, theirs.series):
        assert unit_row(platform, unit_id, tenant=2).version == 1
        assert stored_versions(platform, unit_id, tenant=2)["offer-1"] == [1]
    assert http.get(f"/api/v1/operations/{operation_id}", headers=commune_b).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"query": {}, "set": {"NumeroDossier": "1"}}, 400, "not a field of archive units"),
        (
            {"query": {}, "add_rules": [{"type": "AccessRule", "id": "APP-00001", "start": "2020-01-01"}]},
            400,
            "is a AppraisalRule",
        ),
        ({"query": {}}, 400, "nothing to do"),
        ({"query": {"$query": {"$eq2": {}}}, "set": {"Description": "x"}}, 400, "$eq2"),
        ({"query": {}, "add_rules": [{"type": "AccessRule", "id": "ACC-00001", "start": "demain"}]}, 422, ""),
        ({"set": {"Description": "x"}}, 422, ""),
    ],
    ids=["unknown-field", "wrong-category", "no-action", "bad-query", "bad-date", "no-query"],
)
def test_refuses_a_request_it_cannot_do_before_starting_anything(
    platform: Platform, http: TestClient, body: dict[str, Any], status: int, said: str
) -> None:
    response = http.post("/api/v1/units/update", headers=headers(platform, 1), json=body)
    assert response.status_code == status, response.text
    assert said in response.text


def test_a_contract_without_writing_permission_may_not_update(platform: Platform, http: TestClient) -> None:
    reader = add_access_contract(platform, "AC-LECTURE", WritingPermission=False)
    body = {"query": {}, "set": {"Description": "x"}}
    response = http.post("/api/v1/units/update", headers=headers(platform, 1, reader), json=body)
    assert response.status_code == 403 and "WritingPermission" in response.json()["message"]
