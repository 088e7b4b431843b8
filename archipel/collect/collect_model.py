"""Tables of the collect API: projects, their transactions, and the units staged in them.

A transaction's units live in the database until it is sent (they are corrected while it
is open); their binaries live on disk in the transaction's staging folder. Declared
objects are a JSON list on their unit (a unit rarely has more than a couple), so a unit
and what it expects are read and written together. Project settings are one JSON
document (`collect_projects.ProjectSettings`): they are only ever read whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, JsonDocument, TenantOwned, UtcDateTime

Document = dict[str, Any]


class _Collected(TenantOwned):
    """What every collect row has: its id, and when it was made and last changed."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    updated: Mapped[datetime] = mapped_column(UtcDateTime)


def _by(table: str, column: str) -> tuple[Index]:
    """The index a child table is read through: its rows of one parent, in one tenant."""
    return (Index(f"ix_{table}_{column.removesuffix('_id')}", "tenant_id", column),)


class CollectProject(_Collected, Base):
    """What every transaction of a project shares: its contract and default metadata."""

    __tablename__ = "collect_projects"

    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[Document] = mapped_column(JsonDocument, default=dict)


class CollectTransaction(_Collected, Base):
    """One future SIP: OPEN → CLOSED → SENDING → SENT → ACK or KO; or ABORTED."""

    __tablename__ = "collect_transactions"
    __table_args__ = _by(__tablename__, "project_id")

    project_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    operation_id: Mapped[str | None] = mapped_column(String(36))
    """The ingest operation the sent SIP became."""
    sender: Mapped[str | None] = mapped_column(String(200))
    """`host:pid` of the process writing the SIP while SENDING: a restart knows whether it is gone."""


class CollectUnit(_Collected, Base):
    """An archive unit staged in a transaction, with the objects it declares."""

    __tablename__ = "collect_units"
    __table_args__ = _by(__tablename__, "transaction_id")

    transaction_id: Mapped[str] = mapped_column(String(36))
    parent: Mapped[str | None] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer)
    """Order of creation: the SIP lists siblings in the order they were given."""
    content: Mapped[Document] = mapped_column(JsonDocument)
    management: Mapped[Document] = mapped_column(JsonDocument, default=dict)
    objects: Mapped[list[Document]] = mapped_column(JsonDocument, default=list)
    """Declared objects: `filename`, expected `size`/`sha512`, and once received `received`."""
