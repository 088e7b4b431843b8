"""Once users exist, a person grants the elimination visa only with the approver role (issue 8)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from elimination_fonds import Fonds
from fastapi.testclient import TestClient
from test_elimination_api import finished

from archipel.admin import users
from archipel.admin.roles import Role
from archipel.api.app import create_app
from archipel.logbook.securing import secure
from archipel.logbook.verification import verify_logbooks
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


def signed_in(platform: Platform, client: TestClient, login: str, role: Role) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        users.create_user(session, login, PASSWORD)
        users.grant(session, login, 1, role)
    token = client.post("/api/v1/auth/token", data={"username": login, "password": PASSWORD}).json()
    return {"X-Tenant-Id": "1", "Authorization": f"Bearer {token['access_token']}"}


def requested(platform: Platform, client: TestClient, fonds: Fonds, archivist: dict[str, str]) -> str:
    """An elimination request of the fonds, analysed and asked by `archivist`: its id."""
    body = {"query": json.loads(fonds.query), "date": "2026-01-01"}
    analysis_id = client.post("/api/v1/elimination-analyses", headers=archivist, json=body).json()[
        "operation_id"
    ]
    finished(client, platform, archivist, analysis_id)
    made = client.post("/api/v1/eliminations", headers=archivist, json={"analysis": analysis_id})
    assert made.status_code == 201, made.text
    return str(made.json()["request_id"])


def test_only_an_approver_grants_the_visa_and_under_their_own_login(
    platform: Platform, client: TestClient, fonds: Fonds
) -> None:
    archivist = signed_in(platform, client, "archiviste", Role.ARCHIVIST)
    head = signed_in(platform, client, "cheffe", Role.TENANT_ADMIN)
    approver = signed_in(platform, client, "directrice", Role.APPROVER)
    request_id = requested(platform, client, fonds, archivist)

    assert (
        client.post(f"/api/v1/eliminations/{request_id}/approve", headers=archivist, json={}).status_code
        == 403
    )
    by_head = client.post(
        f"/api/v1/eliminations/{request_id}/approve", headers=head, json={"user": "directrice"}
    )
    assert by_head.status_code == 403 and "approver" in by_head.json()["message"]
    approved = client.post(f"/api/v1/eliminations/{request_id}/approve", headers=approver, json={"user": "x"})
    assert approved.status_code == 200 and approved.json()["decided_by"] == "directrice"


def test_anonymised_people_stay_accountable_under_a_pseudonym_and_the_logbook_still_verifies(
    platform: Platform, client: TestClient, fonds: Fonds
) -> None:
    """Requests, visas and their logbook entries name people by `user:<id>`: anonymising the
    approver changes no secured entry, and the request then shows the pseudonym."""
    archivist = signed_in(platform, client, "archiviste", Role.ARCHIVIST)
    request_id = requested(platform, client, fonds, archivist)
    visa = signed_in(platform, client, "directrice", Role.APPROVER)
    assert client.post(f"/api/v1/eliminations/{request_id}/approve", headers=visa, json={}).status_code == 200
    assert secure(platform, 1, agent="test").entries > 0

    with platform.database.unit_of_work() as session:
        pseudonym = users.anonymise(session, "directrice")
    shown = client.get(f"/api/v1/eliminations/{request_id}", headers=archivist).json()
    assert (shown["requested_by"], shown["decided_by"]) == ("archiviste", pseudonym)
    operations = client.get("/api/v1/operations", headers=archivist).json()
    logbook = "".join(
        client.get(f"/api/v1/operations/{operation['id']}", headers=archivist).text
        for operation in operations
    )
    assert "directrice" not in logbook and f"by user:{pseudonym.removeprefix('anonymised-')}" in logbook
    assert verify_logbooks(platform, 1).ok
