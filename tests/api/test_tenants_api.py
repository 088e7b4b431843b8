"""Platform admins create, list, deactivate and reactivate tenants over HTTP; nobody else can."""

from __future__ import annotations

import pytest
from callers import Caller
from fastapi.testclient import TestClient

from archipel.admin import service as admin
from archipel.admin.roles import Role
from archipel.platform import Platform


@pytest.fixture
def operator(platform: Platform, client: TestClient) -> Caller:
    """The platform's operator: a platform-admin key on the administration tenant."""
    with platform.database.unit_of_work() as session:
        key = admin.create_api_key(session, admin.ADMIN_TENANT, "operator", role=Role.PLATFORM_ADMIN).secret
    return Caller(client, admin.ADMIN_TENANT, key)


def test_a_platform_admin_creates_a_provisioned_tenant_whose_admin_signs_in(operator: Caller) -> None:
    client, headers = operator.client, operator.headers()
    made = client.post(
        "/api/v1/tenants",
        headers=headers,
        json={"name": "Commune C", "organisation": "CC du Val", "admin": "admin-c"},
    )
    assert made.status_code == 201, made.text
    done = made.json()
    assert (done["name"], done["organisation"], done["admin"]) == ("Commune C", "CC du Val", "admin-c")
    assert "ingest-contracts" in done["referentials"]

    signed = client.post("/api/v1/auth/token", data={"username": "admin-c", "password": done["password"]})
    assert signed.status_code == 200
    as_admin = {"Authorization": f"Bearer {signed.json()['access_token']}", "X-Tenant-Id": str(done["id"])}
    assert client.get("/api/v1/users", headers=as_admin).json() == [
        {"login": "admin-c", "roles": ["tenant-admin"], "active": True}
    ]
    listed = client.get("/api/v1/tenants", headers=headers).json()
    assert {"id": done["id"], "name": "Commune C", "organisation": "CC du Val", "active": True} in listed
    organisations = client.get("/api/v1/organisations", headers=headers).json()
    assert [org["tenants"] for org in organisations if org["name"] == "CC du Val"] == [[done["id"]]]


def test_a_tenant_admin_cannot_create_or_deactivate_tenants(commune_a: Caller) -> None:
    client, headers = commune_a.client, commune_a.headers()
    assert client.post("/api/v1/tenants", headers=headers, json={"name": "Pirate"}).status_code == 403
    assert client.post("/api/v1/tenants/2/deactivate", headers=headers, json={}).status_code == 403
    assert client.get("/api/v1/tenants", headers=headers).status_code == 403


def test_a_deactivated_tenant_is_read_only_until_reactivated(operator: Caller, commune_a: Caller) -> None:
    client = operator.client
    off = client.post("/api/v1/tenants/1/deactivate", headers=operator.headers(), json={"reason": "fusion"})
    assert off.status_code == 200 and off.json()["active"] is False and off.json()["operation_id"]
    refused = client.post("/api/v1/referentials/agencies", headers=commune_a.headers(), json=[])
    assert refused.status_code == 403 and "deactivated" in refused.json()["message"]
    assert (
        client.post("/api/v1/tenants/1/activate", headers=operator.headers(), json={}).json()["active"]
        is True
    )


def test_a_second_tenant_of_the_same_name_is_a_conflict(operator: Caller) -> None:
    body = {"name": "Commune C"}
    assert operator.client.post("/api/v1/tenants", headers=operator.headers(), json=body).status_code == 201
    again = operator.client.post("/api/v1/tenants", headers=operator.headers(), json=body)
    assert again.status_code == 409
