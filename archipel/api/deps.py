"""Request dependencies: the platform, the tenant a request runs in, and who may do what there.

`TenantDep` is the one way a route gets a tenant: it reads `X-Tenant-Id` and checks that
the credential — an application's API key (`X-Api-Key`) or a signed-in user's token
(`Authorization: Bearer`) — opens it, with which roles. `require_permission`, attached to
every router, then checks the route's declared permission (`archipel.admin.permissions`).
Routes never read these headers themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Cookie, Depends, Header, Query, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.routing import replace_params

from archipel.access.scope import AccessScope, open_scope
from archipel.admin import service as admin
from archipel.admin import users
from archipel.admin.permissions import required_permission
from archipel.admin.roles import READ_ONLY, Permission, Role, permissions_of
from archipel.admin.tokens import token_verifier
from archipel.api.sessions import SESSION_COOKIE
from archipel.core.errors import Forbidden, InvalidRequest, Unauthenticated
from archipel.platform import Platform

TOKEN_URL = "/api/v1/auth/token"


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]

api_key_header = APIKeyHeader(
    name="X-Api-Key", auto_error=False, description="an application's API key for this tenant"
)
bearer_token = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL, auto_error=False, description="a user's access token (sign in first)"
)


@dataclass(frozen=True)
class TenantContext:
    """Who calls, on which tenant, with which roles there."""

    tenant: int
    agent: str
    """What logbooks record: `api-key:<id>` or `user:<id>` (stable, pseudonymous)."""
    roles: frozenset[Role]
    login: str | None = None
    """The signed-in person's login; None for an application's key."""
    default_contract: str | None = None
    active: bool = True
    """False: the tenant is deactivated, and opens read-only (`archipel.admin.roles.READ_ONLY`)."""

    def allows(self, permission: Permission) -> bool:
        return permission in permissions_of(self.roles) and (self.active or permission in READ_ONLY)


def get_tenant(
    platform: PlatformDep,
    x_tenant_id: Annotated[str | None, Header(description="the tenant this call runs in")] = None,
    x_api_key: Annotated[str | None, Security(api_key_header)] = None,
    token: Annotated[str | None, Security(bearer_token)] = None,
    session_cookie: Annotated[
        str | None, Cookie(alias=SESSION_COOKIE, description="a browser's session")
    ] = None,
) -> TenantContext:
    if x_tenant_id is None or not x_tenant_id.strip().lstrip("-").isdigit():
        raise InvalidRequest("header X-Tenant-Id is required and must be a tenant number")
    tenant = int(x_tenant_id)
    if token and x_api_key:
        raise Unauthenticated("send either X-Api-Key or a Bearer token, not both")
    if not token and not x_api_key:
        token = (
            session_cookie  # a browser's session (archipel.api.sessions): the header credentials come first
        )
    with platform.database.unit_of_work() as session:
        if token:
            identity = token_verifier(platform.settings).identify(token)
            user = users.open_tenant(session, users.user_id_of(session, identity), tenant)
            context = TenantContext(tenant, f"user:{user.user_id}", user.roles, login=user.login)
        else:
            key = admin.authenticate(session, x_api_key, tenant)
            roles = frozenset({Role(key.role)})
            context = TenantContext(tenant, f"api-key:{key.id}", roles, None, key.access_contract)
        return replace(context, active=admin.require_tenant(session, tenant).active)


TenantDep = Annotated[TenantContext, Depends(get_tenant)]


def route_template(request: Request) -> str | None:
    """The matched route's path template, with the prefix of the router's inclusion.

    FastAPI ≥ 0.16x keeps the router's own route in `scope["route"]`, its path without the
    `include_router` prefix; older versions keep a prefixed copy. The prefix is what the
    request's path has before the route's own part, which serves both.
    """
    route = request.scope.get("route")
    template = getattr(route, "path_format", None)
    if route is None or template is None:
        return None
    own_part, _ = replace_params(template, route.param_convertors, dict(request.path_params))
    path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    prefix = path[: -len(own_part)] if own_part and path.endswith(own_part) else ""
    return prefix + template


def require_permission(request: Request, context: TenantDep) -> None:
    """Refuses the call unless the caller's roles on the tenant grant what the route declares.

    Deny by default: a route the table does not name is refused to everyone.
    """
    template = route_template(request)
    needed = required_permission(request.method, template or "")
    if needed is None:
        raise Forbidden(f"{request.method} {template} declares no permission: refused to everyone")
    if needed not in permissions_of(context.roles):
        held = ", ".join(sorted(context.roles)) or "none"
        raise Forbidden(f"this call needs the permission {needed.value!r} (roles on tenant: {held})")
    if not context.allows(needed):
        raise Forbidden(f"tenant {context.tenant} is deactivated (read-only): {needed.value!r} refused")


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
