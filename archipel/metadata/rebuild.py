"""Rebuilding the metadata index from one offer: the offers hold the archives.

The listing of an offer is read once, in key order, streaming: tenants, object groups
(with their objects), units (the last version of each; a unit whose last version is a
deletion's tombstone is left out) and operations (their
`logbook.json` and reply) are indexed in batches, with the logbooks' sealed chains,
lifecycle entries and securings (`archipel.logbook.restore`). Parent links are inserted
after every unit is in, since a parent may come later in the listing. The database must hold no
archive yet: a rebuild never merges into an index it did not make.

This is the first part of issue 13: rule end dates and the search index will be rebuilt
when they exist; resuming an interrupted rebuild is not done yet (run it again on an
emptied database).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from archipel.access.indexing import reindex_tenant
from archipel.admin import service as admin
from archipel.admin.model import Tenant
from archipel.core.errors import Conflict, NotFound
from archipel.db.repository import TenantScope
from archipel.logbook import restore as logbook_restore
from archipel.logbook.lifecycle import LIFECYCLES_FILE
from archipel.logbook.model import ChainEntry, LifecycleEntry, LogbookEvent, LogbookSecuring, Operation
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule
from archipel.platform import Platform
from archipel.referential.restore import restore_referential
from archipel.referential.service import REFERENTIAL
from archipel.storage import layout
from archipel.storage.layout import KeyKind, LayoutKey, NotALayoutKey
from archipel.storage.offer import Offer

BATCH = 500
OBJECT_FIELDS = (
    "id",
    "kind",
    "usage",
    "version",
    "uri",
    "filename",
    "size",
    "sha512",
    "declared_digest_algorithm",
    "declared_digest",
    "puid",
    "format_name",
    "mime",
    "physical_id",
    "extra",
    "manifest_id",
)


@dataclass
class RebuildReport:
    tenants: int = 0
    units: int = 0
    object_groups: int = 0
    objects: int = 0
    operations: int = 0
    logbook_entries: int = 0
    referentials: int = 0
    """Referentials restored (each at the last version found on the offer)."""
    skipped: int = 0
    """Keys this layout does not know (foreign files), left alone."""

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _read_json(offer: Offer, key: str) -> dict[str, Any]:
    with offer.open(key) as stream:
        return json.loads(stream.read().decode("utf-8"))


class _Batches:
    """Rows waiting to be inserted, per tenant and table, flushed every BATCH rows."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.rows: dict[tuple[int, type[Any]], list[dict[str, Any]]] = {}

    def add(self, tenant: int, model: type[Any], row: dict[str, Any]) -> None:
        rows = self.rows.setdefault((tenant, model), [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(
        self,
        models: tuple[type[Any], ...] = (
            ObjectGroup,
            DataObject,
            ArchiveUnit,
            UnitRule,
            Operation,
            LogbookEvent,
            UnitParent,
            LifecycleEntry,
            ChainEntry,
            LogbookSecuring,
        ),
    ) -> None:
        with self.platform.database.unit_of_work() as session:
            for model in models:
                for (tenant, kind), rows in self.rows.items():
                    if kind is model and rows:
                        TenantScope(session, tenant).insert_many(model, rows)
                        rows.clear()


def _ensure_empty(platform: Platform) -> None:
    """Only an instance holding no archives is rebuilt into.

    `archipel init` of the new instance already made operations: the shared referentials it
    loads (formats, ontology). Those are allowed; the offer's referentials replace them.
    """
    with platform.database.unit_of_work() as session:
        held = session.scalar(select(func.count()).select_from(ArchiveUnit))
        others = select(func.count()).select_from(Operation).where(Operation.type != REFERENTIAL)
        held = (held or 0) + (session.scalar(others) or 0)
    if held:
        raise Conflict("the database already holds archives: rebuild only into an empty database")


def _operations_held(platform: Platform) -> set[tuple[int, str | None]]:
    """Operations the new instance made itself (its init) and already wrote to the same offers."""
    with platform.database.unit_of_work() as session:
        return {(tenant, id_) for tenant, id_ in session.execute(select(Operation.tenant_id, Operation.id))}


def rebuild(
    platform: Platform,
    offer_name: str | None = None,
    tenant: int | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> RebuildReport:
    """Reads one offer and indexes everything it holds (see the module docstring)."""
    offers = {offer.name: offer for offer in platform.storage.offers}
    if offer_name is not None and offer_name not in offers:
        raise NotFound(f"no offer named {offer_name!r} (offers: {', '.join(offers)})")
    offer = offers[offer_name] if offer_name else platform.storage.offers[0]
    _ensure_empty(platform)
    report = RebuildReport()
    batches = _Batches(platform)
    parents: list[tuple[int, str, str]] = []
    pending: tuple[LayoutKey, str] | None = None
    referentials: dict[tuple[int, str], str] = {}
    known = _operations_held(platform)
    prefix = layout.tenant_prefix(tenant) if tenant is not None else "tenants/"

    def index_versioned(parsed: LayoutKey, key: str) -> None:
        if parsed.kind is KeyKind.UNIT:
            _index_unit(offer, parsed, key, batches, parents, report)
        else:
            _index_group(offer, parsed, key, batches, report)

    for done, entry in enumerate(offer.list(prefix), start=1):
        try:
            parsed = layout.parse_key(entry.key)
        except NotALayoutKey:
            report.skipped += 1
            continue
        if pending and (parsed.kind is not pending[0].kind or parsed.id != pending[0].id):
            index_versioned(*pending)
            pending = None
        if parsed.kind in (KeyKind.UNIT, KeyKind.OBJECT_GROUP):
            pending = (parsed, entry.key)  # versions are listed in order: the last one wins
        elif parsed.kind is KeyKind.TENANT:
            _index_tenant(platform, _read_json(offer, entry.key), report)
        elif parsed.kind is KeyKind.OPERATION_FILE and parsed.name == "logbook.json":
            if (parsed.tenant, parsed.id) not in known:
                _index_operation(offer, parsed, entry.key, batches, report)
        elif parsed.kind is KeyKind.OPERATION_FILE and parsed.name == LIFECYCLES_FILE:
            if (parsed.tenant, parsed.id) not in known:
                for model, row in logbook_restore.lifecycle_rows(_read_json(offer, entry.key)):
                    batches.add(parsed.tenant, model, row)
        elif parsed.kind is KeyKind.LOGBOOK_SECURING:
            with offer.open(entry.key) as stream:
                batches.add(
                    parsed.tenant,
                    LogbookSecuring,
                    logbook_restore.securing_row(parsed, entry.key, stream.read()),
                )
        elif parsed.kind is KeyKind.REFERENTIAL and parsed.name:
            referentials[(parsed.tenant, parsed.name)] = entry.key  # listed in version order
        progress(done)
    if pending:
        index_versioned(*pending)
    batches.flush()
    for tenant_id, unit_id, parent_id in parents:
        batches.add(tenant_id, UnitParent, {"unit_id": unit_id, "parent_id": parent_id})
    batches.flush()
    logbook_restore.restore_heads(platform)
    for key in referentials.values():
        with offer.open(key) as stream:
            restore_referential(platform, stream.read())
        report.referentials += 1
    _reindex(platform, tenant)
    return report


def _reindex(platform: Platform, tenant: int | None) -> None:
    """The search index is derived from the unit rows just restored: made again, tenant by tenant."""
    with platform.database.unit_of_work() as session:
        tenants = [tenant] if tenant is not None else list(session.scalars(select(Tenant.id)))
    for tenant_id in tenants:
        with platform.database.unit_of_work() as session:
            reindex_tenant(session, tenant_id)


def _index_tenant(platform: Platform, document: dict[str, Any], report: RebuildReport) -> None:
    with platform.database.unit_of_work() as session:
        if session.get(Tenant, document["id"]) is None:
            admin.create_tenant(
                session,
                document["name"],
                document.get("organisation"),
                document["id"],
                bool(document.get("is_admin")),
            )
    report.tenants += 1


def _index_group(offer: Offer, parsed: LayoutKey, key: str, batches: _Batches, report: RebuildReport) -> None:
    document = _read_json(offer, key)
    if document.get("deleted"):
        return  # a tombstone: the group was eliminated or handed on (archipel.lifecycle)
    created = _when(document["created"])
    batches.add(
        parsed.tenant,
        ObjectGroup,
        {
            "id": document["id"],
            "operation_id": document["operation_id"],
            "manifest_id": document.get("manifest_id"),
            "created": created,
            "version": document["version"],
        },
    )
    for obj in document["objects"]:
        row = {field: obj.get(field) for field in OBJECT_FIELDS}
        row.update(
            object_group_id=document["id"],
            created=_when(obj.get("created")) or created,
            extra=obj.get("extra") or {},
        )
        batches.add(parsed.tenant, DataObject, row)
        report.objects += 1
    report.object_groups += 1


def _index_unit(
    offer: Offer,
    parsed: LayoutKey,
    key: str,
    batches: _Batches,
    parents: list[tuple[int, str, str]],
    report: RebuildReport,
) -> None:
    document = _read_json(offer, key)
    if document.get("deleted"):
        return  # a tombstone: the unit was deleted (`archipel.metadata.versioning.tombstone`)
    batches.add(
        parsed.tenant,
        ArchiveUnit,
        {
            "id": document["id"],
            "operation_id": document["operation_id"],
            "manifest_id": document.get("manifest_id"),
            "title": document.get("title") or "",
            "level": document.get("level"),
            "unit_type": document.get("unit_type") or "INGEST",
            "originating_agency": document.get("originating_agency"),
            "object_group_id": document.get("object_group"),
            "content": document.get("content") or {},
            "management": document.get("management") or {},
            "created": _when(document["created"]),
            "version": document["version"],
        },
    )
    parents.extend((parsed.tenant, document["id"], parent) for parent in document.get("parents", []))
    for rule in document.get("rules", []):
        batches.add(
            parsed.tenant,
            UnitRule,
            {
                "unit_id": document["id"],
                "category": rule["category"],
                "rule_id": rule["rule_id"],
                "start_date": _day(rule.get("start_date")),
                "end_date": _day(rule.get("end_date")),
            },
        )
    report.units += 1


def _index_operation(
    offer: Offer, parsed: LayoutKey, key: str, batches: _Batches, report: RebuildReport
) -> None:
    document = _read_json(offer, key)
    reply_key = layout.operation_file_key(parsed.tenant, document["id"], "reply.xml")
    reply = None
    if offer.exists(reply_key):
        with offer.open(reply_key) as stream:
            reply = stream.read()
    batches.add(
        parsed.tenant,
        Operation,
        {
            "id": document["id"],
            "type": document["type"],
            "status": document["status"],
            "outcome": document.get("outcome"),
            "message": document.get("message") or "",
            "started": _when(document["started"]),
            "ended": _when(document.get("ended")),
            "agent": document.get("agent"),
            "worker": None,
            "source_name": document.get("source_name"),
            "units": document.get("units", 0),
            "objects": document.get("objects", 0),
            "total_bytes": document.get("bytes", 0),
            "reply": reply,
        },
    )
    for event in document.get("events", []):
        batches.add(
            parsed.tenant,
            LogbookEvent,
            {
                "operation_id": document["id"],
                "seq": event["seq"],
                "step": event["step"],
                "code": event.get("code"),
                "outcome": event["outcome"],
                "target": event.get("target"),
                "message": event.get("message") or "",
                "created": _when(event["created"]),
            },
        )
        report.logbook_entries += 1
    link = logbook_restore.operation_link(document)
    if link is not None:
        batches.add(parsed.tenant, ChainEntry, link)
    report.operations += 1
