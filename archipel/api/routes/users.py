"""A tenant's people and applications over HTTP: users' roles and API keys (for tenant admins).

Everything here acts on the tenant of the call, and only on it: a tenant admin grants roles
on their tenant, never elsewhere, and grants `platform-admin` only if they hold it. Logins
are platform-wide (a person working for two communes has one login and a role in each), so
granting a role to an existing login is how a user of another tenant is let in here.

Every change is an operation of the tenant's logbook (`USER_ROLES`, `API_KEYS`) saying who
made it; a person is named there by `user:<id>` (`users.person_reference`), so an
anonymisation later leaves the secured entries true. Secrets never reach a logbook or a log:
a password is hashed at once, a key's secret is shown once in the answer and never stored.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, SecretStr

from archipel.admin import service as admin
from archipel.admin import users
from archipel.admin.model import ApiKey, User
from archipel.admin.roles import Permission, Role
from archipel.api.deps import SessionDep, TenantContext, TenantDep
from archipel.core.errors import Forbidden

router = APIRouter(tags=["administration"])
ROLES_OPERATION, KEYS_OPERATION = "USER_ROLES", "API_KEYS"


class UserShown(BaseModel):
    login: str
    roles: list[Role] = Field(description="the user's roles on this tenant (not elsewhere)")
    active: bool


class UserAsked(BaseModel):
    login: str = Field(min_length=1, max_length=users.MAX_LOGIN_LENGTH)
    password: SecretStr | None = Field(
        None,
        description=f"at least {users.MIN_PASSWORD_LENGTH} characters; none: sign-in by an identity provider",
    )
    roles: list[Role] = Field(default_factory=list, description="roles given at once on this tenant")


class KeyAsked(BaseModel):
    name: str = Field("default", min_length=1, max_length=200)
    role: Role = Field(Role.READER, description="what the application may do on this tenant")
    access_contract: str | None = Field(
        None, description="the contract its access calls run under by default"
    )


class KeyShown(BaseModel):
    id: str
    name: str
    role: Role
    created: datetime
    revoked: bool
    access_contract: str | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyShown:
        return cls(
            id=key.id,
            name=key.name,
            role=Role(key.role),
            created=key.created,
            revoked=key.revoked,
            access_contract=key.access_contract,
        )


class KeyIssued(KeyShown):
    key: str = Field(description="the secret (`X-Api-Key`): shown this once, never stored")


def _shown(session: SessionDep, user: User, tenant: int) -> UserShown:
    return UserShown(
        login=user.login, roles=sorted(users.roles_on(session, user.id, tenant)), active=user.active
    )


def _may_grant(context: TenantContext, role: Role) -> None:
    if role is Role.PLATFORM_ADMIN and not context.allows(Permission.PLATFORM):
        raise Forbidden("only a platform admin gives the platform-admin role")


def _log(session: SessionDep, context: TenantContext, operation: str, message: str) -> None:
    admin.log_administration(session, context.tenant, operation, operation, context.agent, message)


@router.get("/users", summary="The users holding a role on this tenant, with those roles")
def list_users(context: TenantDep, session: SessionDep) -> list[UserShown]:
    return [
        UserShown(login=user.login, roles=[Role(role) for role in roles], active=user.active)
        for user, roles in users.users_on(session, context.tenant)
    ]


@router.post(
    "/users",
    status_code=201,
    summary="Create a user (a platform-wide login) with roles on this tenant",
    responses={409: {"description": "the login exists: grant it a role instead"}},
)
def create_user(asked: UserAsked, context: TenantDep, session: SessionDep) -> UserShown:
    for role in asked.roles:
        _may_grant(context, role)
    password = asked.password.get_secret_value() if asked.password is not None else None
    user = users.create_user(session, asked.login, password)
    for role in asked.roles:
        users.grant(session, user.login, context.tenant, role)
    granted = ", ".join(sorted(asked.roles)) or "no role yet"
    _log(
        session, context, ROLES_OPERATION, f"user:{user.id} created with {granted} on tenant {context.tenant}"
    )
    return _shown(session, user, context.tenant)


@router.put("/users/{login}/roles/{role}", summary="Give a user a role on this tenant (idempotent)")
def grant_role(login: str, role: Role, context: TenantDep, session: SessionDep) -> UserShown:
    return _change_role(session, context, login, role, granted=True)


@router.delete("/users/{login}/roles/{role}", summary="Take a role on this tenant back (idempotent)")
def revoke_role(login: str, role: Role, context: TenantDep, session: SessionDep) -> UserShown:
    return _change_role(session, context, login, role, granted=False)


def _change_role(
    session: SessionDep, context: TenantContext, login: str, role: Role, granted: bool
) -> UserShown:
    _may_grant(context, role)
    change, verb = (users.grant, "given") if granted else (users.revoke, "no longer")
    user = change(session, login, context.tenant, role)
    _log(session, context, ROLES_OPERATION, f"user:{user.id} {verb} {role} on tenant {context.tenant}")
    return _shown(session, user, context.tenant)


@router.get("/keys", summary="This tenant's API keys, revoked ones included (never their secrets)")
def list_keys(context: TenantDep, session: SessionDep) -> list[KeyShown]:
    return [KeyShown.of(key) for key in admin.tenant_keys(session, context.tenant)]


@router.post("/keys", status_code=201, summary="Issue an API key for an application on this tenant")
def create_key(asked: KeyAsked, context: TenantDep, session: SessionDep, response: Response) -> KeyIssued:
    _may_grant(context, asked.role)
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in a cache
    issued = admin.create_api_key(session, context.tenant, asked.name, asked.access_contract, asked.role)
    _log(session, context, KEYS_OPERATION, f"api-key:{issued.key_id} ({asked.name}) issued as {asked.role}")
    key = session.get(ApiKey, issued.key_id)
    assert key is not None
    return KeyIssued(**KeyShown.of(key).model_dump(), key=issued.secret)


@router.delete("/keys/{key_id}", summary="Revoke one of this tenant's API keys (idempotent)")
def revoke_key(key_id: str, context: TenantDep, session: SessionDep) -> KeyShown:
    key = admin.revoke_api_key(session, context.tenant, key_id)
    _log(session, context, KEYS_OPERATION, f"api-key:{key.id} ({key.name}) revoked")
    return KeyShown.of(key)
