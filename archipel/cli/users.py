"""`archipel user create|password|grant|revoke|show|anonymise`: people and their roles per tenant.

The password is read from standard input (`--password-stdin`, its first line), never from
the command line where other users of the machine and shell histories would see it.
Output: `{"login", "roles": [{"tenant", "role"}]}` (INTERFACE.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from archipel.admin import users
from archipel.admin.model import User
from archipel.admin.roles import Role, parse_role
from archipel.cli.instance import JsonOpt, TenantOpt, instance
from archipel.cli.output import emit_json, out
from archipel.core.errors import InvalidRequest

user_app = typer.Typer(help="Users (people who sign in) and their roles per tenant.", no_args_is_help=True)

LoginArg = Annotated[str, typer.Argument(metavar="LOGIN", help="the user's login")]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
]
RoleOpt = Annotated[str, typer.Option("--role", help=f"one of {', '.join(role.value for role in Role)}")]


def password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidRequest("--password-stdin: no password on standard input")
    return password


def _print(summary: dict[str, Any], json_: bool) -> None:
    if json_:
        emit_json(summary)
        return
    roles = ", ".join(f"{held['role']} on tenant {held['tenant']}" for held in summary["roles"]) or "no role"
    out.print(f"{summary['login']}: {roles}", highlight=False)


@user_app.command("create")
def create(login: LoginArg, password_stdin: PasswordStdinOpt = False, json_: JsonOpt = False) -> None:
    """Create a user with no role yet (without a password, they cannot sign in with one)."""
    password = password_from_stdin() if password_stdin else None
    with instance() as platform, platform.database.unit_of_work() as session:
        summary = users.describe(session, users.create_user(session, login, password))
    _print(summary, json_)


@user_app.command("password")
def password(login: LoginArg, json_: JsonOpt = False) -> None:
    """Set a user's password, read from the first line of stdin."""
    secret = password_from_stdin()
    with instance() as platform, platform.database.unit_of_work() as session:
        summary = users.describe(session, users.set_password(session, login, secret))
    _print(summary, json_)


def _change_role(
    change: Callable[[Session, str, int, Role], User], login: str, tenant: int, role: str
) -> Any:
    held = parse_role(role)
    with instance() as platform, platform.database.unit_of_work() as session:
        return users.describe(session, change(session, login, tenant, held))


@user_app.command("grant")
def grant(login: LoginArg, tenant: TenantOpt, role: RoleOpt, json_: JsonOpt = False) -> None:
    """Give a user a role on a tenant (idempotent)."""
    _print(_change_role(users.grant, login, tenant, role), json_)


@user_app.command("revoke")
def revoke(login: LoginArg, tenant: TenantOpt, role: RoleOpt, json_: JsonOpt = False) -> None:
    """Take a role on a tenant back from a user (idempotent)."""
    _print(_change_role(users.revoke, login, tenant, role), json_)


@user_app.command("show")
def show(login: LoginArg, json_: JsonOpt = False) -> None:
    """A user's roles on every tenant."""
    with instance() as platform, platform.database.unit_of_work() as session:
        summary = users.describe(session, users.get_user(session, login))
    _print(summary, json_)


@user_app.command("anonymise")
def anonymise(login: LoginArg, json_: JsonOpt = False) -> None:
    """Replace the person's identity by a pseudonym (GDPR); logbooks keep verifying."""
    with instance() as platform, platform.database.unit_of_work() as session:
        pseudonym = users.anonymise(session, login)
    emit_json({"login": pseudonym}) if json_ else out.print(pseudonym, highlight=False)
