"""Archive units, their parent links, object groups and data objects.

Units form a directed acyclic graph: SEDA lets a unit be attached under several parents
(`ArchiveUnitRefId`), so parenthood is a link table, not a column.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, JsonDocument, TenantOwned, UtcDateTime


class ObjectGroup(TenantOwned, Base):
    """SEDA DataObjectGroup: the versions and usages of one intellectual object."""

    __tablename__ = "object_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operation_id: Mapped[str] = mapped_column(String(36), index=True)
    manifest_id: Mapped[str | None] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ArchiveUnit(TenantOwned, Base):
    """SEDA ArchiveUnit: description (Content) and management rules (Management)."""

    __tablename__ = "archive_units"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "object_group_id"], ["object_groups.tenant_id", "object_groups.id"]
        ),
        Index("ix_archive_units_operation", "tenant_id", "operation_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operation_id: Mapped[str] = mapped_column(String(36))
    manifest_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str | None] = mapped_column(String(40))
    unit_type: Mapped[str] = mapped_column(String(20), default="INGEST", server_default="INGEST")
    """INGEST (archives), FILING_UNIT (node of a filing tree, made by the FILING_SCHEME workflow)
    or HOLDING_UNIT (node of a plan, HOLDING_SCHEME): the reference system's
    `_unitType`, so trees and plans can be told from the archives attached under them."""
    originating_agency: Mapped[str | None] = mapped_column(String(200))
    object_group_id: Mapped[str | None] = mapped_column(String(36))
    content: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    management: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class UnitParent(TenantOwned, Base):
    """One edge of the unit DAG: `unit_id` sits under `parent_id`."""

    __tablename__ = "unit_parents"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "unit_id"], ["archive_units.tenant_id", "archive_units.id"]),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["archive_units.tenant_id", "archive_units.id"]),
        Index("ix_unit_parents_parent", "tenant_id", "parent_id"),
    )

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parent_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class DataObject(TenantOwned, Base):
    """A BinaryDataObject (bytes on the offers) or a PhysicalDataObject (a thing on a shelf)."""

    __tablename__ = "data_objects"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "object_group_id"], ["object_groups.tenant_id", "object_groups.id"]
        ),
        Index("ix_data_objects_group", "tenant_id", "object_group_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    object_group_id: Mapped[str] = mapped_column(String(36))
    manifest_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # "binary" or "physical"
    usage: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    uri: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha512: Mapped[str | None] = mapped_column(String(128))
    declared_digest_algorithm: Mapped[str | None] = mapped_column(String(20))
    declared_digest: Mapped[str | None] = mapped_column(String(128))
    puid: Mapped[str | None] = mapped_column(String(40))
    format_name: Mapped[str | None] = mapped_column(Text)
    mime: Mapped[str | None] = mapped_column(String(200))
    physical_id: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class UnitRule(TenantOwned, Base):
    """A management rule a unit declares itself, with the end date computed at ingest.

    Kept as rows beside the unit document so "which units use rule ACC-00003" and "which
    units reach their end before a date" are index lookups, not scans of JSON.
    """

    __tablename__ = "unit_rules"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "unit_id"], ["archive_units.tenant_id", "archive_units.id"]),
        Index("ix_unit_rules_rule", "tenant_id", "category", "rule_id"),
    )

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    """AppraisalRule, AccessRule, StorageRule, DisseminationRule, ReuseRule, ClassificationRule, HoldRule."""
    rule_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    """None when the start date is unknown or the rule has no duration (unlimited)."""
