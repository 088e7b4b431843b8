"""Reading archive units, object groups and objects of one tenant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule


class UnitRepository:
    def __init__(self, session: Session, tenant: int) -> None:
        self.scope = TenantScope(session, tenant)
        self.session = session

    def units(
        self,
        limit: int = 100,
        offset: int = 0,
        operation_id: str | None = None,
        where: ColumnElement[bool] | None = None,
    ) -> list[ArchiveUnit]:
        """A page of units in id order; `where` narrows them (an access contract's limits)."""
        query = self.scope.select(ArchiveUnit)
        if where is not None:
            query = query.where(where)
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

    def units_using_rules(self, rule_ids: Iterable[str], sample: int = 20) -> dict[str, list[str]]:
        """Rule id → ids of units that declare it (at most `sample` each): what a rule change affects."""
        used: dict[str, list[str]] = defaultdict(list)
        ids = sorted(set(rule_ids))
        for start in range(0, len(ids), 500):
            query = self.scope.select(UnitRule).where(UnitRule.rule_id.in_(ids[start : start + 500]))
            for row in self.session.scalars(query.order_by(UnitRule.rule_id, UnitRule.unit_id)):
                if len(used[row.rule_id]) < sample:
                    used[row.rule_id].append(row.unit_id)
        return dict(used)

    def units_of_agencies(self, agency_ids: Iterable[str], sample: int = 20) -> dict[str, list[str]]:
        """Agency id → ids of units it originated (at most `sample` each)."""
        used: dict[str, list[str]] = defaultdict(list)
        ids = sorted(set(agency_ids))
        for start in range(0, len(ids), 500):
            query = self.scope.select(ArchiveUnit).where(
                ArchiveUnit.originating_agency.in_(ids[start : start + 500])
            )
            for unit in self.session.scalars(query.order_by(ArchiveUnit.id)):
                if unit.originating_agency and len(used[unit.originating_agency]) < sample:
                    used[unit.originating_agency].append(unit.id)
        return dict(used)

    def rules_of(self, unit_id: str) -> list[UnitRule]:
        query = self.scope.select(UnitRule).where(UnitRule.unit_id == unit_id)
        return list(self.session.scalars(query.order_by(UnitRule.category, UnitRule.rule_id)))
