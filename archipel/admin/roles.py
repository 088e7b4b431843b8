"""Roles and what they permit, per tenant.

A role is held on one tenant: the same person may be archivist of one commune and reader
of another. Permissions are the verbs routes declare (`archipel.admin.permissions`); a role
is a fixed set of them, so reviewing who may do what is reading one table. Separation of
duties follows the elimination procedure: the archivist asks, the approver (the
supervising archives' visa) decides, and only the approver role grants that visa to a
person.

A platform administrator holds no right on a tenant it holds no role on: a commune's
archives are opened by a role on that commune, never by an administrator's standing.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from archipel.core.errors import InvalidRequest


class Permission(StrEnum):
    INGEST = "ingest"
    """Submit SIPs and read their replies."""
    OPERATIONS_READ = "operations:read"
    """Follow the tenant's operations (an ingest's progress, an audit's outcome)."""
    READ = "read"
    """Search and consult units, objects, binaries, lifecycles, evidence, trees."""
    REFERENTIALS_READ = "referentials:read"
    REFERENTIALS_WRITE = "referentials:write"
    """Import and change referentials and filing trees."""
    DESCRIBE = "describe"
    """Change descriptions and arrangement: reclassification, mass updates."""
    DIP = "dip"
    """Export DIPs (communication of archives)."""
    AUDIT = "audit"
    LOGBOOKS_SECURE = "logbooks:secure"
    LOGBOOKS_VERIFY = "logbooks:verify"
    ELIMINATE = "eliminate"
    """Analyse, request and run eliminations (never approve them)."""
    ELIMINATIONS_READ = "eliminations:read"
    APPROVE = "approve"
    """The visa on an elimination request."""
    TRANSFER = "transfer"
    ADMINISTER = "administer"
    """Manage the tenant's keys and users' roles."""
    PLATFORM = "platform"
    """Manage tenants and organisations of the whole platform."""
    VOLUMETRY = "volumetry"
    """Read the tenant's volumetry: what it holds month by month (`archipel.admin.volumetry`)."""
    BILLING = "billing"
    """Read the billing report of the organisation owning the tenant; of any organisation with
    `PLATFORM` too (`archipel.api.routes.volumetry`)."""


READ_ONLY = frozenset(
    {
        Permission.READ,
        Permission.OPERATIONS_READ,
        Permission.REFERENTIALS_READ,
        Permission.DIP,
        Permission.AUDIT,
        Permission.LOGBOOKS_SECURE,
        Permission.LOGBOOKS_VERIFY,
        Permission.ELIMINATIONS_READ,
        Permission.VOLUMETRY,
        Permission.BILLING,
    }
)
"""What a deactivated tenant still allows: its archives stay consultable, communicable, audited
and provable (a commune leaving the platform still needs them until their transfer), but its
holdings, descriptions and referentials no longer change."""


class Role(StrEnum):
    PLATFORM_ADMIN = "platform-admin"
    TENANT_ADMIN = "tenant-admin"
    ARCHIVIST = "archivist"
    DEPOSITOR = "depositor"
    READER = "reader"
    APPROVER = "approver"


_ARCHIVIST = frozenset(
    set(Permission) - {Permission.APPROVE, Permission.ADMINISTER, Permission.PLATFORM, Permission.BILLING}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(Permission),
    Role.TENANT_ADMIN: frozenset(set(Permission) - {Permission.PLATFORM}),
    Role.ARCHIVIST: _ARCHIVIST,
    Role.DEPOSITOR: frozenset({Permission.INGEST, Permission.OPERATIONS_READ}),
    Role.READER: frozenset({Permission.READ, Permission.REFERENTIALS_READ, Permission.DIP}),
    Role.APPROVER: frozenset(
        {Permission.APPROVE, Permission.ELIMINATIONS_READ, Permission.READ, Permission.REFERENTIALS_READ}
    ),
}
"""What each role may do on the tenant it is held on.

`tenant-admin` includes the visa because it is also the role of applications (API keys): an
e-signature workflow relays the visa it collected, naming the person. A *person* grants the
visa only with the approver role (`archipel.admin.users.require_approver`).
"""


def parse_role(name: str) -> Role:
    """The role named, or InvalidRequest listing the roles that exist."""
    try:
        return Role(name)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise InvalidRequest(f"unknown role {name!r}: one of {known}") from None


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """Everything the roles held on one tenant permit together."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
