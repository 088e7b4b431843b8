"""What each change did to a tenant's holdings, one row per change, dated by month.

Rows are only ever appended, in the transaction of the change they count (an ingest's index
commit, an elimination's or a transfer's purge, a filing node deleted, a recount), so they
cannot drift from the index: either both commit or neither does. Appending rather than
incrementing one row per month means concurrent ingests of one tenant never wait on each
other's row lock. A month's stock is the sum of the rows up to that month, read through the
(tenant, month) index (`archipel.admin.volumetry`).

A row with no `offer` counts the logical holdings (units, groups, objects, bytes); a row
naming an offer counts only the bytes that offer gained or lost.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, TenantOwned


class ChangeKind(StrEnum):
    INGEST = "INGEST"
    ELIMINATION = "ELIMINATION"
    TRANSFER = "TRANSFER"
    """Units handed on to another archive, purged once it took them."""
    FILING = "FILING"
    """A filing plan's node deleted (`archipel.metadata.tree`)."""
    RECOUNT = "RECOUNT"
    """The difference between the index and the rows, written by a recount."""


class VolumetryChange(TenantOwned, Base):
    __tablename__ = "volumetry_changes"
    __table_args__ = (Index("ix_volumetry_changes_tenant_id_month", "tenant_id", "month"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    """`YYYY-MM`, in UTC: sorts as it reads."""
    units: Mapped[int] = mapped_column(Integer, default=0)
    object_groups: Mapped[int] = mapped_column(Integer, default=0)
    objects: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    offer: Mapped[str | None] = mapped_column(String(63))
    """None: the logical counts; an offer's name: the bytes on that offer only."""
    kind: Mapped[str] = mapped_column(String(20))
    """A `ChangeKind`: what made the change."""
    operation_id: Mapped[str | None] = mapped_column(String(36))
    """The operation that made it (none for a recount): its logbook tells when and by whom."""
