"""The search index of archive units, and the access log.

The unit rows (`archive_units`) hold each unit's description as one JSON document: good for
showing a unit, useless for finding one among millions. These tables are derived from
those rows (and so from the offers) and can be rebuilt at any time:

* `unit_fields`: one row per leaf value of a unit's description, so any criterion on any
  field is the same indexed lookup on both engines, whatever the field's nesting or
  repetition (the reference system's ontology allows most fields to repeat);
* `unit_text`: the words of each unit, folded and stemmed once by Archipel, so full-text
  search gives the same answer on SQLite (FTS5) and PostgreSQL (`tsvector`);
* `unit_ancestors`: every ancestor of a unit with its distance, so "units under this node"
  (tree criteria, an access contract's root units) is one lookup, not a walk of the DAG;
* `unit_effective_rules`: the management rules that apply to a unit, its own and inherited,
  with the unit they come from, so communicability is a lookup at the date of the request.

`access_log` records every delivery of a binary: who, under which contract, which object.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base, OrderedText, TenantOwned, UtcDateTime

FIELD_VALUE_LENGTH = 256
"""Longer values are indexed by their first characters; full text covers the rest."""
FIELD_PATH_LENGTH = 200
"""Longer paths (deeply nested extension elements) are not indexed as fields; their words
still count in the `_all` full text."""


class UnitField(TenantOwned, Base):
    """One leaf value of a unit's description (`Content`), by its dotted path."""

    __tablename__ = "unit_fields"
    __table_args__ = (
        # unit_id last: a criterion finds the units it selects in the index alone
        Index("ix_unit_fields_value", "tenant_id", "path", "value", "unit_id"),
        Index("ix_unit_fields_number", "tenant_id", "path", "number", "unit_id"),
        Index("ix_unit_fields_folded", "tenant_id", "path", "folded", "unit_id"),
    )

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    path: Mapped[str] = mapped_column(
        String(FIELD_PATH_LENGTH).with_variant(String(FIELD_PATH_LENGTH, collation="C"), "postgresql"),
        primary_key=True,
    )
    """Element names from `Content` down, dot-separated, list positions left out: `Keyword.KeywordContent`.
    Byte order on both engines, so "every field under `Keyword`" is the same index range. In the
    key before `seq`, so a unit's values of one field (to sort by, to count in facets) are one range."""
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    element: Mapped[str] = mapped_column(Text, default="")
    """The element the value sits in, with fixed-width positions (`Keyword.000002.KeywordContent.000000`),
    so criteria of a `$subobject` must hold in one and the same element (archipel.access.leaves)."""
    value: Mapped[str] = mapped_column(OrderedText)
    folded: Mapped[str] = mapped_column(OrderedText)
    """Lower case, accents removed: what case- and accent-insensitive criteria compare."""
    number: Mapped[float | None] = mapped_column(Float)


class UnitText(Base):
    """The folded, stemmed words of one text field of a unit (`_all`: every text field).

    An integer key, because the SQLite full-text table (`unit_text_fts`, made by the
    migration with its triggers) refers to these rows by rowid; PostgreSQL adds a generated
    `tsv` column with a GIN index. Neither is described here: they are engine-specific.
    """

    __tablename__ = "unit_text"
    __table_args__ = (UniqueConstraint("tenant_id", "unit_id", "field"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(FIELD_PATH_LENGTH))
    text: Mapped[str] = mapped_column(Text)


class UnitAncestor(TenantOwned, Base):
    """`ancestor_id` is above `unit_id` in the unit DAG, `depth` levels up at the nearest."""

    __tablename__ = "unit_ancestors"
    __table_args__ = (Index("ix_unit_ancestors_ancestor", "tenant_id", "ancestor_id", "depth"),)

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ancestor_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    depth: Mapped[int] = mapped_column(Integer)


class UnitEffectiveRule(TenantOwned, Base):
    """A management rule that applies to a unit: its own (origin = itself) or inherited."""

    __tablename__ = "unit_effective_rules"
    __table_args__ = (Index("ix_unit_effective_rules_end", "tenant_id", "category", "end_date"),)

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    origin_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The unit that declares the rule (the unit itself when not inherited)."""
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    """None: no end (unlimited duration, or no start date to count from)."""


class AccessRecord(TenantOwned, Base):
    """One binary delivered (download or DIP): the access logbook."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_object", "tenant_id", "object_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str | None] = mapped_column(String(36))
    contract: Mapped[str | None] = mapped_column(String(200))
    agent: Mapped[str | None] = mapped_column(String(200))
    operation_id: Mapped[str | None] = mapped_column(String(36))
    """The DIP export that delivered it; None for a direct download."""
    offer: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(UtcDateTime)
