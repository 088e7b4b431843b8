"""Appending to a tenant's hash chains without ever forking them, and reading them back.

One chain per tenant and kind of logbook. Appending takes the chain's head row first and
keeps it until the transaction ends, so two writers — threads, processes, two ingests
finishing together — are put in a row and never both link to the same predecessor:
- PostgreSQL: `INSERT ... ON CONFLICT DO NOTHING` makes sure the head exists (waiting for
  a concurrent creator to commit), then `SELECT ... FOR UPDATE` locks it;
- SQLite: that same INSERT is a write, so it takes the database's write lock (waiting up
  to the busy timeout) *before* the head is read; the read therefore sees the last
  committed head, and nobody else can append until this transaction ends.
Writers take heads in one order — unit lifecycles, object-group lifecycles, securings,
operations (`OperationLog.finish` comes last in a transaction) — so two of them never wait
on each other in a circle.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from archipel.core.clock import utc_now
from archipel.core.ids import new_id
from archipel.logbook.canonical import GENESIS, chain_link, link_hash
from archipel.logbook.model import ChainEntry, ChainHead

OPERATIONS = "operations"
UNIT_LIFECYCLES = "unit-lifecycles"
OBJECT_GROUP_LIFECYCLES = "object-group-lifecycles"
SECURINGS = "securings"
"""The head of the chain of securing files (each names the previous one's SHA-512)."""
ENTRY_KINDS = (OPERATIONS, UNIT_LIFECYCLES, OBJECT_GROUP_LIFECYCLES)
"""The kinds of logbook whose entries are chained and secured, in the order leaves are laid out."""
PAGE = 500


@dataclass(frozen=True)
class Link:
    """An entry's place in its chain."""

    kind: str
    chain: str
    position: int
    entry: str
    previous: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "chain": self.chain,
            "position": self.position,
            "previous": self.previous,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Head:
    kind: str
    chain: str
    position: int
    hash: str


def link_entries(
    tenant: int,
    kind: str,
    chain: str,
    position: int,
    previous: str,
    entries: Sequence[tuple[str, dict[str, Any]]],
) -> list[Link]:
    """The links of `entries` (id, canonical content) appended after `position` whose hash is `previous`."""
    links = []
    for entry_id, content in entries:
        position += 1
        digest = link_hash(chain_link(tenant, kind, chain, position, previous, content))
        links.append(Link(kind, chain, position, entry_id, previous, digest))
        previous = digest
    return links


def lock_head(session: Session, tenant: int, kind: str) -> Head:
    """The chain's head, locked until the transaction ends (see the module doc); made if missing."""
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ChainHead).values(
        tenant_id=tenant, kind=kind, chain=new_id(), position=0, hash=GENESIS, updated=utc_now()
    )
    session.execute(statement.on_conflict_do_nothing())
    query = select(ChainHead.chain, ChainHead.position, ChainHead.hash).where(
        ChainHead.tenant_id == tenant, ChainHead.kind == kind
    )
    chain, position, digest = session.execute(query.with_for_update()).one()
    return Head(kind, chain, position, digest)


def move_head(session: Session, tenant: int, head: Head, position: int, digest: str) -> None:
    """Moves a locked head to its new last link."""
    session.execute(
        update(ChainHead)
        .where(ChainHead.tenant_id == tenant, ChainHead.kind == head.kind)
        .values(chain=head.chain, position=position, hash=digest, updated=utc_now())
    )


def append(
    session: Session, tenant: int, kind: str, entries: Sequence[tuple[str, dict[str, Any]]]
) -> list[Link]:
    """Seals entries (id, canonical content) at the end of the tenant's chain of `kind`, in order."""
    if not entries:
        return []
    head = lock_head(session, tenant, kind)
    links = link_entries(tenant, kind, head.chain, head.position, head.hash, entries)
    sealed = utc_now()
    for start in range(0, len(links), PAGE):
        session.execute(
            insert(ChainEntry),
            [
                {
                    "tenant_id": tenant,
                    "chain": link.chain,
                    "position": link.position,
                    "kind": link.kind,
                    "entry": link.entry,
                    "previous": link.previous,
                    "hash": link.hash,
                    "sealed": sealed,
                }
                for link in links[start : start + PAGE]
            ],
        )
    move_head(session, tenant, head, links[-1].position, links[-1].hash)
    return links


def _link(row: ChainEntry) -> Link:
    return Link(row.kind, row.chain, row.position, row.entry, row.previous, row.hash)


def link_of(session: Session, tenant: int, kind: str, entry: str) -> Link | None:
    """Where an entry was sealed, or None if it was not (a running operation)."""
    query = select(ChainEntry).where(
        ChainEntry.tenant_id == tenant, ChainEntry.kind == kind, ChainEntry.entry == entry
    )
    row = session.scalars(query).one_or_none()
    return _link(row) if row is not None else None


def links_of(session: Session, tenant: int, kind: str, entries: Sequence[str]) -> dict[str, Link]:
    found: dict[str, Link] = {}
    for start in range(0, len(entries), PAGE):
        query = select(ChainEntry).where(
            ChainEntry.tenant_id == tenant,
            ChainEntry.kind == kind,
            ChainEntry.entry.in_(entries[start : start + PAGE]),
        )
        found.update({row.entry: _link(row) for row in session.scalars(query)})
    return found


def chains(session: Session, tenant: int) -> list[tuple[str, str]]:
    """(kind, chain id) of every chain of the tenant, in leaf order (kind order, then chain id)."""
    query = select(ChainEntry.kind, ChainEntry.chain).where(ChainEntry.tenant_id == tenant).distinct()
    found = [(kind, chain) for kind, chain in session.execute(query)]
    return sorted(found, key=lambda item: (ENTRY_KINDS.index(item[0]), item[1]))


def walk(
    session: Session, tenant: int, chain: str, after: int = 0, upto: int | None = None
) -> Iterator[Link]:
    """The links of a chain in position order, after position `after` (up to `upto`), page by page."""
    while True:
        query = select(ChainEntry).where(
            ChainEntry.tenant_id == tenant, ChainEntry.chain == chain, ChainEntry.position > after
        )
        if upto is not None:
            query = query.where(ChainEntry.position <= upto)
        page = [_link(row) for row in session.scalars(query.order_by(ChainEntry.position).limit(PAGE))]
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].position


def heads(session: Session, tenant: int) -> dict[str, Head]:
    query = select(ChainHead).where(ChainHead.tenant_id == tenant)
    return {row.kind: Head(row.kind, row.chain, row.position, row.hash) for row in session.scalars(query)}
