"""Reading archive units and objects for people and scripts (API and CLI share these)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from archipel.core.clock import iso
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.metadata.repository import UnitRepository


def unit_summaries(
    session: Session,
    tenant: int,
    limit: int = 100,
    offset: int = 0,
    operation_id: str | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    repository = UnitRepository(session, tenant)
    units = repository.units(limit=limit, offset=offset, operation_id=operation_id, where=where)
    parents = repository.parents_of(unit.id for unit in units)
    return [_summary(unit, parents.get(unit.id, [])) for unit in units]


def _summary(unit: ArchiveUnit, parents: list[str]) -> dict[str, Any]:
    return {
        "id": unit.id,
        "title": unit.title,
        "level": unit.level,
        "parents": parents,
        "object_group": unit.object_group_id,
    }


def object_view(obj: DataObject) -> dict[str, Any]:
    return {
        "id": obj.id,
        "kind": obj.kind,
        "usage": obj.usage,
        "version": obj.version,
        "size": obj.size,
        "digest": obj.sha512,
        "digest_algorithm": "SHA-512" if obj.sha512 else None,
        "declared_digest": obj.declared_digest,
        "declared_digest_algorithm": obj.declared_digest_algorithm,
        "puid": obj.puid,
        "format_name": obj.format_name,
        "mime": obj.mime,
        "filename": obj.filename,
        "uri": obj.uri,
        "physical_id": obj.physical_id,
        "metadata": obj.extra,
    }


def unit_detail(session: Session, tenant: int, unit_id: str) -> dict[str, Any]:
    repository = UnitRepository(session, tenant)
    unit = repository.unit(unit_id)
    detail = _summary(unit, repository.parents_of([unit.id]).get(unit.id, []))
    detail.update(
        {
            "operation_id": unit.operation_id,
            "manifest_id": unit.manifest_id,
            "originating_agency": unit.originating_agency,
            "created": iso(unit.created),
            "version": unit.version,
            "children": repository.children_of(unit.id),
            "content": unit.content,
            "management": unit.management,
            "objects": [object_view(obj) for obj in repository.objects_of(unit.object_group_id)]
            if unit.object_group_id
            else [],
        }
    )
    return detail


def object_group_detail(session: Session, tenant: int, group_id: str) -> dict[str, Any]:
    repository = UnitRepository(session, tenant)
    group = repository.object_group(group_id)
    return {
        "id": group.id,
        "operation_id": group.operation_id,
        "created": iso(group.created),
        "objects": [object_view(obj) for obj in repository.objects_of(group.id)],
    }
