"""Every route declares its permission; callers without it are refused, another tenant's things stay 404.

The walk goes over the application's own OpenAPI, so a route added without a line in
`archipel/admin/permissions.py` fails here by name (and is refused to everyone at run time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import ACCESS_CONTRACT, FIXTURES
from test_ingest_api import upload, wait_for

from archipel.admin import service as admin
from archipel.admin import users
from archipel.admin.permissions import PUBLIC_ROUTES, ROUTE_PERMISSIONS
from archipel.admin.roles import ROLE_PERMISSIONS, Permission, Role
from archipel.api.app import create_app
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"
SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"
TOKEN_URL = "/api/v1/auth/token"


def routes_of(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def concrete(path: str) -> str:
    """A path the template matches, with ids that exist nowhere."""
    return re.sub(r"\{[^}]+\}", "0190-nothing", path)


@pytest.fixture
def app(platform: Platform) -> FastAPI:
    return create_app(platform)


@pytest.fixture
def guarded(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def test_every_route_declares_its_permission(app: FastAPI) -> None:
    undeclared = [
        route for route in routes_of(app) if route not in ROUTE_PERMISSIONS and route not in PUBLIC_ROUTES
    ]
    assert undeclared == [], "declare these routes in archipel/admin/permissions.py"


def test_the_table_names_no_route_that_does_not_exist(app: FastAPI) -> None:
    assert set(ROUTE_PERMISSIONS) - set(routes_of(app)) == set()


def test_every_role_has_its_permissions_and_the_visa_is_kept_from_the_archivist() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert Permission.APPROVE not in ROLE_PERMISSIONS[Role.ARCHIVIST]
    assert ROLE_PERMISSIONS[Role.DEPOSITOR] == {Permission.INGEST, Permission.OPERATIONS_READ}


@dataclass(frozen=True)
class Speaker:
    """A client speaking with one set of headers (a key, a token, or nothing)."""

    client: TestClient
    tenant: int
    credential: dict[str, str]

    def headers(self, tenant: int | None = None) -> dict[str, str]:
        return {
            "X-Tenant-Id": str(self.tenant if tenant is None else tenant),
            "X-Access-Contract-Id": ACCESS_CONTRACT,
            **self.credential,
        }

    def call(self, method: str, path: str) -> Any:
        return self.client.request(method, concrete(path), headers=self.headers())


def key_of(platform: Platform, client: TestClient, role: Role, tenant: int = 1) -> Speaker:
    with platform.database.unit_of_work() as session:
        secret = admin.create_api_key(session, tenant, role.value, ACCESS_CONTRACT, role).secret
    return Speaker(client, tenant, {"X-Api-Key": secret})


def user_of(platform: Platform, client: TestClient, login: str, *held: tuple[int, Role]) -> Speaker:
    with platform.database.unit_of_work() as session:
        users.create_user(session, login, PASSWORD)
        for tenant, role in held:
            users.grant(session, login, tenant, role)
    response = client.post(TOKEN_URL, data={"username": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    signed = response.json()
    assert signed["token_type"] == "bearer"
    return Speaker(client, held[0][0] if held else 1, {"Authorization": f"Bearer {signed['access_token']}"})


def lacking(permission: Permission) -> Role:
    return next(
        role
        for role in (Role.DEPOSITOR, Role.READER, Role.APPROVER)
        if permission not in ROLE_PERMISSIONS[role]
    )


def test_every_route_refuses_an_unauthenticated_call(guarded: TestClient) -> None:
    nobody = Speaker(guarded, 1, {})
    refused = {route: nobody.call(*route).status_code for route in ROUTE_PERMISSIONS}
    assert {route: status for route, status in refused.items() if status != 401} == {}


def test_every_route_refuses_a_role_lacking_its_permission(platform: Platform, guarded: TestClient) -> None:
    speakers = {
        role: key_of(platform, guarded, role) for role in (Role.DEPOSITOR, Role.READER, Role.APPROVER)
    }
    wrong = {}
    for route, permission in ROUTE_PERMISSIONS.items():
        response = speakers[lacking(permission)].call(*route)
        if response.status_code != 403 or permission.value not in response.json()["message"]:
            wrong[route] = (response.status_code, response.text[:200])
    assert wrong == {}


def test_a_role_with_the_permission_passes_the_guard(platform: Platform, guarded: TestClient) -> None:
    admin_key = key_of(platform, guarded, Role.TENANT_ADMIN)
    platform_key = key_of(platform, guarded, Role.PLATFORM_ADMIN)  # the whole platform's routes
    stopped = {}
    for route, permission in ROUTE_PERMISSIONS.items():
        response = (platform_key if permission is Permission.PLATFORM else admin_key).call(*route)
        if response.status_code in (401, 403):
            stopped[route] = response.text[:200]
    assert stopped == {}


def test_a_signed_in_user_reads_with_their_role_and_is_refused_beyond_it(
    platform: Platform, guarded: TestClient
) -> None:
    reader = user_of(platform, guarded, "lecteur", (1, Role.READER))
    assert reader.call("GET", "/api/v1/units").status_code == 200
    refused = reader.call("POST", "/api/v1/ingests")
    assert refused.status_code == 403 and "ingest" in refused.json()["message"]
    elsewhere = guarded.get("/api/v1/units", headers=reader.headers(tenant=2))
    assert elsewhere.status_code == 403  # as a key of another tenant


def test_a_depositor_ingests_and_follows_the_ingest_but_reads_nothing(
    platform: Platform, guarded: TestClient
) -> None:
    depositor = user_of(platform, guarded, "versant", (1, Role.DEPOSITOR))
    operation = wait_for(depositor, upload(depositor, SIP))
    assert operation["outcome"] == "OK"
    assert depositor.call("GET", f"/api/v1/ingests/{operation['id']}/reply").status_code == 200
    assert depositor.call("GET", "/api/v1/units").status_code == 403


def test_another_tenants_unit_stays_a_404_for_a_user_with_roles_on_both(
    platform: Platform, guarded: TestClient
) -> None:
    both = user_of(platform, guarded, "archiviste", (1, Role.ARCHIVIST), (2, Role.ARCHIVIST))
    in_2 = Speaker(guarded, 2, both.credential)
    wait_for(in_2, upload(in_2, SIP))
    unit = in_2.call("GET", "/api/v1/units").json()[0]["id"]
    assert in_2.call("GET", f"/api/v1/units/{unit}").status_code == 200
    missing = both.call("GET", f"/api/v1/units/{unit}")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


def test_sign_in_refuses_wrong_passwords_then_locks_the_login_asking_to_retry_later(
    platform: Platform, guarded: TestClient
) -> None:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "archiviste", PASSWORD)
    for _ in range(platform.settings.login_max_failures):
        wrong = guarded.post(TOKEN_URL, data={"username": "archiviste", "password": "wrong password!"})
        assert wrong.status_code == 401 and "access_token" not in wrong.text
    locked = guarded.post(TOKEN_URL, data={"username": "archiviste", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["code"] == "LOGIN_LOCKED"
    assert 0 < int(locked.headers["Retry-After"]) <= platform.settings.login_lockout_minutes * 60


def test_a_key_and_a_token_together_are_refused(platform: Platform, guarded: TestClient) -> None:
    reader = user_of(platform, guarded, "lecteur", (1, Role.READER))
    key = key_of(platform, guarded, Role.READER)
    both = {**reader.headers(), **key.credential}
    assert guarded.get("/api/v1/units", headers=both).status_code == 401
