"""A city's OpenID Connect provider vouches for its agents; Archipel decides what they may do.

The provider here is real to the extent that matters: an RSA key made by the test, its
public half published as a JWKS over HTTP on loopback, tokens signed with it as a Keycloak
or an Azure AD would sign them. Archipel fetches the keys, checks issuer, audience, expiry
and algorithm, and maps the login claim to one of its users, whose roles it holds itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from archipel.admin import users
from archipel.admin.roles import Role
from archipel.core.errors import ConfigurationError
from archipel.core.settings import load_settings
from archipel.platform import Platform

ISSUER = "https://idp.ville.example/realms/agents"
AUDIENCE = "archipel"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
READ = "/api/v1/referentials/rules"


class _Jwks(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the name http.server calls
        public = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
        body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is not the provider's access log."""


@pytest.fixture
def provider(platform: Platform) -> Iterator[Platform]:
    """The platform trusting a provider that publishes its keys on loopback."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = platform.settings
    settings.identity_provider, settings.oidc_issuer, settings.oidc_audience = "oidc", ISSUER, AUDIENCE
    settings.oidc_jwks_url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    with platform.database.unit_of_work() as session:
        users.create_user(session, "jdupont")  # no password: the provider vouches for them
        users.grant(session, "jdupont", 1, Role.READER)
    yield platform
    server.shutdown()
    server.server_close()


def _token(key: Any = KEY, algorithm: str = "RS256", **claims: Any) -> str:
    now = datetime.now(UTC)
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "f3a1-idp", "preferred_username": "jdupont"}
    return jwt.encode(
        {**base, "iat": now, "exp": now + timedelta(minutes=5), **claims},
        key,
        algorithm=algorithm,
        headers={"kid": "k1"},
    )


def _call(client: TestClient, token: str) -> int:
    return client.get(READ, headers={"X-Tenant-Id": "1", "Authorization": f"Bearer {token}"}).status_code


def test_an_agent_signed_in_at_the_city_reads_with_the_roles_archipel_gives(
    provider: Platform, client: TestClient
) -> None:
    assert _call(client, _token()) == 200
    assert (
        client.get(READ, headers={"X-Tenant-Id": "2", "Authorization": f"Bearer {_token()}"}).status_code
        == 403
    )


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"key": OTHER_KEY}, id="signed-by-another-key"),
        pytest.param({"aud": "another-application"}, id="for-another-audience"),
        pytest.param({"exp": datetime.now(UTC) - timedelta(minutes=1)}, id="expired"),
        pytest.param({"preferred_username": "inconnu"}, id="a-login-archipel-does-not-know"),
    ],
)
def test_tokens_the_provider_did_not_issue_for_archipel_are_refused(
    provider: Platform, client: TestClient, forged: dict[str, Any]
) -> None:
    claims = dict(forged)  # the parameter is shared by the runs on each engine: left whole
    key = claims.pop("key", KEY)
    assert _call(client, _token(key, **claims)) == 401


def test_its_public_key_cannot_be_used_as_an_hmac_secret(provider: Platform, client: TestClient) -> None:
    """The classic key confusion: HS256 "signed" with the provider's public key, which anyone
    has. Written by hand, since PyJWT itself refuses to make such a token."""
    pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": ISSUER, "aud": AUDIENCE, "preferred_username": "jdupont", "iat": 0, "exp": 4102444800}
    signed = b".".join(_segment(part) for part in ({"alg": "HS256", "kid": "k1", "typ": "JWT"}, claims))
    signature = base64.urlsafe_b64encode(hmac.new(pem, signed, hashlib.sha256).digest()).rstrip(b"=")
    assert _call(client, (signed + b"." + signature).decode()) == 401


def _segment(part: dict[str, Any]) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")


def test_the_instances_own_tokens_still_work_beside_the_providers(
    provider: Platform, client: TestClient
) -> None:
    with provider.database.unit_of_work() as session:
        users.set_password(session, "jdupont", "correct horse battery staple")
    signed = client.post(
        "/api/v1/auth/token", data={"username": "jdupont", "password": "correct horse battery staple"}
    )
    assert _call(client, signed.json()["access_token"]) == 200


def test_a_provider_without_its_issuer_audience_and_keys_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="oidc_issuer, oidc_audience, oidc_jwks_url"):
        load_settings(tmp_path, identity_provider="oidc")
