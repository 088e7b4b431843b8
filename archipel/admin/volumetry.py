"""Counting what each tenant holds, month by month, as the changes commit.

Each change that adds or removes archives calls one `record_*` function inside its own
transaction (`archipel.admin.volumetry_model`): the count commits with the change or not at
all. Nothing here scans the index, except `recount`, which an administrator runs once on an
instance that held archives before volumetry existed (or to prove the counts right).

What is counted: archive units (filing plan nodes included), object groups, data objects
(binary and physical), and the bytes of the binaries as the index records them; documents
(unit and group JSON, manifests, replies) are the archive's own overhead and are not billed.
Every offer holds a full copy, so each offer's row gains or loses the same bytes as the
logical count, but it is kept per offer so that an offer added later, or billed at another
price, can be told apart.

The month of a change is the UTC month of `counting_moment()`: the clock, unless a caller
says otherwise with `counted_in` (a commune's past holdings migrated in, counted in the
months they were first archived; a test of a known scenario).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func
from sqlalchemy.orm import Session

from archipel.admin.volumetry_model import ChangeKind, VolumetryChange
from archipel.admin.volumetry_month import Month
from archipel.core.clock import utc_now
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup

_clock: ContextVar[Callable[[], datetime]] = ContextVar("volumetry_clock", default=utc_now)


@contextmanager
def counted_in(moment: datetime) -> Iterator[None]:
    """Changes committed inside the block (in this thread) are counted in the UTC month of `moment`."""
    token = _clock.set(lambda: moment)
    try:
        yield
    finally:
        _clock.reset(token)


def counting_moment() -> datetime:
    return _clock.get()()


@dataclass(frozen=True)
class Holdings:
    """Counts of archives: a stock, or (signed) what one change did to it."""

    units: int = 0
    object_groups: int = 0
    objects: int = 0
    bytes: int = 0

    def __add__(self, other: Holdings) -> Holdings:
        return Holdings(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __neg__(self) -> Holdings:
        return Holdings(-self.units, -self.object_groups, -self.objects, -self.bytes)

    def __sub__(self, other: Holdings) -> Holdings:
        return self + -other


class Named(Protocol):
    @property
    def name(self) -> str: ...


class Sized(Protocol):
    @property
    def size(self) -> int | None: ...


class IndexedRows(Protocol):
    """What an ingest indexes (`archipel.ingest.archiving.Rows`)."""

    units: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    objects: list[dict[str, Any]]


class PurgedRows(Protocol):
    """What a purge deletes from the index (`archipel.lifecycle.purge.Purge`)."""

    unit_ids: list[str]
    groups: dict[str, list[Any]]


def record(
    session: Session,
    tenant: int,
    kind: ChangeKind,
    change: Holdings,
    offers: Iterable[str],
    operation_id: str | None = None,
) -> None:
    """Appends the change: one logical row, and one row of bytes per offer that holds a copy."""
    _append(session, tenant, kind, change, {offer: change.bytes for offer in offers}, operation_id)


def _append(
    session: Session,
    tenant: int,
    kind: ChangeKind,
    logical: Holdings | None,
    by_offer: dict[str, int],
    operation_id: str | None = None,
) -> None:
    common = {"month": str(Month.of(counting_moment())), "kind": kind.value, "operation_id": operation_id}
    rows = [] if logical is None else [{**common, "id": new_id(), "offer": None, **logical.__dict__}]
    rows += [
        {**common, "id": new_id(), "offer": name, "bytes": size} for name, size in by_offer.items() if size
    ]
    TenantScope(session, tenant).insert_many(VolumetryChange, rows)


def _names(offers: Sequence[Named]) -> list[str]:
    return [offer.name for offer in offers]


def record_ingest(
    session: Session, tenant: int, operation_id: str, rows: IndexedRows, offers: Sequence[Named]
) -> None:
    """An accepted SIP, counted in its index commit (`archipel.ingest.archiving.store_and_index`)."""
    size = sum(row.get("size") or 0 for row in rows.objects)
    added = Holdings(len(rows.units), len(rows.groups), len(rows.objects), size)
    record(session, tenant, ChangeKind.INGEST, added, _names(offers), operation_id)


def record_purge(
    session: Session,
    tenant: int,
    kind: ChangeKind,
    operation_id: str,
    purge: PurgedRows,
    offers: Sequence[Named],
) -> None:
    """Units eliminated or handed on, counted in the purge's index commit (`archipel.lifecycle.purge`).

    Counted when the index rows go, not when the binaries are deleted a batch at a time
    afterwards: from that commit on the archives no longer exist for the tenant.
    """
    objects: list[Sized] = [obj for group in purge.groups.values() for obj in group]
    size = sum(obj.size or 0 for obj in objects)
    removed = Holdings(len(purge.unit_ids), len(purge.groups), len(objects), size)
    record(session, tenant, kind, -removed, _names(offers), operation_id)


def record_node_deleted(session: Session, tenant: int, operation_id: str) -> None:
    """A filing plan's node deleted: one unit less, never with objects (`archipel.metadata.tree`)."""
    record(session, tenant, ChangeKind.FILING, Holdings(units=-1), (), operation_id)


# -- the index, counted once ------------------------------------------------------------------


def indexed_holdings(session: Session, tenant: int) -> Holdings:
    """What the index holds for the tenant now: the full scan `recount` compares with."""
    scope = TenantScope(session, tenant)

    def count(model: Any) -> int:
        return session.scalar(scope.select(model).with_only_columns(func.count())) or 0

    size = session.scalar(
        scope.select(DataObject).with_only_columns(func.coalesce(func.sum(DataObject.size), 0))
    )
    return Holdings(count(ArchiveUnit), count(ObjectGroup), count(DataObject), int(size or 0))


MEASURES = (
    VolumetryChange.units,
    VolumetryChange.object_groups,
    VolumetryChange.objects,
    VolumetryChange.bytes,
)


def recorded_holdings(session: Session, tenant: int, offer: str | None = None) -> Holdings:
    """The sum of every row recorded for the tenant (logical, or of one offer): today's stock."""
    query = (
        TenantScope(session, tenant)
        .select(VolumetryChange)
        .where(VolumetryChange.offer.is_(None) if offer is None else VolumetryChange.offer == offer)
        .with_only_columns(*(func.coalesce(func.sum(column), 0) for column in MEASURES))
    )
    return Holdings(*(int(value) for value in session.execute(query).one()))


def recount(session: Session, tenant: int, offers: Sequence[Named]) -> Holdings:
    """Brings the counts to what the index holds; returns the difference it recorded.

    The difference goes to the current month as one `RECOUNT` change (logical, and bytes per
    offer): for an instance that held archives before volumetry existed, its earlier months
    stay empty and the month of the recount carries the whole stock. Idempotent: run again,
    it finds nothing to add and writes nothing.
    """
    indexed = indexed_holdings(session, tenant)
    missing = indexed - recorded_holdings(session, tenant)
    gaps = {name: indexed.bytes - recorded_holdings(session, tenant, name).bytes for name in _names(offers)}
    _append(session, tenant, ChangeKind.RECOUNT, None if missing == Holdings() else missing, gaps)
    return missing
