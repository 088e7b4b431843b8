"""A tenant admin manages the tenant's users and API keys over HTTP, on that tenant only."""

from __future__ import annotations

import logging

import pytest
from callers import Caller
from fastapi.testclient import TestClient

from archipel.logbook.service import OperationLog
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"


def _token(client: TestClient, login: str) -> dict[str, str]:
    signed = client.post("/api/v1/auth/token", data={"username": login, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['access_token']}"}


def test_a_tenant_admin_creates_a_user_with_roles_on_their_tenant_only(commune_a: Caller) -> None:
    client, headers = commune_a.client, commune_a.headers()
    made = client.post(
        "/api/v1/users",
        headers=headers,
        json={"login": "archiviste", "password": PASSWORD, "roles": ["archivist"]},
    )
    assert made.status_code == 201, made.text
    assert made.json() == {"login": "archiviste", "roles": ["archivist"], "active": True}
    assert "password" not in made.text

    token = _token(client, "archiviste")
    assert client.get("/api/v1/operations", headers={**token, "X-Tenant-Id": "1"}).status_code == 200
    assert client.get("/api/v1/operations", headers={**token, "X-Tenant-Id": "2"}).status_code == 403

    granted = client.put("/api/v1/users/archiviste/roles/approver", headers=headers)
    assert granted.json()["roles"] == ["approver", "archivist"]
    revoked = client.delete("/api/v1/users/archiviste/roles/archivist", headers=headers)
    assert revoked.json()["roles"] == ["approver"]
    assert client.get("/api/v1/users", headers=headers).json() == [
        {"login": "archiviste", "roles": ["approver"], "active": True}
    ]
    assert (
        client.get("/api/v1/users", headers=commune_a.headers(2)).status_code == 403
    )  # a key opens one tenant


def test_role_changes_are_logged_naming_the_person_by_a_stable_id_not_the_login(
    platform: Platform, commune_a: Caller
) -> None:
    client, headers = commune_a.client, commune_a.headers()
    client.post("/api/v1/users", headers=headers, json={"login": "lecteur", "password": PASSWORD})
    client.put("/api/v1/users/lecteur/roles/reader", headers=headers)
    with platform.database.unit_of_work() as session:
        logged = [operation.message for operation in OperationLog(session, 1).operations(type_="USER_ROLES")]
    assert len(logged) == 2 and all(message.startswith("user:") for message in logged)
    assert not any("lecteur" in message for message in logged)
    assert "given reader on tenant 1" in logged[0]


def test_only_a_platform_admin_gives_the_platform_admin_role(commune_a: Caller) -> None:
    client, headers = commune_a.client, commune_a.headers()
    client.post("/api/v1/users", headers=headers, json={"login": "ambitieux", "password": PASSWORD})
    refused = client.put("/api/v1/users/ambitieux/roles/platform-admin", headers=headers)
    assert refused.status_code == 403 and "platform admin" in refused.json()["message"]
    assert client.post("/api/v1/keys", headers=headers, json={"role": "platform-admin"}).status_code == 403


def test_a_key_is_issued_once_listed_without_its_secret_and_revoked(commune_a: Caller) -> None:
    client, headers = commune_a.client, commune_a.headers()
    issued = client.post("/api/v1/keys", headers=headers, json={"name": "parapheur", "role": "depositor"})
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    secret, key_id = issued.json()["key"], issued.json()["id"]
    as_app = {"X-Tenant-Id": "1", "X-Api-Key": secret}
    assert client.get("/api/v1/operations", headers=as_app).status_code == 200
    assert client.get("/api/v1/units", headers=as_app).status_code == 403  # a depositor does not read

    listed = client.get("/api/v1/keys", headers=headers)
    assert secret not in listed.text
    assert [key["name"] for key in listed.json() if key["id"] == key_id] == ["parapheur"]

    assert client.delete(f"/api/v1/keys/{key_id}", headers=headers).json()["revoked"] is True
    assert client.get("/api/v1/operations", headers=as_app).status_code == 401


def test_another_tenants_key_is_not_found(commune_a: Caller, commune_b: Caller) -> None:
    other = commune_b.client.post("/api/v1/keys", headers=commune_b.headers(), json={"name": "b"}).json()[
        "id"
    ]
    missing = commune_a.client.delete(f"/api/v1/keys/{other}", headers=commune_a.headers())
    assert missing.status_code == 404
    listed = commune_b.client.get("/api/v1/keys", headers=commune_b.headers()).json()
    assert [key["revoked"] for key in listed if key["id"] == other] == [False]


def test_no_password_or_key_secret_reaches_a_log_or_the_logbook(
    platform: Platform, commune_a: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, headers = commune_a.client, commune_a.headers()
    client.post("/api/v1/users", headers=headers, json={"login": "secretaire", "password": PASSWORD})
    client.post("/api/v1/auth/token", data={"username": "secretaire", "password": "not the password!"})
    secret = client.post("/api/v1/keys", headers=headers, json={"name": "ged"}).json()["key"]
    with platform.database.unit_of_work() as session:
        logbook = " ".join(
            f"{operation.message} {operation.agent}" for operation in OperationLog(session, 1).operations()
        )
    for leaked in (PASSWORD, "not the password!", secret, secret.partition(".")[2]):
        assert leaked not in caplog.text and leaked not in logbook
