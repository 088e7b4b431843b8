"""Taking archive units out of the archive for good: after an elimination, or a transfer the
receiving archive has taken.

Both leave the same things behind, and in the same order, so that no unit ever points to a
missing binary and nothing half done stays visible:
1. in one `change_units` operation, each unit and its object group get a tombstone version
   on every offer (who they were and the digests that prove it: `unit_trace`), and one
   transaction deletes their index rows (`apply_purge`);
2. then the binaries are deleted from every offer a batch at a time (`delete_binaries`),
   a binary still indexed never;
3. then every copy is checked absent (`copies_left`).
A crash before the commit of 1 is rolled back by recovery (the tombstones are journaled);
after it the units are gone and 2 can be run again (deleting is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from archipel.access.indexing import index_units
from archipel.core.digests import sha512_bytes
from archipel.core.errors import Conflict, IntegrityFault
from archipel.db.repository import TenantScope
from archipel.metadata.documents import OBJECT_GROUP_SCHEMA, encode
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule
from archipel.metadata.versioning import (
    Document,
    lock_existing_unit,
    locked_at_version,
    next_version,
    read_unit_document,
    tombstone,
    version_entry,
)
from archipel.storage import layout
from archipel.storage.strategy import StorageStrategy

if TYPE_CHECKING:
    from archipel.platform import Platform

BATCH = 100
"""Binaries deleted between two reports of progress."""

Describe = Callable[[Document, list[DataObject]], dict[str, Any]]
"""The trace a purge keeps of a unit, from its last document and its objects."""


@dataclass
class Purge:
    """What step 1 writes and deletes, decided in its first transaction."""

    unit_ids: list[str]
    versions: dict[str, int]
    """The version of each unit when it was read: the commit refuses a unit changed since."""
    groups: dict[str, list[DataObject]]
    documents: dict[str, bytes] = field(default_factory=dict)
    """Tombstones of the units and object groups, by offer key."""
    traces: list[dict[str, Any]] = field(default_factory=list)

    @property
    def binaries(self) -> list[str]:
        """Offer keys of the binaries to delete once the index commit is done."""
        return [
            layout.object_key(obj.tenant_id, obj.id)
            for objects in self.groups.values()
            for obj in objects
            if obj.sha512
        ]


def plan_purge(
    session: Session,
    storage: StorageStrategy,
    tenant: int,
    unit_ids: list[str],
    operation_id: str,
    event: str,
    detail: str,
    describe: Describe,
    section: str,
    context: dict[str, Any],
) -> Purge:
    """Locks the units and writes (in memory) their tombstones and their groups'.

    Each unit's tombstone holds the trace `describe` gives, with `context`, under `section`
    (`elimination`, `transfer`): the offers still say what was there, and why it is gone.
    """
    versions = {unit_id: lock_existing_unit(session, tenant, unit_id).version for unit_id in unit_ids}
    purge = Purge(list(unit_ids), versions, groups_of(session, tenant, unit_ids))
    for unit_id in unit_ids:
        document = read_unit_document(storage, tenant, unit_id, versions[unit_id])
        trace = describe(document, purge.groups.get(document.get("object_group") or "", []))
        gone = tombstone(document, operation_id, event, detail)
        gone[section] = {**context, **trace}
        key, data = version_entry(tenant, gone)
        purge.documents[key] = data
        purge.traces.append(trace)
    for group in _group_rows(session, tenant, purge.groups):
        purge.documents.update(
            group_tombstone(tenant, group, purge.groups[group.id], operation_id, event, detail)
        )
    return purge


def apply_purge(session: Session, tenant: int, purge: Purge) -> None:
    """Step 1's commit: the units unchanged since they were read, their index rows deleted."""
    for unit_id in purge.unit_ids:
        locked_at_version(session, tenant, unit_id, purge.versions[unit_id])
    _delete_index_rows(session, tenant, purge.unit_ids, list(purge.groups))
    index_units(session, tenant, purge.unit_ids)


def groups_of(session: Session, tenant: int, ids: list[str]) -> dict[str, list[DataObject]]:
    """Object group id → its objects, for the groups of these units."""
    scope = TenantScope(session, tenant)
    query = scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(ids), ArchiveUnit.object_group_id.is_not(None))
    group_ids = sorted(set(session.scalars(query.with_only_columns(ArchiveUnit.object_group_id))))
    groups: dict[str, list[DataObject]] = {group_id: [] for group_id in group_ids}
    if group_ids:
        objects = scope.select(DataObject).where(DataObject.object_group_id.in_(group_ids))
        for obj in session.scalars(objects.order_by(DataObject.id)):
            groups[obj.object_group_id].append(obj)
    return groups


def object_trace(obj: DataObject) -> dict[str, Any]:
    return {"id": obj.id, "usage": obj.usage, "version": obj.version, "size": obj.size, "sha512": obj.sha512}


def unit_trace(document: Document, objects: list[DataObject]) -> dict[str, Any]:
    """Who the unit was, its rules, and the digests that prove what it held."""
    return {
        "id": document["id"],
        "title": document.get("title"),
        "level": document.get("level"),
        "originating_agency": document.get("originating_agency"),
        "operation_id": document.get("operation_id"),
        "rules": list(document.get("rules") or []),
        "document_version": document["version"],
        "document_sha512": sha512_bytes(encode(document)),
        "object_group": document.get("object_group"),
        "objects": [object_trace(obj) for obj in objects],
    }


def group_tombstone(
    tenant: int, group: ObjectGroup, objects: list[DataObject], operation_id: str, event: str, detail: str
) -> dict[str, bytes]:
    """The object group's last version: a tombstone naming the objects deleted and their digests.

    Built from the index row (its earlier versions, with their lifecycle, stay on the offers).
    `objects` is empty so a rebuild that reads it as a group restores no object of it.
    """
    base: Document = {"id": group.id, "version": group.version, "lifecycle": []}
    final = next_version(base, operation_id, event, detail)
    document = {
        "schema": OBJECT_GROUP_SCHEMA,
        "tenant": tenant,
        "id": group.id,
        "version": final["version"],
        "manifest_id": group.manifest_id,
        "operation_id": group.operation_id,
        "created": group.created.isoformat(),
        "updated": final["updated"],
        "deleted": True,
        "deleted_by": operation_id,
        "objects": [],
        "eliminated_objects": [object_trace(obj) for obj in objects],
        "lifecycle": final["lifecycle"],
    }
    return {layout.object_group_key(tenant, group.id, final["version"]): encode(document)}


def delete_binaries(
    platform: Platform, tenant: int, keys: list[str], after_batch: Callable[[list[str], int], None]
) -> int:
    """Deletes these binaries from every offer, `BATCH` at a time; `after_batch(left, done)` is
    told after each batch (to record progress and what is left). A binary still indexed stops
    the deletion (IntegrityFault): it is in use. Returns the number deleted."""
    pending, done = list(keys), 0
    while pending:
        batch, pending = pending[:BATCH], pending[BATCH:]
        with platform.database.unit_of_work() as session:
            _refuse_indexed(session, tenant, batch)
        for key in batch:
            platform.storage.delete(key)
        done += len(batch)
        after_batch(pending, done)
    return done


def traced_binaries(tenant: int, traces: Iterable[dict[str, Any]]) -> list[str]:
    """Offer keys of the binaries the units' traces name (physical objects have no SHA-512, no file)."""
    return [
        layout.object_key(tenant, obj["id"])
        for trace in traces
        for obj in trace["objects"]
        if obj.get("sha512")
    ]


def check_gone(platform: Platform, tenant: int, traces: Iterable[dict[str, Any]]) -> int:
    """Step 3: no copy of a traced binary on any offer (IntegrityFault naming one left, else
    the number of binaries checked)."""
    keys = traced_binaries(tenant, traces)
    left = [f"{offer.name}: {key}" for key in keys for offer in platform.storage.offers if offer.exists(key)]
    if left:
        raise IntegrityFault(f"{len(left)} copies still on the offers after deletion: {left[0]}")
    return len(keys)


def _group_rows(session: Session, tenant: int, groups: dict[str, list[DataObject]]) -> list[ObjectGroup]:
    if not groups:
        return []
    query = TenantScope(session, tenant).select(ObjectGroup).where(ObjectGroup.id.in_(list(groups)))
    return list(session.scalars(query.order_by(ObjectGroup.id)))


def _delete_index_rows(session: Session, tenant: int, ids: list[str], group_ids: list[str]) -> None:
    """Links, rules, units, then objects and groups (foreign keys first); the caller re-indexes.

    A unit put under one of these units, or given one of their object groups, since they were
    read refuses the whole purge: it would be left pointing at what is deleted.
    """
    scope = TenantScope(session, tenant)
    newcomers = (
        scope.select(UnitParent)
        .where(UnitParent.parent_id.in_(ids), UnitParent.unit_id.not_in(ids))
        .with_only_columns(UnitParent.unit_id),
        scope.select(ArchiveUnit)
        .where(ArchiveUnit.object_group_id.in_(group_ids), ArchiveUnit.id.not_in(ids))
        .with_only_columns(ArchiveUnit.id),
    )
    for query, what in zip(newcomers, ("is now under a unit", "now holds an object group"), strict=True):
        unit_id = session.scalars(query).first()
        if unit_id is not None:
            raise Conflict(f"unit {unit_id} {what} of those to remove: nothing was removed")
    for model, column, keys in (
        (UnitParent, UnitParent.unit_id, ids),
        (UnitRule, UnitRule.unit_id, ids),
        (ArchiveUnit, ArchiveUnit.id, ids),
        (DataObject, DataObject.object_group_id, group_ids),
        (ObjectGroup, ObjectGroup.id, group_ids),
    ):
        session.execute(delete(model).where(model.tenant_id == tenant, column.in_(keys)))


def _refuse_indexed(session: Session, tenant: int, keys: list[str]) -> None:
    """A binary still in the index is in use: it is never deleted (IntegrityFault stops the run)."""
    ids = [layout.parse_key(key).id for key in keys]
    still = session.scalars(
        TenantScope(session, tenant)
        .select(DataObject)
        .where(DataObject.id.in_(ids))
        .with_only_columns(DataObject.id)
    ).first()
    if still is not None:
        raise IntegrityFault(f"object {still} is still indexed: it is not deleted")
