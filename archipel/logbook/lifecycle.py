"""Lifecycle logbooks: what happened to each archive unit and object group, sealed in hash chains.

The reference system keeps, beside the operation logbook, one lifecycle logbook per unit
and per object group (`LFC.*` events): ingested, updated, audited... Here every entry is
a row of `lifecycle_entries`, written in the transaction of the change it records
(`append_lifecycle`), and sealed at once at the end of the tenant's unit or object-group
chain. The unit and group documents on the offers carry the same history in their
`lifecycle` list; after the operation commits, its entries with their chain links go to
the offers too (`lifecycle_file`, `lifecycles.json` beside the operation's logbook), so a
rebuild gets back the very chains that were sealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from archipel.core.clock import utc_now
from archipel.core.errors import NotFound
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.logbook import chain
from archipel.logbook.canonical import lifecycle_entry, utc_iso
from archipel.logbook.model import LifecycleEntry, columns
from archipel.storage import layout
from archipel.storage.layout import KeyKind, NotALayoutKey

UNIT = "unit"
OBJECT_GROUP = "object-group"
CHAIN_OF = {UNIT: chain.UNIT_LIFECYCLES, OBJECT_GROUP: chain.OBJECT_GROUP_LIFECYCLES}
"""Which chain seals which subject's entries; units first, the order heads are locked in."""
INGEST = "LFC.INGEST"
UPDATE = "LFC.UPDATE"
AUDIT = "LFC.AUDIT"
LIFECYCLES_FILE = "lifecycles.json"
LIFECYCLES_SCHEMA = "archipel:lifecycles:1"


@dataclass(frozen=True)
class LifecycleEvent:
    """An entry to append: `subject_kind` is `unit` or `object-group`."""

    subject_kind: str
    subject_id: str
    event: str
    operation_id: str
    outcome: str = "OK"
    detail: str = ""
    date: datetime | None = field(default=None)


def append_lifecycle(session: Session, tenant: int, events: Sequence[LifecycleEvent]) -> list[str]:
    """Writes and seals lifecycle entries in the caller's transaction; their ids, in order given.

    Any module that changes a unit or an object group calls this in the same transaction
    as the change (the audit, for `LFC.AUDIT`).
    """
    for event in events:
        if event.subject_kind not in CHAIN_OF:
            raise ValueError(f"a lifecycle is kept for units and object groups, not {event.subject_kind!r}")
    now = utc_now()
    rows = [
        {
            "id": new_id(),
            "subject_kind": event.subject_kind,
            "subject_id": event.subject_id,
            "event": event.event,
            "operation_id": event.operation_id,
            "outcome": event.outcome,
            "detail": event.detail,
            "created": event.date or now,
        }
        for event in events
    ]
    scope = TenantScope(session, tenant)
    for kind, chain_kind in CHAIN_OF.items():
        mine = [row for row in rows if row["subject_kind"] == kind]
        for start in range(0, len(mine), chain.PAGE):
            scope.insert_many(LifecycleEntry, mine[start : start + chain.PAGE])
        chain.append(session, tenant, chain_kind, [(row["id"], lifecycle_entry(row)) for row in mine])
    return [row["id"] for row in rows]


def ingest_lifecycle(
    operation_id: str,
    units: Iterable[Mapping[str, Any]],
    groups: Iterable[Mapping[str, Any]],
    objects: Iterable[Mapping[str, Any]] = (),
) -> list[LifecycleEvent]:
    """`LFC.INGEST` for each unit and group an ingest indexes (rows with `id` and `created`).

    A group's entry seals its objects' SHA-512 and sizes (`sealed_objects`): once secured, the
    bytes of an archive are bound to a timestamp, not only to rows and documents an attacker
    with write access could change together.
    """
    by_group: dict[str, list[Mapping[str, Any]]] = {}
    for obj in objects:
        by_group.setdefault(obj["object_group_id"], []).append(obj)
    events = [
        LifecycleEvent(UNIT, row["id"], INGEST, operation_id, "OK", "", row["created"]) for row in units
    ]
    events += [
        LifecycleEvent(
            OBJECT_GROUP,
            row["id"],
            INGEST,
            operation_id,
            "OK",
            sealed_objects(by_group.get(row["id"], [])),
            row["created"],
        )
        for row in groups
    ]
    return events


def sealed_objects(objects: Iterable[Mapping[str, Any]]) -> str:
    """The detail of a group's `LFC.INGEST`: its binaries' ids, usages, sizes and SHA-512, as compact
    sorted JSON (`{"objects": [{"id", "usage", "version", "size", "sha512"}]}`)."""
    listed = [
        {key: obj[key] for key in ("id", "usage", "version", "size", "sha512")}
        for obj in sorted(objects, key=lambda obj: obj["id"])
        if obj.get("sha512")
    ]
    return json.dumps({"objects": listed}, sort_keys=True, separators=(",", ":")) if listed else ""


def lifecycle_of_documents(operation_id: str, documents: Mapping[str, bytes]) -> list[LifecycleEvent]:
    """The lifecycle items an operation added to the unit and group document versions it writes.

    `archipel.metadata.versioning.next_version` appends one item per change to the
    document's `lifecycle`; the database entries are the same items, same date.
    """
    kinds = {KeyKind.UNIT: UNIT, KeyKind.OBJECT_GROUP: OBJECT_GROUP}
    found = []
    for key, data in documents.items():
        try:
            parsed = layout.parse_key(key)
        except NotALayoutKey:
            continue
        if parsed.kind not in kinds or parsed.id is None:
            continue
        document = json.loads(data.decode("utf-8"))
        for item in document.get("lifecycle") or []:
            if item.get("operation_id") == operation_id:
                found.append(
                    LifecycleEvent(
                        kinds[parsed.kind],
                        parsed.id,
                        item["event"],
                        operation_id,
                        item.get("outcome", "OK"),
                        item.get("detail", ""),
                        datetime.fromisoformat(item["date"]) if item.get("date") else None,
                    )
                )
    return found


def _view(row: LifecycleEntry, link: chain.Link | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event,
        "operation_id": row.operation_id,
        "outcome": row.outcome,
        "detail": row.detail,
        "date": utc_iso(row.created),
        "chain": link.as_dict() if link else None,
    }


def lifecycle(
    session: Session, tenant: int, subject_id: str, subject_kind: str | None = None
) -> dict[str, Any]:
    """The lifecycle logbook of a unit or object group, oldest first, each entry with its chain link.

    A unit deleted since keeps its lifecycle; an id the tenant never had is a NotFound.
    """
    query = TenantScope(session, tenant).select(LifecycleEntry).where(LifecycleEntry.subject_id == subject_id)
    if subject_kind is not None:
        query = query.where(LifecycleEntry.subject_kind == subject_kind)
    rows = list(session.scalars(query.order_by(LifecycleEntry.created, LifecycleEntry.id)))
    if not rows:
        what = (subject_kind or "unit or object group").replace("-", " ")
        raise NotFound(f"no lifecycle for {what} {subject_id} in tenant {tenant}")
    links = {
        kind: chain.links_of(
            session, tenant, CHAIN_OF[kind], [row.id for row in rows if row.subject_kind == kind]
        )
        for kind in CHAIN_OF
    }
    return {
        "id": subject_id,
        "kind": rows[0].subject_kind,
        "lifecycle": [_view(row, links[row.subject_kind].get(row.id)) for row in rows],
    }


def lifecycle_file(session: Session, tenant: int, operation_id: str) -> bytes | None:
    """`lifecycles.json`: the operation's lifecycle entries and their links, for the offers (or None)."""
    query = (
        TenantScope(session, tenant)
        .select(LifecycleEntry)
        .where(LifecycleEntry.operation_id == operation_id)
        .order_by(LifecycleEntry.created, LifecycleEntry.id)
    )
    rows = list(session.scalars(query))
    if not rows:
        return None
    entries = []
    for kind, chain_kind in CHAIN_OF.items():
        mine = [row for row in rows if row.subject_kind == kind]
        links = chain.links_of(session, tenant, chain_kind, [row.id for row in mine])
        for row in mine:
            link = links.get(row.id)
            entries.append({**lifecycle_entry(columns(row)), "chain": link.as_dict() if link else None})
    document = {
        "schema": LIFECYCLES_SCHEMA,
        "tenant": tenant,
        "operation_id": operation_id,
        "entries": entries,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
