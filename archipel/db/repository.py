"""The one place where tenant isolation is enforced.

Every repository of archival data is built with a tenant and starts every query from
`TenantScope.select`, which filters on that tenant. Callers never write the filter
themselves, so there is no query where it can be forgotten.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, Update, insert, select, update
from sqlalchemy.orm import Session

from archipel.core.errors import NotFound
from archipel.db.base import TenantOwned

Row = TypeVar("Row", bound=TenantOwned)


class TenantScope:
    """A session seen through one tenant."""

    def __init__(self, session: Session, tenant: int) -> None:
        self.session = session
        self.tenant = tenant

    def select(self, model: type[Row]) -> Select[tuple[Row]]:
        return select(model).where(model.tenant_id == self.tenant)

    def update(self, model: type[Row]) -> Update:
        """An UPDATE of this tenant's rows only (a conditional claim, say)."""
        return update(model).where(model.tenant_id == self.tenant)

    def find(self, model: type[Row], **keys: Any) -> Row | None:
        """A row of this tenant by its other key columns, or None (another tenant's: None too)."""
        query = self.select(model)
        for column, value in keys.items():
            query = query.where(getattr(model, column) == value)
        return self.session.scalars(query).one_or_none()

    def get(self, model: type[Row], what: str, **keys: Any) -> Row:
        """Like `find`, but a missing row is a NotFound naming `what` and its key."""
        row = self.find(model, **keys)
        if row is None:
            shown = ", ".join(f"{value}" for value in keys.values())
            raise NotFound(f"{what} {shown} not found in tenant {self.tenant}")
        return row

    def insert_many(self, model: type[TenantOwned], rows: list[dict[str, Any]]) -> None:
        """Bulk insert of plain rows (ingests of thousands of units), stamped with this tenant."""
        if rows:
            self.session.execute(insert(model), [{**row, "tenant_id": self.tenant} for row in rows])

    def add(self, row: TenantOwned) -> None:
        """Adds a row, stamping it with this tenant; a row of another tenant is a bug."""
        if getattr(row, "tenant_id", None) not in (None, self.tenant):
            raise ValueError(f"row of tenant {row.tenant_id} added through tenant {self.tenant}")
        row.tenant_id = self.tenant
        self.session.add(row)
