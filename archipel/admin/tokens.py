"""Access tokens of the HTTP API: signed at sign-in, verified behind one function.

A token this instance signs names a user by their stable id (`sub`), never by login, so
renaming or anonymising a person does not need to touch anything a token or a logbook holds.
Only `token_verifier` knows who vouches for tokens:
- this instance, always: HS256 JWTs signed with its secret at sign-in (`LocalTokens`);
- with `identity_provider = "oidc"`, a city's OpenID Connect provider too
  (`ProviderTokens`): its access or ID tokens, checked against the keys it publishes
  (JWKS, fetched and cached by PyJWT's `PyJWKClient`), its issuer and the audience Archipel is
  registered under. They name the person by a claim (`oidc_login_claim`), matched to an
  Archipel login: the provider says who the person is, Archipel what they may do (roles).
A token goes to the verifier of its issuer; the algorithms are pinned on each side, so a
token can neither choose `none` nor pass a provider's public key off as an HMAC secret.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import jwt

from archipel.core.clock import utc_now
from archipel.core.errors import Unauthenticated
from archipel.core.settings import Settings

ISSUER = "archipel"
AUDIENCE = "archipel-api"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Identity:
    """Who a token speaks for: a user of this instance by id, or by the login a provider asserts."""

    user_id: str | None = None
    login: str | None = None


class TokenVerifier(Protocol):
    def identify(self, token: str) -> Identity:
        """Who the token speaks for; Unauthenticated when it vouches for nobody."""
        ...


@dataclass(frozen=True)
class LocalTokens:
    """Tokens this instance signs at sign-in and accepts until they expire."""

    secret: str
    lifetime: timedelta

    def issue(self, user_id: str) -> str:
        now = utc_now()
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": user_id, "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def subject(self, token: str) -> str:
        """The id of the user the token was issued to."""
        claims = _decoded(token, self.secret, [ALGORITHM], AUDIENCE, ISSUER, "sub")
        return str(claims["sub"])

    def identify(self, token: str) -> Identity:
        return Identity(user_id=self.subject(token))


@dataclass(frozen=True)
class ProviderTokens:
    """Tokens of a city's OpenID Connect provider."""

    issuer: str
    audience: str
    jwks_url: str
    login_claim: str
    algorithms: tuple[str, ...]

    def identify(self, token: str) -> Identity:
        try:
            key = _jwks(self.jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as error:  # provider unreachable, or a key it never published
            raise Unauthenticated(f"the identity provider's key for this token is unknown: {error}") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("invalid access token") from None
        claims = _decoded(token, key, list(self.algorithms), self.audience, self.issuer, self.login_claim)
        return Identity(login=str(claims[self.login_claim]))


@dataclass(frozen=True)
class ByIssuer:
    """This instance's tokens and a provider's, each checked by the verifier of its issuer."""

    local: LocalTokens
    provider: ProviderTokens

    def identify(self, token: str) -> Identity:
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            raise Unauthenticated("invalid access token") from None
        return (self.provider if issuer == self.provider.issuer else self.local).identify(token)


def _decoded(
    token: str, key: Any, algorithms: list[str], audience: str, issuer: str, who: str
) -> dict[str, Any]:
    """The token's claims, checked: signature, algorithm, audience, issuer, expiry, and `who`."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,  # pinned: a token cannot choose its own algorithm ("none")
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", who]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the access token has expired: sign in again") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("invalid access token") from None


@functools.lru_cache(maxsize=8)
def _jwks(url: str) -> jwt.PyJWKClient:
    """One client per provider and process: it caches the keys and refetches on an unknown `kid`."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=10)


def signing_secret(settings: Settings) -> str:
    """The `jwt_secret` setting, or the instance's generated one (made on first need, mode 600).

    Written whole to a private temporary file, then linked into place: the link fails if the
    file exists, so two processes starting together agree on one secret and none ever reads
    a half-written one.
    """
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path = settings.jwt_secret_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def local_tokens(settings: Settings) -> LocalTokens:
    return LocalTokens(signing_secret(settings), timedelta(minutes=settings.token_minutes))


def token_verifier(settings: Settings) -> TokenVerifier:
    """The one place that decides who vouches for a Bearer token (setting `identity_provider`)."""
    local = local_tokens(settings)
    if settings.identity_provider != "oidc":
        return local
    assert settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url  # checked by Settings
    provider = ProviderTokens(
        settings.oidc_issuer,
        settings.oidc_audience,
        settings.oidc_jwks_url,
        settings.oidc_login_claim,
        tuple(settings.oidc_algorithms),
    )
    return ByIssuer(local, provider)
