"""Request dependencies: the platform, and the tenant a request runs in.

`TenantDep` is the one way a route gets a tenant: it reads `X-Tenant-Id` and checks that
the API key opens it. Routes never read the header themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from archipel.access.scope import AccessScope, open_scope
from archipel.admin import service as admin
from archipel.core.errors import InvalidRequest
from archipel.platform import Platform


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


@dataclass(frozen=True)
class TenantContext:
    tenant: int
    key_id: str
    default_contract: str | None = None

    @property
    def agent(self) -> str:
        return f"api-key:{self.key_id}"


def get_tenant(
    platform: PlatformDep,
    x_tenant_id: Annotated[str | None, Header(description="the tenant this call runs in")] = None,
    x_api_key: Annotated[str | None, Header(description="an API key that opens this tenant")] = None,
) -> TenantContext:
    if x_tenant_id is None or not x_tenant_id.strip().lstrip("-").isdigit():
        raise InvalidRequest("header X-Tenant-Id is required and must be a tenant number")
    tenant = int(x_tenant_id)
    with platform.database.unit_of_work() as session:
        key = admin.authenticate(session, x_api_key, tenant)
    return TenantContext(tenant=tenant, key_id=key.id, default_contract=key.access_contract)


TenantDep = Annotated[TenantContext, Depends(get_tenant)]


def get_access_scope(
    platform: PlatformDep,
    context: TenantDep,
    x_access_contract_id: Annotated[
        str | None, Header(description="the access contract this call runs under (default: the key's)")
    ] = None,
) -> AccessScope:
    """Every access call runs under an access contract of its tenant: named, or the key's default."""
    with platform.database.unit_of_work() as session:
        return open_scope(
            session, context.tenant, x_access_contract_id or context.default_contract, context.agent
        )


AccessScopeDep = Annotated[AccessScope, Depends(get_access_scope)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    with platform.database.unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Page:
    """Which slice of a long listing a call asks for (every listing pages the same way)."""

    limit: int
    offset: int


def get_page(
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many items")] = 100,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(get_page)]
