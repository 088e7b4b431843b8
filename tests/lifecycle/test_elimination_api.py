"""Elimination over HTTP: 202 for the background steps, 409 before approval, 403 for the key that asked,
404 for another tenant's request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from elimination_fonds import Fonds
from fastapi.testclient import TestClient
from support import ACCESS_CONTRACT

from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.platform import Platform
from archipel.tasks.runner import InProcessRunner


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


def headers(platform: Platform, tenant: int = 1) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        key = admin.create_api_key(session, tenant, "test", access_contract=ACCESS_CONTRACT).secret
    return {"X-Tenant-Id": str(tenant), "X-Api-Key": key}


def finished(
    client: TestClient, platform: Platform, head: dict[str, str], operation_id: str
) -> dict[str, Any]:
    platform.tasks.shutdown(wait=True)  # the background work has ended: no timing involved
    platform.tasks = InProcessRunner(platform)  # and a fresh pool for what comes next
    response = client.get(f"/api/v1/operations/{operation_id}", headers=head)
    assert response.status_code == 200 and response.json()["status"] == "DONE", response.text
    return response.json()


def test_the_whole_elimination_over_http(platform: Platform, client: TestClient, fonds: Fonds) -> None:
    archivist, director, other = headers(platform), headers(platform), headers(platform, 2)
    body = {"query": json.loads(fonds.query), "date": "2026-01-01"}
    asked = client.post("/api/v1/elimination-analyses", headers=archivist, json=body)
    assert asked.status_code == 202, asked.text
    analysis_id = asked.json()["operation_id"]
    finished(client, platform, archivist, analysis_id)
    result = client.get(f"/api/v1/elimination-analyses/{analysis_id}", headers=archivist).json()
    assert len(result["destroyable"]) == 4

    made = client.post(
        "/api/v1/eliminations", headers=archivist, json={"analysis": analysis_id, "user": "alice"}
    )
    assert made.status_code == 201, made.text
    request_id = made.json()["request_id"]
    assert client.get(f"/api/v1/eliminations/{request_id}/request.pdf", headers=archivist).content.startswith(
        b"%PDF"
    )
    assert client.get(f"/api/v1/eliminations/{request_id}", headers=other).status_code == 404
    assert (
        client.post(f"/api/v1/eliminations/{request_id}/approve", headers=other, json={}).status_code == 404
    )

    refused = client.post(f"/api/v1/eliminations/{request_id}/run", headers=archivist)
    assert (refused.status_code, refused.json()["code"]) == (409, "CONFLICT")
    same_key = client.post(
        f"/api/v1/eliminations/{request_id}/approve", headers=archivist, json={"user": "bob"}
    )
    assert (same_key.status_code, same_key.json()["code"]) == (403, "FORBIDDEN")
    approved = client.post(
        f"/api/v1/eliminations/{request_id}/approve", headers=director, json={"user": "bob"}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "APPROVED"

    started = client.post(f"/api/v1/eliminations/{request_id}/run", headers=director)
    assert started.status_code == 202, started.text
    operation = finished(client, platform, director, started.json()["operation_id"])
    counts = (operation["type"], operation["outcome"], operation["units"], operation["objects"])
    assert counts == ("ELIMINATION_ACTION", "OK", 4, 3)
    assert (
        client.get(f"/api/v1/eliminations/{request_id}", headers=archivist).json()["status"] == "ELIMINATED"
    )
    assert client.get(f"/api/v1/eliminations/{request_id}/certificate", headers=archivist).content.startswith(
        b"%PDF"
    )
    assert client.get(f"/api/v1/eliminations/{request_id}/certificate", headers=other).status_code == 404
    assert client.get(f"/api/v1/units/{fonds['file.a']}", headers=archivist).status_code == 404
