"""Tables of the lifecycle: elimination analyses and elimination requests.

Both are an index of what the offers and logbooks hold (the analysis result and the
request are also written to the offers beside their operation's logbook), kept in
tables so a request's state (waiting for the visa, approved, refused, under way, done)
is one lookup and a resumed elimination knows which binaries are still to delete.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, JsonDocument, TenantOwned, UtcDateTime


class EliminationAnalysis(TenantOwned, Base):
    """What an `ELIMINATION_ANALYSIS` operation found: each selected unit destroyable or kept, and why."""

    __tablename__ = "elimination_analyses"

    operation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference_date: Mapped[date] = mapped_column(Date)
    query: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    destroyable: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    kept: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    """`{"id", "code", "reason"}` per kept unit."""
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class EliminationRequest(TenantOwned, Base):
    """An elimination request (bordereau d'élimination) and the visa it received.

    Its id is the `ELIMINATION_REQUEST` operation that made it. `status` moves PENDING →
    APPROVED or REFUSED; an approved request's run moves it to RUNNING once the units are
    gone from the index (its binaries, listed in `objects_pending`, are being deleted) and
    to ELIMINATED once every binary is gone from every offer and the certificate written.
    """

    __tablename__ = "elimination_requests"
    __table_args__ = (Index("ix_elimination_requests_analysis", "tenant_id", "analysis_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    analysis_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))
    reference_date: Mapped[date] = mapped_column(Date)
    units: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    """The request's lines: one per unit (id, title, dates, rule, agency, objects, bytes)."""
    unit_count: Mapped[int] = mapped_column(Integer, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    requested_by: Mapped[str] = mapped_column(String(200))
    """The person who asked (`user:<id>`, `archipel.admin.users.person_reference`; a login
    given before users existed), or the agent when none was named. So is `decided_by`."""
    requested_agent: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_agent: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_operation_id: Mapped[str | None] = mapped_column(String(36))
    comment: Mapped[str | None] = mapped_column(Text)
    units_operation_id: Mapped[str | None] = mapped_column(String(36))
    """The `ELIMINATION_UNITS` operation that wrote the tombstones and emptied the index."""
    action_operation_id: Mapped[str | None] = mapped_column(String(36))
    """The `ELIMINATION_ACTION` operation that finished the elimination and issued the certificate."""
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    """The minimal trace of each eliminated unit (also in the logbook and the tombstones)."""
    objects_pending: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    """Offer keys of binaries still to delete from every offer (the resumable part of a run)."""
    eliminated: Mapped[int] = mapped_column(Integer, default=0)
    objects_deleted: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
