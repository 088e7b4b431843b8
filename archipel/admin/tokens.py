"""Access tokens of the HTTP API: signed at sign-in, verified behind one function.

A Bearer token names a user by their stable id (`sub`), never by login, so renaming or
anonymising a person does not need to touch anything a token or a logbook holds. Only
`token_verifier` knows who vouches for tokens: today this instance (HS256 JWTs signed with
its secret); a city's OIDC provider becomes another `TokenVerifier` chosen by the
`identity_provider` setting, and nothing else changes.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import jwt

from archipel.core.clock import utc_now
from archipel.core.errors import Unauthenticated
from archipel.core.settings import Settings

ISSUER = "archipel"
AUDIENCE = "archipel-api"
ALGORITHM = "HS256"


class TokenVerifier(Protocol):
    def subject(self, token: str) -> str:
        """The id of the user the token speaks for; Unauthenticated when it vouches for nobody."""
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
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],  # pinned: a token cannot choose its own algorithm ("none")
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the access token has expired: sign in again") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("invalid access token") from None
        return str(claims["sub"])


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
    return local_tokens(settings)
