"""Tenants, organisations and API keys: who may open which tenant.

API keys look like `ak_<key id>.<secret>`; only a SHA-256 of the secret is stored, so a
leaked database does not leak usable keys. A key opens exactly one tenant, with one role
(`archipel.admin.roles`): `tenant-admin` unless it is made for less.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archipel.admin.model import ApiKey, Organisation, Tenant
from archipel.admin.roles import Role
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthenticated
from archipel.core.ids import new_id

KEY_PREFIX = "ak_"


class UnknownTenant(NotFound):
    """A tenant number nobody created: a usage error for the CLI (exit 2)."""

    code = "UNKNOWN_TENANT"


@dataclass(frozen=True)
class IssuedKey:
    """A new key; `secret` is shown once and never stored."""

    key_id: str
    tenant: int
    name: str
    secret: str
    role: Role = Role.TENANT_ADMIN


def get_or_create_organisation(session: Session, name: str) -> Organisation:
    organisation = session.scalars(select(Organisation).where(Organisation.name == name)).one_or_none()
    if organisation is None:
        organisation = Organisation(name=name, created=utc_now())
        session.add(organisation)
        session.flush()
    return organisation


def create_tenant(
    session: Session,
    name: str,
    organisation: str | None = None,
    tenant_id: int | None = None,
    is_admin: bool = False,
) -> Tenant:
    """A new tenant; its number is the next free one unless given."""
    if not name.strip():
        raise InvalidRequest("a tenant needs a name")
    if session.scalars(select(Tenant).where(Tenant.name == name)).first() is not None:
        raise Conflict(f"a tenant named {name!r} already exists")
    if tenant_id is None:
        highest = session.scalars(select(Tenant.id).order_by(Tenant.id.desc()).limit(1)).first()
        tenant_id = 1 if highest is None else highest + 1
    elif session.get(Tenant, tenant_id) is not None:
        raise Conflict(f"tenant {tenant_id} already exists")
    owner = get_or_create_organisation(session, organisation) if organisation else None
    tenant = Tenant(
        id=tenant_id,
        name=name.strip(),
        organisation_id=owner.id if owner else None,
        is_admin=is_admin,
        active=True,
        created=utc_now(),
    )
    session.add(tenant)
    session.flush()
    return tenant


def list_tenants(session: Session) -> list[tuple[Tenant, Organisation | None]]:
    query = select(Tenant, Organisation).outerjoin(Organisation).order_by(Tenant.id)
    return [(tenant, organisation) for tenant, organisation in session.execute(query).all()]


def require_tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise UnknownTenant(f"tenant {tenant_id} does not exist")
    return tenant


ADMIN_TENANT = 0
"""Tenant 0 administers the platform (the reference system's habit); it always exists."""


def require_writable_tenant(session: Session, tenant_id: int) -> Tenant:
    """The tenant, if its holdings may change: a deactivated one is read-only (`roles.READ_ONLY`)."""
    tenant = require_tenant(session, tenant_id)
    tenant.require_writable()
    return tenant


def set_tenant_active(
    session: Session, tenant_id: int, active: bool, agent: str, reason: str = ""
) -> str | None:
    """Deactivates (read-only) or reactivates a tenant, recorded in the administration tenant's
    logbook with who and why: the operation's id, or None when it already was so (nothing
    recorded). A tenant is never deleted: its archives and logbooks stay whole and provable."""
    tenant = require_tenant(session, tenant_id)
    if tenant.is_admin and not active:
        raise InvalidRequest(f"tenant {tenant_id} administers the platform: it cannot be deactivated")
    if tenant.active == active:
        return None
    tenant.active = active
    verb = "reactivated" if active else "deactivated (read-only)"
    message = f"tenant {tenant_id} ({tenant.name}) {verb}" + (f": {reason}" if reason else "")
    operation = "TENANT_ACTIVATION" if active else "TENANT_DEACTIVATION"
    return log_administration(session, ADMIN_TENANT, operation, "STP_TENANT_STATUS", agent, message)


def log_administration(
    session: Session, tenant: int, operation_type: str, step: str, agent: str, message: str
) -> str:
    """Records a change of who may do what (a tenant's status, a role, a key) as a one-event
    operation of `tenant`'s logbook: rights change as accountably as archives do. Its id."""
    from archipel.ingest.findings import Finding, Outcome
    from archipel.logbook.service import OperationLog

    logbook = OperationLog(session, tenant)
    operation = logbook.start(operation_type, agent=agent)
    logbook.record(operation.id, [Finding(step, Outcome.OK, message)])
    logbook.finish(operation, Outcome.OK, message)
    return operation.id


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session,
    tenant_id: int,
    name: str = "default",
    access_contract: str | None = None,
    role: Role = Role.TENANT_ADMIN,
) -> IssuedKey:
    """A new key; `access_contract` is the contract its access calls run under when they name none,
    `role` what the application may do on the tenant."""
    require_tenant(session, tenant_id)
    key_id = new_id()
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=key_id,
            tenant_id=tenant_id,
            name=name,
            secret_sha256=_hash(secret),
            created=utc_now(),
            access_contract=access_contract,
            role=role.value,
        )
    )
    session.flush()
    return IssuedKey(key_id, tenant_id, name, f"{KEY_PREFIX}{key_id}.{secret}", role)


def tenant_keys(session: Session, tenant_id: int) -> list[ApiKey]:
    """The tenant's keys, revoked ones included (what was once allowed stays visible)."""
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created, ApiKey.id)
        )
    )


def revoke_api_key(session: Session, tenant_id: int, key_id: str) -> ApiKey:
    """Revokes one of the tenant's keys (idempotent); another tenant's key is not found."""
    key = session.get(ApiKey, key_id)
    if key is None or key.tenant_id != tenant_id:
        raise NotFound(f"no API key {key_id} in tenant {tenant_id}")
    key.revoked = True
    return key


def authenticate(session: Session, presented: str | None, tenant_id: int) -> ApiKey:
    """The key if it is valid and opens `tenant_id`.

    An unknown or malformed key is `Unauthenticated`; a valid key of another tenant is
    `Forbidden` (it says nothing of the other tenant's content, only that this key does
    not open it).
    """
    if not presented or not presented.startswith(KEY_PREFIX) or "." not in presented:
        raise Unauthenticated("missing or malformed API key (X-Api-Key: ak_...)")
    key_id, _, secret = presented[len(KEY_PREFIX) :].partition(".")
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked or not hmac.compare_digest(key.secret_sha256, _hash(secret)):
        raise Unauthenticated("unknown or revoked API key")
    if key.tenant_id != tenant_id:
        raise Forbidden(f"this API key does not open tenant {tenant_id}")
    return key
