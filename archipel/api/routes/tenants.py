"""The platform's tenants and organisations over HTTP, for platform admins.

These routes act on the whole platform, so they need the `platform` permission, which only
the platform-admin role holds; they are called on the administration tenant (`X-Tenant-Id:
0`), where every change is logged. A tenant is created provisioned
(`archipel.admin.provisioning`), and deactivated, never deleted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import select

from archipel.admin import service as admin
from archipel.admin.model import Organisation
from archipel.admin.provisioning import NewTenant, TenantAdmin, complete, provision_tenant
from archipel.api.deps import PlatformDep, SessionDep, TenantDep

router = APIRouter(tags=["administration"])


class TenantAsked(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    organisation: str | None = Field(None, description="the owning organisation (created if new)")
    id: int | None = Field(None, ge=1, description="the tenant number; default: the next free one")
    admin: str | None = Field(None, description="the tenant admin's login (created if new)")
    password: SecretStr | None = Field(None, description="a new admin's password; none: one is generated")


class Reason(BaseModel):
    reason: str = Field("", max_length=1000, description="why, for the logbook of the administration tenant")


@router.get("/tenants", summary="Every tenant of the platform, with its organisation and status")
def list_tenants(session: SessionDep) -> list[dict[str, Any]]:
    return [
        {
            "id": tenant.id,
            "name": tenant.name,
            "organisation": owner.name if owner else None,
            "active": tenant.active,
        }
        for tenant, owner in admin.list_tenants(session)
    ]


@router.post(
    "/tenants",
    status_code=201,
    summary="Create a tenant, provisioned: offers ready, starter referentials, a tenant admin",
    responses={409: {"description": "a tenant of that name or number exists"}},
)
def create_tenant(asked: TenantAsked, platform: PlatformDep, context: TenantDep) -> dict[str, Any]:
    """A generated password is in the answer, once (`password`): nowhere else."""
    password = asked.password.get_secret_value() if asked.password is not None else None
    tenant_admin = TenantAdmin(asked.admin, password) if asked.admin else None
    new = NewTenant(asked.name, asked.organisation, asked.id)
    return provision_tenant(platform, new, tenant_admin, context.agent).as_dict()


@router.post(
    "/tenants/{tenant_id}/provision", summary="Complete a tenant's provisioning: what is missing only"
)
def provision(
    tenant_id: int, platform: PlatformDep, context: TenantDep, admin_login: str | None = None
) -> dict[str, Any]:
    tenant_admin = TenantAdmin(admin_login) if admin_login else None
    return complete(platform, tenant_id, tenant_admin, context.agent).as_dict()


@router.post("/tenants/{tenant_id}/deactivate", summary="Make a tenant read-only (never deleted)")
def deactivate(tenant_id: int, reason: Reason, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    operation = admin.set_tenant_active(session, tenant_id, False, context.agent, reason.reason)
    return {"id": tenant_id, "active": False, "operation_id": operation}


@router.post("/tenants/{tenant_id}/activate", summary="Open a deactivated tenant to changes again")
def activate(tenant_id: int, reason: Reason, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    operation = admin.set_tenant_active(session, tenant_id, True, context.agent, reason.reason)
    return {"id": tenant_id, "active": True, "operation_id": operation}


@router.get("/organisations", summary="The organisations (customer communes) and their tenants")
def list_organisations(session: SessionDep) -> list[dict[str, Any]]:
    tenants: dict[int, list[int]] = {}
    for tenant, owner in admin.list_tenants(session):
        if owner is not None:
            tenants.setdefault(owner.id, []).append(tenant.id)
    return [
        {"id": owner.id, "name": owner.name, "tenants": tenants.get(owner.id, [])}
        for owner in session.scalars(select(Organisation).order_by(Organisation.name))
    ]
