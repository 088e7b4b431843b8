"""Storing an accepted SIP: objects and documents on every offer, then one index commit.

The order is what makes the ingest atomic:
1. every key about to be written is journaled (`pending_writes`) and committed;
2. binaries and documents are written to every offer and verified by SHA-512;
3. one transaction indexes units, groups and objects, writes the logbook events, closes
   the operation and deletes the journal rows.
A crash before 3 leaves journal rows that recovery uses to delete the partial writes;
a crash after 3 leaves a complete ingest. No unit ever points to a missing object.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from archipel.access.indexing import index_units
from archipel.admin.volumetry import record_ingest
from archipel.core.clock import iso, utc_now
from archipel.core.digests import ARCHIVE_ALGORITHM, sha512_bytes
from archipel.core.ids import new_id
from archipel.db.database import Database
from archipel.db.repository import TenantScope
from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Finding, Outcome
from archipel.ingest.workflow import UNIT_TYPES
from archipel.logbook.lifecycle import append_lifecycle, ingest_lifecycle
from archipel.logbook.service import OperationLog
from archipel.metadata.documents import OBJECT_GROUP_SCHEMA, UNIT_SCHEMA, encode, usage_and_version
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule
from archipel.storage import layout
from archipel.storage.journal import clear_journal, journal_writes
from archipel.storage.strategy import StorageStrategy


@dataclass
class SystemIds:
    """Ids the archive gives, by manifest id."""

    units: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)


def assign_ids(ctx: IngestContext) -> SystemIds:
    assert ctx.manifest is not None
    ids = SystemIds()
    for manifest_id in ctx.manifest.units:
        ids.units[manifest_id] = new_id()
    for manifest_id in ctx.manifest.groups:
        ids.groups[manifest_id] = new_id()
    for manifest_id in ctx.manifest.objects:
        ids.objects[manifest_id] = new_id()
    return ids


def _group_of_unit(ctx: IngestContext, ids: SystemIds, refs: list[str]) -> str | None:
    """A unit references its group, or (SEDA 2.1 habit) one object of it."""
    assert ctx.manifest is not None
    for ref in refs:
        if ref in ids.groups:
            return ids.groups[ref]
        if ref in ctx.manifest.objects:
            return ids.groups[ctx.manifest.objects[ref].group_id]
    return None


@dataclass
class Rows:
    """What will be indexed, and the documents that go to the offers."""

    units: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    parents: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[str, bytes] = field(default_factory=dict)
    binaries: dict[str, tuple[str, str]] = field(default_factory=dict)
    """offer key → (manifest object id, sha512)"""


def build_rows(ctx: IngestContext, ids: SystemIds) -> Rows:
    assert ctx.manifest is not None
    manifest = ctx.manifest
    now = utc_now()
    rows = Rows()
    lifecycle = [{"event": "LFC.INGEST", "operation_id": ctx.operation_id, "outcome": "OK", "date": iso(now)}]
    parents: dict[str, list[str]] = {manifest_id: [] for manifest_id in manifest.units}
    for manifest_id, unit in manifest.units.items():
        for child in unit.children:
            if child in parents:
                parents[child].append(ids.units[manifest_id])
        if unit.attachment_system_id:
            parents[manifest_id].append(unit.attachment_system_id)
    if ctx.link_parent:
        for manifest_id in manifest.roots:
            if not parents[manifest_id]:
                parents[manifest_id].append(ctx.link_parent)
    unit_type = UNIT_TYPES[ctx.workflow]

    for group_manifest_id, group in manifest.groups.items():
        group_id = ids.groups[group_manifest_id]
        rows.groups.append(
            {
                "id": group_id,
                "operation_id": ctx.operation_id,
                "manifest_id": group_manifest_id,
                "created": now,
                "version": 1,
            }
        )
        described = []
        for object_manifest_id in group.object_ids:
            obj = manifest.objects[object_manifest_id]
            object_id = ids.objects[object_manifest_id]
            usage, version = usage_and_version(obj.version)
            facts = ctx.facts.get(object_manifest_id)
            identification = facts.identification if facts else None
            row = {
                "id": object_id,
                "object_group_id": group_id,
                "manifest_id": object_manifest_id,
                "kind": obj.kind,
                "usage": usage,
                "version": version,
                "uri": obj.uri,
                "filename": obj.filename,
                "size": facts.size if facts else None,
                "sha512": facts.sha512 if facts else None,
                "declared_digest_algorithm": obj.digest.algorithm if obj.digest else None,
                "declared_digest": obj.digest.value.strip() if obj.digest else None,
                "puid": identification.puid if identification else obj.format_id,
                "format_name": identification.name if identification else obj.format_literal,
                "mime": identification.mime if identification and identification.mime else obj.mime_type,
                "physical_id": obj.physical_id,
                "extra": obj.metadata,
                "created": now,
            }
            rows.objects.append(row)
            document = {key: value for key, value in row.items() if key not in ("created", "object_group_id")}
            document["created"] = iso(now)
            document["digest_algorithm"] = ARCHIVE_ALGORITHM if facts else None
            if facts:
                key = layout.object_key(ctx.tenant, object_id)
                document["offer_key"] = key
                rows.binaries[key] = (object_manifest_id, facts.sha512)
            described.append(document)
        rows.documents[layout.object_group_key(ctx.tenant, group_id, 1)] = encode(
            {
                "schema": OBJECT_GROUP_SCHEMA,
                "tenant": ctx.tenant,
                "id": group_id,
                "version": 1,
                "manifest_id": group_manifest_id,
                "operation_id": ctx.operation_id,
                "created": iso(now),
                "objects": described,
                "lifecycle": lifecycle,
            }
        )

    for manifest_id, unit in manifest.units.items():
        unit_id = ids.units[manifest_id]
        group_id = _group_of_unit(ctx, ids, unit.object_refs)
        originating = manifest.originating_agency
        rules = [
            {
                "category": rule.category,
                "rule_id": rule.rule_id,
                "start_date": rule.start,
                "end_date": rule.end,
            }
            for rule in ctx.unit_rules.get(manifest_id, [])
        ]
        rows.rules += [{"unit_id": unit_id, **rule} for rule in _distinct(rules)]
        rows.units.append(
            {
                "id": unit_id,
                "operation_id": ctx.operation_id,
                "manifest_id": manifest_id,
                "title": unit.title,
                "level": unit.level,
                "unit_type": unit_type,
                "originating_agency": originating,
                "object_group_id": group_id,
                "content": unit.content,
                "management": unit.management,
                "created": now,
                "version": 1,
            }
        )
        for parent_id in parents[manifest_id]:
            rows.parents.append({"unit_id": unit_id, "parent_id": parent_id})
        rows.documents[layout.unit_key(ctx.tenant, unit_id, 1)] = encode(
            {
                "schema": UNIT_SCHEMA,
                "tenant": ctx.tenant,
                "id": unit_id,
                "version": 1,
                "manifest_id": manifest_id,
                "operation_id": ctx.operation_id,
                "created": iso(now),
                "title": unit.title,
                "level": unit.level,
                "unit_type": unit_type,
                "originating_agency": originating,
                "parents": parents[manifest_id],
                "object_group": group_id,
                "content": unit.content,
                "management": unit.management,
                "rules": [
                    {**rule, "start_date": _date(rule["start_date"]), "end_date": _date(rule["end_date"])}
                    for rule in rules
                ],
                "lifecycle": lifecycle,
            }
        )
    return rows


def _distinct(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (category, rule): a unit naming a rule twice keeps the first start date."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in rules:
        seen.setdefault((rule["category"], rule["rule_id"]), rule)
    return list(seen.values())


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


STORE_CONCURRENCY = 8
"""Writes in flight at once: each waits mostly on fsync, which releases the interpreter."""


def write_all(
    storage: StorageStrategy, writes: list[tuple[str, Path | bytes, str]], progress: Callable[[int], None]
) -> None:
    """Writes and verifies every item on every offer, several at a time; the first failure raises.

    Durability costs one fsync per file and folder; done one after another, thousands of small
    objects wait on the disk in turn. The journal already covers partial writes, so order
    does not matter.
    """
    with ThreadPoolExecutor(max_workers=STORE_CONCURRENCY, thread_name_prefix="archipel-store") as pool:
        futures = [pool.submit(storage.put, key, source, sha512) for key, source, sha512 in writes]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                progress(done)
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def store_and_index(
    ctx: IngestContext,
    database: Database,
    storage: StorageStrategy,
    ids: SystemIds,
    reply: bytes,
    events: list[Finding],
    outcome: Outcome,
) -> None:
    """Writes everything to the offers, then indexes it in one transaction (see module doc)."""
    assert ctx.manifest is not None and ctx.manifest_name is not None
    rows = build_rows(ctx, ids)
    rows.documents[layout.operation_file_key(ctx.tenant, ctx.operation_id, "manifest.xml")] = ctx.files[
        ctx.manifest_name
    ].read_bytes()
    rows.documents[layout.operation_file_key(ctx.tenant, ctx.operation_id, "reply.xml")] = reply
    keys = [*rows.binaries, *rows.documents]

    with database.unit_of_work() as session:
        journal_writes(session, ctx.tenant, ctx.operation_id, keys)

    writes: list[tuple[str, Path | bytes, str]] = [
        (key, ctx.facts[object_manifest_id].path, sha512)
        for key, (object_manifest_id, sha512) in rows.binaries.items()
    ]
    writes += [(key, data, sha512_bytes(data)) for key, data in rows.documents.items()]
    write_all(storage, writes, lambda done: ctx.progress("store", done, len(writes)))

    stored = Finding(
        "STP_STORAGE",
        Outcome.OK,
        f"{len(rows.binaries)} objects and {len(rows.documents)} "
        f"documents written to {len(storage.offers)} offers and verified by SHA-512",
    )
    indexed = Finding(
        "STP_INDEXATION",
        Outcome.OK,
        f"{len(rows.units)} units, {len(rows.groups)} object groups, {len(rows.objects)} objects indexed",
    )
    with database.unit_of_work() as session:
        scope = TenantScope(session, ctx.tenant)
        scope.insert_many(ObjectGroup, rows.groups)
        scope.insert_many(ArchiveUnit, rows.units)
        scope.insert_many(UnitParent, rows.parents)
        scope.insert_many(UnitRule, rows.rules)
        scope.insert_many(DataObject, rows.objects)
        index_units(session, ctx.tenant, [unit["id"] for unit in rows.units])
        record_ingest(session, ctx.tenant, ctx.operation_id, rows, storage.offers)
        append_lifecycle(
            session, ctx.tenant, ingest_lifecycle(ctx.operation_id, rows.units, rows.groups, rows.objects)
        )
        log = OperationLog(session, ctx.tenant)
        operation = log.get(ctx.operation_id)
        notified = Finding("ATR_NOTIFICATION", Outcome.OK, "reply written and stored on every offer")
        log.record(ctx.operation_id, [*events, stored, indexed, notified])
        operation.units = len(rows.units)
        operation.objects = len(rows.binaries)
        operation.total_bytes = ctx.total_bytes
        operation.reply = reply
        log.finish(operation, outcome, f"transfer accepted ({outcome.value})")
        clear_journal(session, ctx.operation_id)
