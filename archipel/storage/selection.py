"""Which binary objects of a tenant an audit covers, read from the index page by page.

An audit runs over millions of objects: the selection never loads them all. It yields
pages of object rows in id order, each page read in its own short transaction by keyset
pagination (`id > last id seen`), which stays fast however deep into the table it goes
(an OFFSET would rescan every row before it) and holds no transaction open for hours.

`ObjectSelection` covers all of a tenant's binaries, or those of some archive units, or
those of one ingest operation. Anything else that can say which objects it means (the
result of an access query, later) plugs into the audit by implementing `Selection`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from archipel.core.errors import NotFound
from archipel.db.database import Database
from archipel.db.repository import TenantScope
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup

PAGE = 500
"""Objects read per transaction: small enough to stay short, large enough to amortise the query."""

BINARY = "binary"
"""Physical objects (paper on a shelf) have no bytes on the offers and are never audited."""


class StoredObject(NamedTuple):
    """What an audit needs of one binary object: its id and what the archive recorded at ingest."""

    id: str
    size: int | None
    sha512: str


class Selection(Protocol):
    """The objects of one tenant an audit goes through."""

    tenant: int

    def validate(self, session: Session) -> None:
        """Raises `NotFound` when the selection names something the tenant does not hold."""
        ...

    def totals(self, session: Session) -> tuple[int, int]:
        """(objects, bytes) selected, for progress."""
        ...

    def pages(self, database: Database, size: int = PAGE) -> Iterator[list[StoredObject]]:
        """The selected objects, in id order, a page per transaction."""
        ...

    def still_held(self, session: Session, object_ids: list[str]) -> set[str]:
        """Those of `object_ids` the index still holds (an object may leave during a long audit)."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class ObjectSelection:
    """All binary objects of a tenant, or only those of `unit_ids`, or of ingest `operation_id`.

    The objects "of a unit" are those of the object group the unit itself holds, not of its
    descendants. Given both, an object must match both.
    """

    tenant: int
    unit_ids: tuple[str, ...] = ()
    operation_id: str | None = None

    def validate(self, session: Session) -> None:
        if self.operation_id is not None:
            OperationLog(session, self.tenant).get(self.operation_id)
        if self.unit_ids:
            scope = TenantScope(session, self.tenant)
            query = scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(self.unit_ids))
            known = set(session.scalars(query.with_only_columns(ArchiveUnit.id)))
            unknown = sorted(set(self.unit_ids) - known)
            if unknown:
                raise NotFound(f"archive unit(s) {', '.join(unknown)} not found in tenant {self.tenant}")

    def totals(self, session: Session) -> tuple[int, int]:
        query = select(func.count(), func.coalesce(func.sum(DataObject.size), 0)).where(*self._criteria())
        objects, total = session.execute(query).one()
        return int(objects), int(total)

    def pages(self, database: Database, size: int = PAGE) -> Iterator[list[StoredObject]]:
        last = ""
        while True:
            with database.unit_of_work() as session:
                query = (
                    select(DataObject.id, DataObject.size, DataObject.sha512)
                    .where(*self._criteria(), DataObject.id > last)
                    .order_by(DataObject.id)
                    .limit(size)
                )
                page = [StoredObject(*row) for row in session.execute(query)]
            if not page:
                return
            yield page
            last = page[-1].id

    def still_held(self, session: Session, object_ids: list[str]) -> set[str]:
        query = select(DataObject.id).where(*self._criteria(), DataObject.id.in_(object_ids))
        return set(session.scalars(query))

    def describe(self) -> str:
        parts = [f"the binary objects of tenant {self.tenant}"]
        if self.unit_ids:
            parts.append(f"held by archive unit(s) {', '.join(self.unit_ids)}")
        if self.operation_id:
            parts.append(f"archived by operation {self.operation_id}")
        return " ".join(parts)

    def _criteria(self) -> list[ColumnElement[bool]]:
        """The conditions on `data_objects`; the tenant comes first, on every query."""
        criteria: list[ColumnElement[bool]] = [
            DataObject.tenant_id == self.tenant,
            DataObject.kind == BINARY,
        ]
        if self.unit_ids:
            groups = select(ArchiveUnit.object_group_id).where(
                ArchiveUnit.tenant_id == self.tenant, ArchiveUnit.id.in_(self.unit_ids)
            )
            criteria.append(DataObject.object_group_id.in_(groups))
        if self.operation_id:
            groups = select(ObjectGroup.id).where(
                ObjectGroup.tenant_id == self.tenant, ObjectGroup.operation_id == self.operation_id
            )
            criteria.append(DataObject.object_group_id.in_(groups))
        return criteria
