"""Rebuilding the metadata database from one offer: the offers hold the archives, the database is an index.

The listing of an offer is read once, in key order, streaming (`Offer.list`), and each
document indexed as it comes: tenants (`tenant.json`), object groups with their objects,
units (the last version of each, with its rules and their computed end dates; a unit or
group whose last version is a tombstone — eliminated, handed on by a transfer — is left
out), operations (their `logbook.json` and reply), the lifecycle entries and chain links
they sealed and the logbook securings (`archipel.logbook.restore`). Then the last version
of every referential, the elimination analyses and requests
(`archipel.lifecycle.restore`), the chain heads, and the search index with the units'
effective rules (`reindex_tenant`). `--tenant N` reads only that tenant's folder.

Memory stays flat however large the offer: rows are committed in batches of `BATCH`, the
search index is built a batch at a time too (the tree in waves, `reindex_tenant`), and a
parent link waits only while its parent has not been listed yet (ids are time-ordered, so
a parent is almost always listed before its children: what waits is the few links of a
reclassification under a newer unit).

**Resumable.** The rebuild is a `REBUILD` operation of the platform tenant (0). Each batch
commits with a `REBUILD_CHECKPOINT` event in the same transaction: its target is the last
listed key whose rows are all in, its message (JSON) the counts so far and the parent
links still waiting. A crash loses at most the batch being written; the next start
closes the interrupted operation (FATAL, like any), and running the rebuild again starts
a new `REBUILD` operation that takes the last checkpoint of the interrupted one and skips
the keys up to it (listed, not read). The steps after the listing are idempotent. Rows are
inserted with "on conflict do nothing", so a batch written twice changes nothing.

**Refusal.** A database holding archives (units, or operations other than the referential
imports `archipel init` makes) is refused (`Conflict`), unless `force`: the rebuild then
adds what the database lacks and keeps every row it holds as it is (logbooks are
append-only; nothing is overwritten). That repairs a database restored from a backup
older than the offers; for an exact rebuild, start from an empty database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from archipel.access.indexing import reindex_tenant
from archipel.admin import service as admin
from archipel.admin.model import Tenant
from archipel.admin.volumetry import recount
from archipel.core.errors import Conflict, NotFound
from archipel.ingest.findings import Finding, Outcome
from archipel.lifecycle.restore import restore_eliminations
from archipel.logbook import restore as logbook_restore
from archipel.logbook.closing import close_operation
from archipel.logbook.lifecycle import LIFECYCLES_FILE
from archipel.logbook.model import ChainEntry, LifecycleEntry, LogbookEvent, LogbookSecuring, Operation
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule
from archipel.platform import ADMIN_TENANT, Platform
from archipel.referential.restore import restore_referential
from archipel.referential.service import REFERENTIAL
from archipel.storage import layout
from archipel.storage.layout import KeyKind, LayoutKey, NotALayoutKey
from archipel.storage.offer import Offer

log = logging.getLogger(__name__)

BATCH = 500
"""Rows of one table gathered before a commit (with its checkpoint)."""
OPERATION = "REBUILD"
REQUEST_STEP, CHECKPOINT_STEP, REPORT_STEP = "REBUILD_REQUEST", "REBUILD_CHECKPOINT", "REBUILD_REPORT"
ALL_TENANTS = "*"
"""The request event's target when every tenant is rebuilt (else the tenant's number)."""
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
TABLE_ORDER: tuple[type[Any], ...] = (
    ObjectGroup,
    DataObject,
    ArchiveUnit,
    UnitRule,
    Operation,
    LogbookEvent,
    LifecycleEntry,
    ChainEntry,
    LogbookSecuring,
)
"""Insertion order inside a batch: a row's foreign keys point to rows inserted before it."""

Link = tuple[int, str, str]
"""A parent link waiting for its parent: (tenant, unit id, parent id)."""


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
    elimination_requests: int = 0
    """Elimination requests restored, in the state their operations left them."""
    skipped: int = 0
    """Keys this layout does not know (foreign files), left alone."""

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Checkpoint:
    """Where a rebuild stands: the last key whose rows are committed, the counts, the links waiting."""

    after: str | None = None
    report: RebuildReport = field(default_factory=RebuildReport)
    waiting: list[Link] = field(default_factory=list)

    def message(self) -> str:
        return json.dumps(
            {"report": self.report.as_dict(), "waiting_links": self.waiting}, separators=(",", ":")
        )

    @classmethod
    def read(cls, after: str | None, message: str) -> Checkpoint:
        state = json.loads(message)
        links = [(int(tenant), unit, parent) for tenant, unit, parent in state["waiting_links"]]
        return cls(after, RebuildReport(**state["report"]), links)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _read_json(offer: Offer, key: str) -> dict[str, Any]:
    with offer.open(key) as stream:
        return json.loads(stream.read().decode("utf-8"))


def insert_missing(session: Session, tenant: int, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Inserts the rows the table lacks and leaves those it holds (same key) as they are."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).on_conflict_do_nothing()
    session.execute(statement, [{**row, "tenant_id": tenant} for row in rows])


class _Batches:
    """Rows waiting to be committed, per tenant and table; each commit carries its checkpoint."""

    def __init__(self, platform: Platform, operation_id: str, checkpoint: Checkpoint, size: int) -> None:
        self.platform = platform
        self.size = size
        self.operation_id = operation_id
        self.checkpoint = checkpoint
        self.rows: dict[tuple[int, type[Any]], list[dict[str, Any]]] = {}
        self.links: list[Link] = list(checkpoint.waiting)

    def add(self, tenant: int, model: type[Any], row: dict[str, Any]) -> None:
        self.rows.setdefault((tenant, model), []).append(row)

    def link(self, tenant: int, unit_id: str, parent_id: str) -> None:
        self.links.append((tenant, unit_id, parent_id))

    def due(self) -> bool:
        return len(self.links) >= self.size or any(len(rows) >= self.size for rows in self.rows.values())

    def commit(self, after: str | None, last: bool = False) -> None:
        """Inserts every waiting row and the links whose parent is in; records the checkpoint.

        `last`: the listing is over, so a link still waiting names a parent the offer does not
        hold (a tombstone): it is dropped, with a warning, rather than left dangling.
        """
        with self.platform.database.unit_of_work() as session:
            for model in TABLE_ORDER:
                for (tenant, kind), rows in self.rows.items():
                    if kind is model and rows:
                        insert_missing(session, tenant, model, rows)
                        rows.clear()
            self.links = self._insert_links(session, self.links)
            if last and self.links:
                log.warning("rebuild: %d parent links name a unit the offer does not hold", len(self.links))
                self.links = []
            self.checkpoint.after, self.checkpoint.waiting = after, self.links
            OperationLog(session, ADMIN_TENANT).record(
                self.operation_id,
                [Finding(CHECKPOINT_STEP, Outcome.OK, self.checkpoint.message(), None, after)],
            )

    @staticmethod
    def _insert_links(session: Session, links: list[Link]) -> list[Link]:
        """Inserts the links whose parent is indexed; returns those still waiting for theirs."""
        waiting: list[Link] = []
        for tenant in sorted({link[0] for link in links}):
            mine = [link for link in links if link[0] == tenant]
            parents = {parent for _, _, parent in mine}
            known = set(
                session.scalars(
                    select(ArchiveUnit.id).where(ArchiveUnit.tenant_id == tenant, ArchiveUnit.id.in_(parents))
                )
            )
            rows = [{"unit_id": unit, "parent_id": parent} for _, unit, parent in mine if parent in known]
            insert_missing(session, tenant, UnitParent, rows)
            waiting.extend(link for link in mine if link[2] not in known)
        return waiting


def choose_offer(platform: Platform, offer_name: str | None) -> Offer:
    """The offer named, or the first of the strategy; NotFound names the offers there are."""
    offers = {offer.name: offer for offer in platform.storage.offers}
    if offer_name is not None and offer_name not in offers:
        raise NotFound(f"no offer named {offer_name!r} (offers: {', '.join(offers)})")
    return offers[offer_name] if offer_name else platform.storage.offers[0]


def rebuild(
    platform: Platform,
    offer_name: str | None = None,
    tenant: int | None = None,
    progress: Callable[[int], None] = lambda done: None,
    force: bool = False,
    batch: int = BATCH,
) -> RebuildReport:
    """Reads one offer and indexes everything it holds (see the module docstring); resumes an
    interrupted rebuild. `progress(keys listed)` is called as the listing goes; `batch` rows of a
    table are gathered before each commit."""
    offer = choose_offer(platform, offer_name)
    operation_id, checkpoint = _start(platform, offer, tenant, force)
    try:
        report = _rebuild(platform, offer, tenant, operation_id, checkpoint, progress, batch)
    except BaseException as error:
        # left RUNNING on a crash; a failure we see is closed now, the checkpoint kept for a resume
        if isinstance(error, Exception):
            _close(platform, operation_id, Outcome.FATAL, f"rebuild stopped: {error}; run it again to resume")
        raise
    summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in report.as_dict().items())
    _close(platform, operation_id, Outcome.OK, f"rebuilt from offer {offer.name}: {summary}")
    return report


def _rebuild(
    platform: Platform,
    offer: Offer,
    tenant: int | None,
    operation_id: str,
    checkpoint: Checkpoint,
    progress: Callable[[int], None],
    batch: int,
) -> RebuildReport:
    report = checkpoint.report
    batches = _Batches(platform, operation_id, checkpoint, batch)
    referentials: dict[tuple[int, str], str] = {}
    seen: set[int] = set()
    known = _operations_held(platform)
    prefix = layout.tenant_prefix(tenant) if tenant is not None else f"{layout.TENANTS}/"
    done_key = checkpoint.after
    previous: str | None = None
    pending: tuple[LayoutKey, str] | None = None

    def index_versioned(parsed: LayoutKey, key: str) -> None:
        if parsed.kind is KeyKind.UNIT:
            _index_unit(offer, parsed, key, batches, report)
        else:
            _index_group(offer, parsed, key, batches, report)

    for listed, (key, parsed) in enumerate(_parsed(offer, prefix, report, checkpoint.after), start=1):
        progress(listed)
        if parsed is None:
            continue
        seen.add(parsed.tenant)
        if parsed.kind is KeyKind.REFERENTIAL and parsed.name:
            referentials[(parsed.tenant, parsed.name)] = key  # listed in version order: the last one wins
        if checkpoint.after is not None and key <= checkpoint.after:
            continue  # committed before the interruption
        if pending and (parsed.kind is not pending[0].kind or parsed.id != pending[0].id):
            index_versioned(*pending)
            pending, done_key = None, previous
        if parsed.kind in (KeyKind.UNIT, KeyKind.OBJECT_GROUP):
            pending = (parsed, key)  # versions are listed in order: the last one wins
        else:
            _index_other(platform, offer, parsed, key, batches, known, report)
            done_key = key
        previous = key
        if batches.due():
            batches.commit(done_key)
    if pending:
        index_versioned(*pending)
        done_key = previous
    batches.commit(done_key, last=True)
    logbook_restore.restore_heads(platform)
    report.referentials = 0
    for key in referentials.values():
        with offer.open(key) as stream:
            restore_referential(platform, stream.read())
        report.referentials += 1
    tenants = _tenants(platform, tenant, seen)
    report.elimination_requests = restore_eliminations(platform, offer, tenants)
    for tenant_id in tenants:
        with platform.database.unit_of_work() as session:
            reindex_tenant(session, tenant_id)
            recount(session, tenant_id, platform.storage.offers)
    return report


def _parsed(
    offer: Offer, prefix: str, report: RebuildReport, after: str | None
) -> Iterator[tuple[str, LayoutKey | None]]:
    """The listing with each key's meaning; a foreign key (None) is counted once, not read."""
    for entry in offer.list(prefix):
        try:
            yield entry.key, layout.parse_key(entry.key)
        except NotALayoutKey:
            if after is None or entry.key > after:
                report.skipped += 1
            yield entry.key, None


def _index_other(
    platform: Platform,
    offer: Offer,
    parsed: LayoutKey,
    key: str,
    batches: _Batches,
    known: set[tuple[int, str | None]],
    report: RebuildReport,
) -> None:
    """Everything but the versioned documents: tenants, operation files, securings."""
    if parsed.kind is KeyKind.TENANT:
        _index_tenant(platform, _read_json(offer, key), report)
    elif parsed.kind is KeyKind.OPERATION_FILE and (parsed.tenant, parsed.id) not in known:
        if parsed.name == "logbook.json":
            _index_operation(offer, parsed, key, batches, report)
        elif parsed.name == LIFECYCLES_FILE:
            for model, row in logbook_restore.lifecycle_rows(_read_json(offer, key)):
                batches.add(parsed.tenant, model, row)
    elif parsed.kind is KeyKind.LOGBOOK_SECURING:
        with offer.open(key) as stream:
            batches.add(
                parsed.tenant, LogbookSecuring, logbook_restore.securing_row(parsed, key, stream.read())
            )


# -- the REBUILD operation: refusal, resumption, checkpoints ----------------------------------


def _start(platform: Platform, offer: Offer, tenant: int | None, force: bool) -> tuple[str, Checkpoint]:
    """Starts the `REBUILD` operation; resumes the checkpoint of the last one if it did not finish."""
    target = ALL_TENANTS if tenant is None else str(tenant)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, ADMIN_TENANT)
        last = next(iter(logbook.operations(limit=1, type_=OPERATION)), None)
        checkpoint = _interrupted(session, logbook, last, offer, target)
        if checkpoint is None and not force:
            _ensure_empty(session, tenant)
        operation = logbook.start(OPERATION, source_name=offer.name, changes_holdings=False)
        if checkpoint is None:
            asked = f"rebuild of {'every tenant' if tenant is None else f'tenant {tenant}'} from {offer.name}"
            checkpoint = Checkpoint()
        else:
            assert last is not None
            asked = f"resumes rebuild {last.id} from {offer.name} after {checkpoint.after}"
        operation.message = asked
        logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, asked, None, target)])
    return operation.id, checkpoint


def _interrupted(
    session: Session, logbook: OperationLog, last: Operation | None, offer: Offer, target: str
) -> Checkpoint | None:
    """The checkpoint of the last rebuild when it was interrupted (of the same offer and tenants)."""
    if last is None or last.outcome == Outcome.OK.value:
        return None
    if last.status == "RUNNING":
        raise Conflict(f"rebuild {last.id} is running (or its process has not been recovered yet)")
    events = logbook.events(last.id)
    asked = next((event.target for event in events if event.step == REQUEST_STEP), None)
    if last.source_name != offer.name or asked != target:
        raise Conflict(
            f"rebuild {last.id} of {asked} from offer {last.source_name} was interrupted: "
            "resume it with the same --offer and --tenant"
        )
    checkpoints = [event for event in events if event.step == CHECKPOINT_STEP]
    if not checkpoints:
        return Checkpoint()
    return Checkpoint.read(checkpoints[-1].target, checkpoints[-1].message)


def _ensure_empty(session: Session, tenant: int | None) -> None:
    """Only a database holding no archives (of that tenant) is rebuilt into, unless forced.

    `archipel init` of the new instance already made operations: the shared referentials it
    loads (formats, ontology). Those are allowed; the offer's referentials replace them.
    """
    units = select(func.count()).select_from(ArchiveUnit)
    others = (
        select(func.count()).select_from(Operation).where(Operation.type.not_in([REFERENTIAL, OPERATION]))
    )
    if tenant is not None:
        units, others = (
            units.where(ArchiveUnit.tenant_id == tenant),
            others.where(Operation.tenant_id == tenant),
        )
    if (session.scalar(units) or 0) + (session.scalar(others) or 0):
        raise Conflict(
            "the database already holds archives: rebuild into an empty database "
            "(or --force to add only what it lacks)"
        )


def _close(platform: Platform, operation_id: str, outcome: Outcome, message: str) -> None:
    close_operation(platform, ADMIN_TENANT, operation_id, Finding(REPORT_STEP, outcome, message))


def _operations_held(platform: Platform) -> set[tuple[int, str | None]]:
    """Operations the database holds: the new instance's own (its init, this rebuild), already on
    the offers, and those committed before an interruption."""
    with platform.database.unit_of_work() as session:
        return {(tenant, id_) for tenant, id_ in session.execute(select(Operation.tenant_id, Operation.id))}


def _tenants(platform: Platform, tenant: int | None, seen: set[int]) -> list[int]:
    """The tenants rebuilt: the one asked, or every one the listing met or the database holds."""
    if tenant is not None:
        return [tenant]
    with platform.database.unit_of_work() as session:
        return sorted(seen | set(session.scalars(select(Tenant.id))))


# -- one document each ------------------------------------------------------------------------


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


def _index_unit(offer: Offer, parsed: LayoutKey, key: str, batches: _Batches, report: RebuildReport) -> None:
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
    for parent in document.get("parents", []):
        batches.link(parsed.tenant, document["id"], parent)
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
