"""A browser signs in with a session cookie; what it changes needs the CSRF token too.

A page of another site can make the archivist's browser send a request with the session
cookie, but cannot read the CSRF cookie to repeat it in the `X-CSRF-Token` header: such a
forged request is refused. Scripts, which send their credential in a header, are not asked.
"""

from __future__ import annotations

from callers import Caller
from fastapi.testclient import TestClient

from archipel.admin import users
from archipel.admin.roles import Role
from archipel.api.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"
TENANT = {"X-Tenant-Id": "1"}


def _browser(platform: Platform, client: TestClient) -> TestClient:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "archiviste", PASSWORD)
        users.grant(session, "archiviste", 1, Role.ARCHIVIST)
    signed = client.post("/api/v1/auth/session", data={"username": "archiviste", "password": PASSWORD})
    assert signed.status_code == 204, signed.text
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    return client


def test_a_signed_in_browser_reads_with_its_session_cookie_alone(
    platform: Platform, client: TestClient
) -> None:
    browser = _browser(platform, client)
    assert browser.get("/api/v1/operations", headers=TENANT).status_code == 200
    assert CSRF_COOKIE in browser.cookies  # handed out with the session's first answer


def test_a_change_without_the_csrf_token_is_refused_as_forged(platform: Platform, client: TestClient) -> None:
    browser = _browser(platform, client)
    browser.get("/api/v1/operations", headers=TENANT)
    forged = browser.post("/api/v1/logbooks/secure", headers=TENANT)
    assert forged.status_code == 403 and forged.json()["code"] == "CSRF"
    wrong = browser.post("/api/v1/logbooks/secure", headers={**TENANT, CSRF_HEADER: "guessed"})
    assert wrong.status_code == 403

    token = browser.cookies[CSRF_COOKIE]
    made = browser.post("/api/v1/logbooks/secure", headers={**TENANT, CSRF_HEADER: token})
    assert made.status_code == 200, made.text


def test_scripts_with_a_key_are_not_asked_for_a_csrf_token_nor_given_one(commune_a: Caller) -> None:
    secured = commune_a.client.post("/api/v1/logbooks/secure", headers=commune_a.headers())
    assert secured.status_code == 200
    assert "set-cookie" not in secured.headers


def test_signing_out_removes_the_session(platform: Platform, client: TestClient) -> None:
    browser = _browser(platform, client)
    browser.get("/api/v1/operations", headers=TENANT)
    token = browser.cookies[CSRF_COOKIE]
    assert browser.delete("/api/v1/auth/session", headers={CSRF_HEADER: token}).status_code == 204
    assert SESSION_COOKIE not in browser.cookies
    assert browser.get("/api/v1/operations", headers=TENANT).status_code == 401
