"""The operation logbook: one operation, many events, each naming a step and its outcome.

Step codes are those archivists already read in the reference system's replies
(`CHECK_DIGEST`, `CHECK_SEDA.NOT_XSD_VALID`, ...), see `archipel.ingest.findings`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, TenantOwned, UtcDateTime


class Operation(TenantOwned, Base):
    """One operation (an ingest, an audit...): a single id followed from request to reply.

    `status` says whether it is still running; `outcome` says how it ended.
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
    """An event of an operation; append-only."""

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
