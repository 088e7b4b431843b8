"""Declarative base shared by every package's tables, and the tenant-owned mixin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


JsonDocument = JSON().with_variant(JSONB(), "postgresql")

OrderedText = Text().with_variant(Text(collation="C"), "postgresql")
"""Text compared and sorted by code point on both engines (SQLite's only order), so a range
or a sort gives the same rows on SQLite and on PostgreSQL, whatever the server's locale."""


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps always stored and returned in UTC, whatever the engine does with zones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use archipel.core.clock.utc_now()")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        from datetime import UTC

        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class TenantOwned:
    """Every row of archival data belongs to exactly one tenant.

    The column is the first of each primary key, so PostgreSQL can later partition these
    tables by tenant without changing keys.
    """

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-10)
