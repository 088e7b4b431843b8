"""Reading archive units, object groups and objects of one tenant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent


class UnitRepository:
    def __init__(self, session: Session, tenant: int) -> None:
        self.scope = TenantScope(session, tenant)
        self.session = session

    def units(self, limit: int = 100, offset: int = 0, operation_id: str | None = None) -> list[ArchiveUnit]:
        query = self.scope.select(ArchiveUnit)
        if operation_id:
            query = query.where(ArchiveUnit.operation_id == operation_id)
        query = query.order_by(ArchiveUnit.id).limit(limit).offset(offset)
        return list(self.session.scalars(query))

    def unit(self, unit_id: str) -> ArchiveUnit:
        return self.scope.get(ArchiveUnit, "archive unit", id=unit_id)

    def find_unit(self, unit_id: str) -> ArchiveUnit | None:
        return self.scope.find(ArchiveUnit, id=unit_id)

    def parents_of(self, unit_ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(unit_ids)
        parents: dict[str, list[str]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            query = self.scope.select(UnitParent).where(UnitParent.unit_id.in_(ids[start : start + 500]))
            for link in self.session.scalars(query.order_by(UnitParent.parent_id)):
                parents[link.unit_id].append(link.parent_id)
        return parents

    def children_of(self, unit_id: str) -> list[str]:
        query = self.scope.select(UnitParent).where(UnitParent.parent_id == unit_id)
        return [link.unit_id for link in self.session.scalars(query.order_by(UnitParent.unit_id))]

    def object_group(self, group_id: str) -> ObjectGroup:
        return self.scope.get(ObjectGroup, "object group", id=group_id)

    def objects_of(self, group_id: str) -> list[DataObject]:
        query = self.scope.select(DataObject).where(DataObject.object_group_id == group_id)
        return list(self.session.scalars(query.order_by(DataObject.usage, DataObject.version)))

    def data_object(self, object_id: str) -> DataObject:
        return self.scope.get(DataObject, "object", id=object_id)
