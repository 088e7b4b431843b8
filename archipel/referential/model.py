"""Referential entries, their history, and the version of each referential.

One table holds every kind: an entry is a JSON document with the reference system's own
field names (`RuleId`, `Identifier`, `ArchiveProfiles`...), so a file imported and
exported again says the same thing, and a new kind needs no new table. Entries that
every tenant shares (the PRONOM formats, the internal ontology) belong to tenant 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, JsonDocument, TenantOwned, UtcDateTime


class ReferentialEntry(TenantOwned, Base):
    """The current state of one entry (a rule, an agency, a contract...)."""

    __tablename__ = "referential_entries"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str | None] = mapped_column(String(20))
    """ACTIVE or INACTIVE for kinds that have a status (contracts, profiles), else None."""
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Order of the entry in the file it came from: an export gives the rows back in that order."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Version of this entry: 1 when created, +1 at each change."""
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    updated: Mapped[datetime] = mapped_column(UtcDateTime)


class ReferentialChange(TenantOwned, Base):
    """Every state an entry has had, with the operation that made it (nothing is forgotten)."""

    __tablename__ = "referential_changes"
    __table_args__ = (Index("ix_referential_changes_entry", "tenant_id", "kind", "identifier"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    identifier: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    """create, update or delete."""
    document: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    """The entry after the change; None for a deletion."""
    operation_id: Mapped[str] = mapped_column(String(36))
    changed: Mapped[datetime] = mapped_column(UtcDateTime)


class ReferentialVersion(TenantOwned, Base):
    """The version of a whole referential: +1 at each import or change of one of its entries.

    Each version is also written to the offers as a complete snapshot, so the referential
    can be read back, or rebuilt, without the database.
    """

    __tablename__ = "referential_versions"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[str] = mapped_column(String(36))
    sha512: Mapped[str] = mapped_column(String(128))
    """Digest of the snapshot document written to the offers."""
    created: Mapped[datetime] = mapped_column(UtcDateTime)
