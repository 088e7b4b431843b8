"""Users and their roles per tenant: who a person is, and what they may do where.

Passwords are hashed with argon2id (`argon2-cffi`, its default parameters follow RFC 9106's
recommendations); the hash carries its own salt and parameters, so they can be raised later
and old hashes are upgraded at the next sign-in (`archipel.admin.login`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from archipel.admin.model import LoginAttempt, User, UserRole
from archipel.admin.roles import Role
from archipel.admin.service import require_tenant
from archipel.admin.tokens import Identity
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthenticated
from archipel.core.ids import new_id
from archipel.lifecycle.model import EliminationRequest

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


def users_on(session: Session, tenant: int) -> list[tuple[User, list[str]]]:
    """The users holding a role on `tenant`, by login, with those roles (and only those)."""
    query = (
        select(User, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.tenant_id == tenant)
        .order_by(User.login, UserRole.role)
    )
    found: dict[str, tuple[User, list[str]]] = {}
    for user, role in session.execute(query):
        found.setdefault(user.id, (user, []))[1].append(role)
    return list(found.values())


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
    they point to a row that no longer says who the person was. Elimination requests name
    people the same way (`person_reference`); one still naming the login (asked before the
    user existed) is given the reference. Roles, password and the sign-in attempts under the
    login (addresses are personal data) are removed. The PDFs signed at the time (bordereau,
    certificate) keep the login they were written with: they are documents of record.
    """
    user = get_user(session, login)
    pseudonym = f"{ANONYMISED_PREFIX}{user.id}"
    reference = f"{USER_REFERENCE}{user.id}"
    for person in (EliminationRequest.requested_by, EliminationRequest.decided_by):  # named before users
        session.execute(update(EliminationRequest).where(person == user.login).values({person: reference}))
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


def user_id_of(session: Session, identity: Identity) -> str:
    """The user a token's identity names: by id (this instance's tokens) or by login (an
    identity provider's); Unauthenticated for a login nobody holds here."""
    if identity.user_id is not None:
        return identity.user_id
    user = session.scalars(select(User).where(User.login == identity.login)).one_or_none()
    if user is None:
        raise Unauthenticated("the identity provider's user has no account here: a tenant admin creates it")
    return user.id


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


USER_REFERENCE = "user:"
"""How records name a person: `user:<id>`, the same as the agent of their API calls."""


def person_reference(session: Session, login: str) -> str:
    """What a record that must outlive the person's identity names them by: `user:<id>`.

    Elimination requests, visas and their logbook entries name people; written with the
    login, an anonymisation could not reach a secured logbook without breaking its hash
    chain. The user id stays true after anonymisation and leads to a row that no longer says
    who it was. A login no user holds (before users exist) is kept as it was given.
    """
    user = session.scalars(select(User).where(User.login == login)).one_or_none()
    return f"{USER_REFERENCE}{user.id}" if user is not None else login


def person_name(session: Session, reference: str | None) -> str | None:
    """The person a record names, as they are known now: their login, or their pseudonym once
    anonymised; anything that is not a user reference (an agent, an old login) as it is."""
    if reference is None or not reference.startswith(USER_REFERENCE):
        return reference
    user = session.get(User, reference.removeprefix(USER_REFERENCE))
    return user.login if user is not None else reference


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
