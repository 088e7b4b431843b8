"""Provisioning a tenant: what a commune joining the platform gets on its first day.

A tenant is ready to receive archives when:
1. it exists, owned by its organisation (`service.create_tenant`);
2. every offer holds its tenant document (`tenants/<n>/tenant.json`): writing it proves each
   offer takes the tenant's objects — an S3 offer with one bucket per tenant creates the
   bucket then (`create_buckets`) — before the first SIP rather than during it;
3. it has the starter referentials (`archipel.referential.defaults.STARTER_FILES`), so a
   deposit made with the defaults is accepted and the archivist has a base to edit;
4. it has a tenant admin, who then gives the other roles (`archipel.api.routes.users`).

Steps 2 to 4 are idempotent, so `complete` can be run again on a tenant whose provisioning
was interrupted (an offer down, say) without doing anything twice. The creation is an
operation of the administration tenant's logbook, naming the admin by `user:<id>`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from archipel.admin import service as admin
from archipel.admin import users
from archipel.admin.model import Organisation, User
from archipel.admin.roles import Role
from archipel.referential.defaults import ensure_starter_referentials

if TYPE_CHECKING:
    from archipel.platform import Platform

OPERATION = "TENANT_CREATION"
GENERATED_PASSWORD_BYTES = 18
"""24 characters once encoded: above the 12 a password needs (`users.MIN_PASSWORD_LENGTH`)."""


@dataclass
class Provisioned:
    """What a tenant was given; `password` is set only when one was generated (shown once)."""

    tenant: int
    name: str
    organisation: str | None
    referentials: list[str] = field(default_factory=list)
    """The starter referentials imported now (none when it already had them)."""
    admin: str | None = None
    password: str | None = None

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.tenant,
            "name": self.name,
            "organisation": self.organisation,
            "referentials": self.referentials,
            "admin": self.admin,
        }
        if self.password is not None:
            shown["password"] = self.password
        return shown


@dataclass(frozen=True)
class NewTenant:
    name: str
    organisation: str | None = None
    """Its owner, created if new."""
    id: int | None = None
    """The tenant number; None: the next free one."""


@dataclass(frozen=True)
class TenantAdmin:
    login: str
    """Created if new; an existing login keeps its password and only gains the role."""
    password: str | None = None
    """A new login's password; None: one is generated and returned once."""


def provision_tenant(
    platform: Platform, new: NewTenant, tenant_admin: TenantAdmin | None = None, agent: str = "cli"
) -> Provisioned:
    """Creates the tenant and provisions it (steps 1 to 4); logged in the administration tenant."""
    with platform.database.unit_of_work() as session:
        tenant_id = admin.create_tenant(session, new.name, new.organisation, new.id).id
    done = complete(platform, tenant_id, tenant_admin, agent)
    with platform.database.unit_of_work() as session:
        who = f", admin {users.person_reference(session, done.admin)}" if done.admin else ""
        owner = f" for {new.organisation}" if new.organisation else ""
        admin.log_administration(
            session,
            admin.ADMIN_TENANT,
            OPERATION,
            "STP_TENANT_PROVISIONING",
            agent,
            f"tenant {done.tenant} ({done.name}) created{owner}: referentials "
            f"{', '.join(done.referentials) or 'none'}{who}",
        )
    return done


def complete(
    platform: Platform, tenant_id: int, tenant_admin: TenantAdmin | None = None, agent: str = "cli"
) -> Provisioned:
    """Steps 2 to 4 for an existing tenant, each done only if missing; the admin, if named, is
    given `tenant-admin` on the tenant."""
    with platform.database.unit_of_work() as session:
        tenant = admin.require_tenant(session, tenant_id)
        owner = session.get(Organisation, tenant.organisation_id) if tenant.organisation_id else None
        done = Provisioned(tenant.id, tenant.name, owner.name if owner else None)
        is_admin = tenant.is_admin
    platform.write_tenant_document(done.tenant, done.name, done.organisation, is_admin)
    done.referentials = ensure_starter_referentials(platform, done.tenant, agent)
    if tenant_admin is not None:
        with platform.database.unit_of_work() as session:
            login = users.check_login(tenant_admin.login)
            if session.scalars(select(User).where(User.login == login)).one_or_none() is None:
                password = tenant_admin.password
                if password is None:
                    password = done.password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
                users.create_user(session, login, password)
            users.grant(session, login, done.tenant, Role.TENANT_ADMIN)
            done.admin = login
    return done
