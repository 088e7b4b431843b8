"""`archipel user …` prints `{"login", "roles": [{"tenant", "role"}]}`; the password comes from stdin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from archipel.admin.login import LoginPolicy, LoginService
from archipel.cli.users import user_app
from archipel.core.errors import InvalidRequest
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user_cli(embedded: Platform, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`archipel user ARGS… --json` in-process on this test's instance: its JSON answer."""
    monkeypatch.setenv("ARCHIPEL_HOME", str(embedded.settings.home))
    monkeypatch.setenv("ARCHIPEL_DATABASE_URL", embedded.settings.database_url)
    monkeypatch.setenv("ARCHIPEL_DEMO", "false")

    def run(*args: str, stdin: str | None = None) -> Any:
        result = CliRunner().invoke(user_app, [*args, "--json"], input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def test_create_with_a_password_from_stdin_then_sign_in(user_cli: Any, embedded: Platform) -> None:
    assert user_cli("create", "archiviste", "--password-stdin", stdin=PASSWORD + "\n") == {
        "login": "archiviste",
        "roles": [],
    }
    signed_in = LoginService(embedded.database, LoginPolicy()).sign_in("archiviste", PASSWORD, "cli-test")
    assert signed_in.login == "archiviste"


def test_grant_and_revoke_roles_per_tenant(user_cli: Any) -> None:
    user_cli("create", "archiviste")
    user_cli("grant", "archiviste", "--tenant", "1", "--role", "archivist")
    granted = user_cli("grant", "archiviste", "--tenant", "2", "--role", "reader")
    assert granted["roles"] == [{"tenant": 1, "role": "archivist"}, {"tenant": 2, "role": "reader"}]
    revoked = user_cli("revoke", "archiviste", "--tenant", "1", "--role", "archivist")
    assert revoked["roles"] == [{"tenant": 2, "role": "reader"}]
    assert user_cli("show", "archiviste") == revoked


def test_an_unknown_role_is_a_usage_error(user_cli: Any) -> None:
    user_cli("create", "archiviste")
    with pytest.raises(InvalidRequest):
        user_cli("grant", "archiviste", "--tenant", "1", "--role", "boss")


def test_anonymise_prints_the_pseudonym(user_cli: Any) -> None:
    user_cli("create", "jdupont")
    pseudonym = user_cli("anonymise", "jdupont")["login"]
    assert pseudonym.startswith("anonymised-") and "jdupont" not in pseudonym
    assert user_cli("show", pseudonym) == {"login": pseudonym, "roles": []}
