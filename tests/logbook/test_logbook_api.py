"""The lifecycle, securing and verification of logbooks over HTTP (archipel/api/routes/logbooks.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from logbook_support import ingest, tamper

from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


def headers(platform: Platform, tenant: int) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        key = admin.create_api_key(session, tenant, "test").secret
    return {"X-Tenant-Id": str(tenant), "X-Api-Key": key}


def test_a_units_lifecycle_is_read_by_its_tenant_only(platform: Platform, client: TestClient) -> None:
    operation_id = ingest(platform)
    with platform.database.unit_of_work() as session:
        unit = next(
            unit
            for unit in UnitRepository(session, 1).units(operation_id=operation_id)
            if unit.object_group_id
        )
    answer = client.get(f"/api/v1/units/{unit.id}/lifecycle", headers=headers(platform, 1))
    assert answer.status_code == 200
    assert [entry["event"] for entry in answer.json()["lifecycle"]] == ["LFC.INGEST"]
    group = client.get(
        f"/api/v1/object-groups/{unit.object_group_id}/lifecycle", headers=headers(platform, 1)
    )
    assert group.status_code == 200 and group.json()["kind"] == "object-group"
    hidden = client.get(f"/api/v1/units/{unit.id}/lifecycle", headers=headers(platform, 2))
    assert hidden.status_code == 404 and hidden.json()["code"] == "NOT_FOUND"


def test_securing_then_verifying_over_http(platform: Platform, client: TestClient) -> None:
    operation_id = ingest(platform)
    caller = headers(platform, 1)
    secured = client.post("/api/v1/logbooks/secure", headers=caller)
    assert secured.status_code == 200
    body = secured.json()
    assert body["entries"] > 0 and len(body["root"]) == 128 and body["operation_id"]
    assert client.post("/api/v1/logbooks/secure", headers=caller).json()["operation_id"] is None
    proof = client.get(f"/api/v1/logbooks/proofs/{operation_id}", headers=caller).json()
    assert proof["root"] == body["root"]
    assert client.get("/api/v1/logbooks/verify", headers=caller).json()["ok"] is True

    tamper(platform, "UPDATE logbook_events SET message = 'x' WHERE operation_id = :id", id=operation_id)
    report = client.get("/api/v1/logbooks/verify", headers=caller).json()
    assert report["ok"] is False and report["faults"][0]["entry"] == operation_id
