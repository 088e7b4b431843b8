"""Access tokens: signed here, accepted until they expire, never from another key or algorithm."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from archipel.admin.tokens import AUDIENCE, ISSUER, LocalTokens, signing_secret, token_verifier
from archipel.core.errors import ConfigurationError, Unauthenticated
from archipel.core.settings import load_settings

SECRET = "s" * 48
TOKENS = LocalTokens(SECRET, timedelta(minutes=5))


def test_a_token_speaks_for_the_user_it_was_issued_to() -> None:
    assert TOKENS.subject(TOKENS.issue("user-1")) == "user-1"


def test_an_expired_token_is_refused() -> None:
    expired = LocalTokens(SECRET, timedelta(seconds=-1)).issue("user-1")
    with pytest.raises(Unauthenticated, match="expired"):
        TOKENS.subject(expired)


@pytest.mark.parametrize(
    "forged",
    [
        LocalTokens("t" * 48, timedelta(minutes=5)).issue("user-1"),  # another instance's secret
        jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1"}, None, algorithm="none"),
        jwt.encode({"iss": ISSUER, "aud": "other", "sub": "user-1", "exp": 4102444800, "iat": 0}, SECRET),
        "not.a.token",
    ],
)
def test_forged_tokens_are_refused(forged: str) -> None:
    with pytest.raises(Unauthenticated):
        TOKENS.subject(forged)


def test_the_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    first = signing_secret(settings)
    assert len(first) >= 32 and signing_secret(settings) == first
    assert stat.S_IMODE(settings.jwt_secret_file.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [settings.jwt_secret_file]  # no draft left behind


def test_a_configured_secret_wins_and_is_never_shown(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, jwt_secret=SECRET)
    assert signing_secret(settings) == SECRET and SECRET not in repr(settings)
    assert not settings.jwt_secret_file.exists()
    token = LocalTokens(SECRET, timedelta(minutes=5)).issue("user-1")
    assert token_verifier(settings).subject(token) == "user-1"


def test_a_short_configured_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_settings(tmp_path, jwt_secret="short")
