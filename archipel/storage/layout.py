"""Where each thing lives on an offer: the only place keys are named, and parsed back.

```
tenants/{tenant}/tenant.json
tenants/{tenant}/objects/{id[0:4]}/{id[4:8]}/{object_id}
tenants/{tenant}/object-groups/{id[0:4]}/{id[4:8]}/{group_id}/{version:06d}.json
tenants/{tenant}/units/{id[0:4]}/{id[4:8]}/{unit_id}/{version:06d}.json
tenants/{tenant}/operations/{id[0:4]}/{operation_id}/manifest.xml | reply.xml | logbook.json | lifecycles.json
tenants/{tenant}/referentials/{kind}/{version:06d}.json
tenants/{tenant}/logbook-securings/{number:06d}.json
```

Why this shape (also explained to readers of the offers in `README.txt`):
- one folder per tenant first: a tenant's archives can be handed over, audited or
  deleted as one folder, and no listing of one tenant ever reads another's keys;
- ids are UUIDv7, whose first hex digits are the creation time in milliseconds: `id[0:4]`
  changes every ~50 days (2^32 ms) and `id[4:8]` every ~65 s (2^16 ms). The two bucket
  levels bound the size of every folder (a few thousand entries at high ingest rates),
  keep keys of one ingest together, and make key order creation order;
- operations are far fewer than objects, so one ~50-day level is enough;
- a referential (rules, agencies, contracts...) is written whole at each of its versions:
  they are small, and one file per version is the referential as it stood that day;
- a logbook securing (traçabilité) is numbered from 1 per tenant, each file naming the
  previous one's SHA-512: listing the folder in name order walks that chain;
- documents are versioned, never rewritten: version n of a unit is `{n:06d}.json` beside
  the earlier ones, zero-padded so the name order is the version order. Binaries are never
  modified; a new rendition is a new object with a new id.
Keys are built from validated parts only (tenant number, archive ids, versions, a plain
file name), so nothing a user sends can reach a path on an offer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from archipel.core.ids import is_system_id

TENANTS = "tenants"
TENANT_DOCUMENT = "tenant.json"
OBJECTS = "objects"
OBJECT_GROUPS = "object-groups"
UNITS = "units"
OPERATIONS = "operations"
REFERENTIALS = "referentials"
LOGBOOK_SECURINGS = "logbook-securings"
OPERATION_FILES = ("manifest.xml", "reply.xml", "logbook.json", "lifecycles.json")
"""The files an operation keeps today: the SEDA transfer received, the reply sent, the logbook,
and the lifecycle entries it sealed (`archipel.logbook.lifecycle`)."""

MAX_VERSION = 999_999
"""Six digits keep name order and version order the same."""

_REFERENTIAL_KIND = re.compile(r"^[a-z][a-z-]{0,39}$")
_OPERATION_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TENANT = r"tenants/(?P<tenant>0|[1-9][0-9]*)"
_BUCKETS = r"(?P<b1>[0-9a-f]{4})/(?P<b2>[0-9a-f]{4})"


class KeyKind(StrEnum):
    TENANT = "tenant"
    OBJECT = "object"
    OBJECT_GROUP = "object-group"
    UNIT = "unit"
    OPERATION_FILE = "operation-file"
    REFERENTIAL = "referential"
    LOGBOOK_SECURING = "logbook-securing"


class NotALayoutKey(ValueError):
    """A key this layout does not produce (a foreign file, or a key of a newer layout)."""


@dataclass(frozen=True)
class LayoutKey:
    """What a key names, so the index can be rebuilt from a listing of the offers."""

    kind: KeyKind
    tenant: int
    id: str | None = None
    """The object, group, unit or operation id; None for the tenant document."""
    version: int | None = None
    """The document version of a unit or object group, or the number of a logbook securing."""
    name: str | None = None
    """The file name of an operation file (`manifest.xml`, ...), or the kind of a referential."""


_PATTERNS: dict[KeyKind, re.Pattern[str]] = {
    KeyKind.TENANT: re.compile(rf"^{_TENANT}/{TENANT_DOCUMENT}$"),
    KeyKind.OBJECT: re.compile(rf"^{_TENANT}/{OBJECTS}/{_BUCKETS}/(?P<id>{_ID})$"),
    KeyKind.OBJECT_GROUP: re.compile(
        rf"^{_TENANT}/{OBJECT_GROUPS}/{_BUCKETS}/(?P<id>{_ID})/(?P<version>[0-9]{{6}})\.json$"
    ),
    KeyKind.UNIT: re.compile(rf"^{_TENANT}/{UNITS}/{_BUCKETS}/(?P<id>{_ID})/(?P<version>[0-9]{{6}})\.json$"),
    KeyKind.OPERATION_FILE: re.compile(
        rf"^{_TENANT}/{OPERATIONS}/(?P<b1>[0-9a-f]{{4}})/(?P<id>{_ID})/(?P<name>[^/]+)$"
    ),
    KeyKind.REFERENTIAL: re.compile(
        rf"^{_TENANT}/{REFERENTIALS}/(?P<name>[a-z][a-z-]{{0,39}})/(?P<version>[0-9]{{6}})\.json$"
    ),
    KeyKind.LOGBOOK_SECURING: re.compile(rf"^{_TENANT}/{LOGBOOK_SECURINGS}/(?P<version>[0-9]{{6}})\.json$"),
}


def tenant_prefix(tenant: int) -> str:
    """The folder of one tenant, with its trailing `/` so tenant 1 does not also list tenant 10."""
    return f"{TENANTS}/{_tenant(tenant)}/"


def tenant_key(tenant: int) -> str:
    return f"{tenant_prefix(tenant)}{TENANT_DOCUMENT}"


def object_key(tenant: int, object_id: str) -> str:
    """The original bytes of a binary data object."""
    return f"{tenant_prefix(tenant)}{OBJECTS}/{_buckets(object_id)}/{object_id}"


def object_group_key(tenant: int, group_id: str, version: int) -> str:
    return f"{tenant_prefix(tenant)}{OBJECT_GROUPS}/{_buckets(group_id)}/{group_id}/{_version(version)}.json"


def unit_key(tenant: int, unit_id: str, version: int) -> str:
    return f"{tenant_prefix(tenant)}{UNITS}/{_buckets(unit_id)}/{unit_id}/{_version(version)}.json"


def operation_file_key(tenant: int, operation_id: str, name: str) -> str:
    """A file kept for an operation (see `OPERATION_FILES`); `name` is a plain file name."""
    if not _OPERATION_FILE_NAME.match(name) or len(name) > 100:
        raise ValueError(f"not a plain file name for an operation file: {name!r}")
    return f"{tenant_prefix(tenant)}{OPERATIONS}/{_system_id(operation_id)[0:4]}/{operation_id}/{name}"


def referential_key(tenant: int, kind: str, version: int) -> str:
    """The snapshot of a whole referential (`rules`, `agencies`...) at one of its versions."""
    if not _REFERENTIAL_KIND.match(kind):
        raise ValueError(f"not a referential kind: {kind!r}")
    return f"{tenant_prefix(tenant)}{REFERENTIALS}/{kind}/{_version(version)}.json"


def securing_key(tenant: int, number: int) -> str:
    """A logbook securing file (`archipel.logbook.securing`), numbered from 1 per tenant."""
    return f"{tenant_prefix(tenant)}{LOGBOOK_SECURINGS}/{_version(number)}.json"


def parse_key(key: str) -> LayoutKey:
    """What a key of this layout names; raises `NotALayoutKey` for anything else.

    Checks the buckets agree with the id, so a file moved to another folder by hand is
    reported rather than indexed under a key nobody would compute.
    """
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(key)
        parsed = _interpret(kind, match.groupdict()) if match else None
        if parsed is not None:
            return parsed
    raise NotALayoutKey(f"not a key of the offer layout: {key!r}")


def _interpret(kind: KeyKind, parts: dict[str, str]) -> LayoutKey | None:
    """The key's meaning, or None when its parts contradict each other."""
    tenant = int(parts["tenant"])
    if kind is KeyKind.TENANT:
        return LayoutKey(kind, tenant)
    if kind is KeyKind.LOGBOOK_SECURING:
        number = int(parts["version"])
        return LayoutKey(kind, tenant, version=number) if number else None
    if kind is KeyKind.REFERENTIAL:
        version = int(parts["version"])
        return LayoutKey(kind, tenant, version=version, name=parts["name"]) if version else None
    if kind is KeyKind.OPERATION_FILE:
        consistent = parts["b1"] == parts["id"][0:4] and _OPERATION_FILE_NAME.match(parts["name"])
        return LayoutKey(kind, tenant, parts["id"], name=parts["name"]) if consistent else None
    if f"{parts['b1']}/{parts['b2']}" != _buckets(parts["id"]):
        return None
    version = int(parts["version"]) if "version" in parts else None
    return None if version == 0 else LayoutKey(kind, tenant, parts["id"], version)


def _tenant(tenant: int) -> int:
    if isinstance(tenant, bool) or not isinstance(tenant, int) or tenant < 0:
        raise ValueError(f"not a tenant number: {tenant!r}")
    return tenant


def _system_id(value: str) -> str:
    if not isinstance(value, str) or not is_system_id(value):
        raise ValueError(f"not an id given by the archive: {value!r}")
    return value


def _buckets(value: str) -> str:
    _system_id(value)
    return f"{value[0:4]}/{value[4:8]}"


def _version(version: int) -> str:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise ValueError(f"not a document version (1 to {MAX_VERSION}): {version!r}")
    return f"{version:06d}"
