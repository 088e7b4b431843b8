"""The write journal that makes an ingest atomic across offers and database.

Before an operation writes anything to an offer it records here, in a committed
transaction, every key it is about to write. The metadata commit of the operation deletes
those rows in the same transaction. Rows left behind therefore name exactly the writes
of an operation that never committed, and recovery deletes them from every offer.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archipel.db.base import Base


class PendingWrite(Base):
    __tablename__ = "pending_writes"

    operation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
