"""Users and their roles per tenant: who a person is, and what they may do where.

Passwords are hashed with argon2id (`argon2-cffi`, its default parameters follow RFC 9106's
recommendations); the hash carries its own salt and parameters, so they can be raised later
and old hashes are upgraded at the next sign-in (`archipel.admin.login`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from archipel.admin.model import LoginAttempt, User, UserRole
from archipel.admin.roles import Role
from archipel.admin.service import require_tenant
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthenticated
from archipel.core.ids import new_id

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
"""ANSSI's recommendation for a password that is the only factor."""
MAX_LOGIN_LENGTH = 200
ANONYMISED_PREFIX = "anonymised-"


class UnknownUser(NotFound):
    code = "UNKNOWN_USER"


def check_login(login: str) -> str:
    """The login as stored: no surrounding or inner spaces, at most 200 characters."""
    login = login.strip()
    if not login or len(login) > MAX_LOGIN_LENGTH or any(char.isspace() for char in login):
        raise InvalidRequest(f"a login is 1 to {MAX_LOGIN_LENGTH} characters without spaces")
    if login.startswith(ANONYMISED_PREFIX):
        raise InvalidRequest(f"logins starting with {ANONYMISED_PREFIX!r} are kept for anonymised users")
    return login


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return HASHER.hash(password)


def create_user(session: Session, login: str, password: str | None = None) -> User:
    """A new user with no role yet; without a password they cannot sign in with one."""
    login = check_login(login)
    if session.scalars(select(User).where(User.login == login)).first() is not None:
        raise Conflict(f"a user {login!r} already exists")
    user = User(
        id=new_id(),
        login=login,
        password_hash=hash_password(password) if password is not None else None,
        active=True,
        anonymised=False,
        created=utc_now(),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, login: str) -> User:
    user = session.scalars(select(User).where(User.login == login)).one_or_none()
    if user is None:
        raise UnknownUser(f"no user {login!r}")
    return user


def set_password(session: Session, login: str, password: str) -> User:
    user = get_user(session, login)
    if user.anonymised:
        raise Conflict(f"user {login!r} is anonymised")
    user.password_hash = hash_password(password)
    return user


def grant(session: Session, login: str, tenant: int, role: Role) -> User:
    """Gives the user `role` on `tenant` (idempotent)."""
    user = get_user(session, login)
    if user.anonymised:
        raise Conflict(f"user {login!r} is anonymised")
    require_tenant(session, tenant)
    if session.get(UserRole, (user.id, tenant, role.value)) is None:
        session.add(UserRole(user_id=user.id, tenant_id=tenant, role=role.value))
        session.flush()
    return user


def revoke(session: Session, login: str, tenant: int, role: Role) -> User:
    """Takes `role` on `tenant` back (idempotent)."""
    user = get_user(session, login)
    session.execute(
        delete(UserRole).where(
            UserRole.user_id == user.id, UserRole.tenant_id == tenant, UserRole.role == role.value
        )
    )
    return user


def roles_on(session: Session, user_id: str, tenant: int) -> frozenset[Role]:
    query = select(UserRole.role).where(UserRole.user_id == user_id, UserRole.tenant_id == tenant)
    return frozenset(Role(role) for role in session.scalars(query))


def describe(session: Session, user: User) -> dict[str, Any]:
    """`{"login", "roles": [{"tenant", "role"}]}`, as the CLI prints it (INTERFACE.md)."""
    query = select(UserRole).where(UserRole.user_id == user.id).order_by(UserRole.tenant_id, UserRole.role)
    return {
        "login": user.login,
        "roles": [{"tenant": held.tenant_id, "role": held.role} for held in session.scalars(query)],
    }


def anonymise(session: Session, login: str) -> str:
    """Replaces the person's identity in the user tables by a pseudonym; returns it (GDPR art. 17).

    The pseudonym is derived from the user's id, which is what logbooks recorded
    (`user:<id>`): their entries stay as they were, so secured logbooks still verify, and
    they point to a row that no longer says who the person was. Roles, password and the
    sign-in attempts under the login (addresses are personal data) are removed.
    """
    user = get_user(session, login)
    pseudonym = f"{ANONYMISED_PREFIX}{user.id}"
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.execute(delete(LoginAttempt).where(LoginAttempt.login == user.login))
    user.login, user.password_hash, user.active, user.anonymised = pseudonym, None, False, True
    session.flush()
    return pseudonym


@dataclass(frozen=True)
class UserOnTenant:
    """A signed-in user as one tenant sees them: who, and with which roles there."""

    user_id: str
    login: str
    roles: frozenset[Role]


def open_tenant(session: Session, user_id: str, tenant: int) -> UserOnTenant:
    """The user's roles on `tenant`, as `service.authenticate` answers for a key.

    A user gone or deactivated is Unauthenticated; a tenant they hold no role on is Forbidden
    — it says only that this user does not open it. A deactivated tenant opens read-only
    (`archipel.api.deps.TenantContext.allows`).
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Unauthenticated("unknown or deactivated user")
    roles = roles_on(session, user_id, tenant)
    if not roles:
        raise Forbidden(f"this user has no role on tenant {tenant}")
    return UserOnTenant(user.id, user.login, roles)


def require_approver(session: Session, tenant: int, login: str) -> None:
    """The person granting an elimination visa holds the approver role on the tenant.

    Applies once users exist: before the first user is created the visa is recorded by the
    login given, as before roles existed. A `tenant-admin` may relay a visa (`roles`), but a
    person grants it only as approver.
    """
    if not session.scalar(select(exists().where(User.id.is_not(None)))):
        return
    user = session.scalars(select(User).where(User.login == login)).one_or_none()
    if user is None or not user.active or Role.APPROVER not in roles_on(session, user.id, tenant):
        raise Forbidden(f"{login!r} does not hold the approver role on tenant {tenant}: no visa")
