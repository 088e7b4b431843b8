"""The operation logbook: one operation, many events, each naming a step and its outcome.

Step codes are those archivists already read in the reference system's replies
(`CHECK_DIGEST`, `CHECK_SEDA.NOT_XSD_VALID`, ...), see `archipel.ingest.findings`.

Beside it, the lifecycle logbooks of archive units and object groups, and the hash chains
that seal both (`docs/adr/0004-secured-logbooks.md`): an operation is sealed into its
tenant's chain when it finishes, a lifecycle entry when it is written; from then on the
database refuses to change or delete either (triggers made by migration 0004).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, JsonDocument, TenantOwned, UtcDateTime


def columns(row: Any) -> dict[str, Any]:
    """A mapped row as a plain dict of its columns: the form `archipel.logbook.canonical` seals."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


class Operation(TenantOwned, Base):
    """One operation (an ingest, an audit...): a single id followed from request to reply.

    `status` says whether it is still running; `outcome` says how it ended. A running
    operation's row changes as it goes; once finished it is sealed (`ChainEntry`) and the
    database refuses any further UPDATE or DELETE of it.
    """

    __tablename__ = "operations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="RUNNING")
    outcome: Mapped[str | None] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text, default="")
    started: Mapped[datetime] = mapped_column(UtcDateTime)
    ended: Mapped[datetime | None] = mapped_column(UtcDateTime)
    agent: Mapped[str | None] = mapped_column(String(200))
    worker: Mapped[str | None] = mapped_column(String(200))
    """`host:pid` of the process running it, so recovery rolls back only dead processes' work."""
    source_name: Mapped[str | None] = mapped_column(Text)
    units: Mapped[int] = mapped_column(Integer, default=0)
    objects: Mapped[int] = mapped_column(Integer, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    reply: Mapped[bytes | None] = mapped_column(LargeBinary)


class LogbookEvent(TenantOwned, Base):
    """An event of an operation; append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "logbook_events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "operation_id"], ["operations.tenant_id", "operations.id"]),
    )

    operation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(200))
    """The full finding key, e.g. `CHECK_SEDA.NOT_XSD_VALID.KO`."""
    target: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class ChainHead(TenantOwned, Base):
    """The last link of one hash chain: the row every writer of that chain locks first.

    One per tenant and kind of logbook (`OPERATIONS`, `UNIT_LIFECYCLES`,
    `OBJECT_GROUP_LIFECYCLES`, and `SECURINGS` for the chain of securing files). Appending
    locks it (`SELECT ... FOR UPDATE` on PostgreSQL, the database write lock on SQLite),
    so two writers never give two entries the same predecessor. It is the only logbook
    row ever updated; `archipel logbook verify` checks it against the entries.
    """

    __tablename__ = "chain_heads"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    chain: Mapped[str] = mapped_column(String(36))
    """Id of the chain now being appended to (a rebuild may restore older chains beside it)."""
    position: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(128))
    updated: Mapped[datetime] = mapped_column(UtcDateTime)


class ChainEntry(TenantOwned, Base):
    """A sealed logbook entry's place in its chain: append-only (database triggers refuse changes).

    `hash` is SHA-512 over the canonical link (`archipel.logbook.canonical`) of the entry's
    content, recomputed from the rows it names by `archipel logbook verify`.
    """

    __tablename__ = "chain_entries"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "entry"),)

    chain: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40))
    entry: Mapped[str] = mapped_column(String(36))
    """The operation id, or the lifecycle entry id."""
    previous: Mapped[str] = mapped_column(String(128))
    hash: Mapped[str] = mapped_column(String(128))
    sealed: Mapped[datetime] = mapped_column(UtcDateTime)


class LifecycleEntry(TenantOwned, Base):
    """One event in the life of an archive unit or object group (LFC.INGEST, LFC.UPDATE...); append-only."""

    __tablename__ = "lifecycle_entries"
    __table_args__ = (Index("ix_lifecycle_entries_subject", "tenant_id", "subject_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    """`unit` or `object-group`."""
    subject_id: Mapped[str] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(60))
    operation_id: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class LogbookSecuring(TenantOwned, Base):
    """A securing (traçabilité): a Merkle root over new chain entries, time-stamped, on the offers.

    The securing file on the offers is the evidence; this row says where it is and its
    SHA-512, so a copy changed on an offer is found. Append-only.
    """

    __tablename__ = "logbook_securings"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    operation_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(Text)
    sha512: Mapped[str] = mapped_column(String(128))
    root: Mapped[str] = mapped_column(String(128))
    entries: Mapped[int] = mapped_column(Integer)
    ranges: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    """Per chain: `{"kind", "chain", "from", "to", "previous", "last"}` positions and hashes."""
    created: Mapped[datetime] = mapped_column(UtcDateTime)
