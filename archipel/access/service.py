"""Reading archives under an access scope, for the API and the command line alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session

from archipel.access.delivery import is_communicable, visible_unit
from archipel.access.model import UnitEffectiveRule
from archipel.access.query import search_objects, search_units
from archipel.access.scope import AccessScope
from archipel.core.errors import NotFound
from archipel.db.repository import TenantScope
from archipel.metadata import service as metadata
from archipel.metadata.model import ArchiveUnit, DataObject


def unit_view(session: Session, scope: AccessScope, unit_id: str) -> dict[str, Any]:
    """A unit as `metadata.unit_detail` shows it, if covered; only the objects the contract may see."""
    visible_unit(session, scope, unit_id)
    detail = metadata.unit_detail(session, scope.tenant, unit_id)
    detail["objects"] = [obj for obj in detail["objects"] if scope.allows_usage(obj["usage"])]
    detail["communicable"] = is_communicable(session, scope, unit_id)
    detail["rules"] = effective_rules_view(session, scope.tenant, unit_id)
    return detail


def effective_rules_view(session: Session, tenant: int, unit_id: str) -> list[dict[str, Any]]:
    """The rules that apply to a unit, each with the unit it comes from and that unit's final action."""
    scope = TenantScope(session, tenant)
    query = (
        scope.select(UnitEffectiveRule)
        .where(UnitEffectiveRule.unit_id == unit_id)
        .order_by(UnitEffectiveRule.category, UnitEffectiveRule.rule_id, UnitEffectiveRule.origin_id)
    )
    rules = list(session.scalars(query))
    origins = {rule.origin_id for rule in rules}
    rows = session.execute(
        scope.select(ArchiveUnit)
        .where(ArchiveUnit.id.in_(origins))
        .with_only_columns(ArchiveUnit.id, ArchiveUnit.management)
    )
    management = {origin: block for origin, block in rows}
    return [
        {
            "type": rule.category,
            "rule": rule.rule_id,
            "start": rule.start_date.isoformat() if rule.start_date else None,
            "end": rule.end_date.isoformat() if rule.end_date else None,
            "final_action": _final_action(management.get(rule.origin_id) or {}, rule.category),
            "origin": rule.origin_id,
            "inherited": rule.origin_id != unit_id,
        }
        for rule in rules
    ]


def _final_action(management: dict[str, Any], category: str) -> str | None:
    """A category's `FinalAction` (appraisal: Keep/Destroy; storage: RestrictAccess/Transfer/Copy)."""
    block = management.get(category)
    action = block.get("FinalAction") if isinstance(block, dict) else None
    return str(action) if action else None


def unit_rules(session: Session, scope: AccessScope, unit_id: str) -> dict[str, Any]:
    """`archipel rules show`: the effective rules of a unit the scope covers."""
    visible_unit(session, scope, unit_id)
    return {"unit": unit_id, "rules": effective_rules_view(session, scope.tenant, unit_id)}


def unit_list(
    session: Session, scope: AccessScope, limit: int, offset: int, operation_id: str | None = None
) -> list[dict[str, Any]]:
    """A page of the units the scope covers, in id order (search gives every other order)."""
    return metadata.unit_summaries(session, scope.tenant, limit, offset, operation_id, scope.unit_filter())


def object_group_view(session: Session, scope: AccessScope, group_id: str) -> dict[str, Any]:
    tenant = TenantScope(session, scope.tenant)
    holders = tenant.select(ArchiveUnit).where(ArchiveUnit.object_group_id == group_id, scope.unit_filter())
    if session.scalars(holders.with_only_columns(ArchiveUnit.id).limit(1)).first() is None:
        raise NotFound(f"object group {group_id} not found in tenant {scope.tenant}")
    detail = metadata.object_group_detail(session, scope.tenant, group_id)
    detail["objects"] = [obj for obj in detail["objects"] if scope.allows_usage(obj["usage"])]
    return detail


def object_of_unit(
    session: Session, scope: AccessScope, unit_id: str, usage: str, version: int | None
) -> str:
    """The id of the unit's object of this usage (its latest version unless one is named)."""
    unit = visible_unit(session, scope, unit_id)
    if unit.object_group_id is None:
        raise NotFound(f"archive unit {unit_id} has no object")
    query = (
        TenantScope(session, scope.tenant)
        .select(DataObject)
        .where(DataObject.object_group_id == unit.object_group_id, DataObject.usage == usage)
    )
    if version is not None:
        query = query.where(DataObject.version == version)
    obj = session.scalars(query.order_by(DataObject.version.desc()).limit(1)).first()
    if obj is None:
        wanted = f"{usage}_{version}" if version is not None else usage
        raise NotFound(f"archive unit {unit_id} has no {wanted} object")
    return obj.id


def text_request(words: str, limit: int = 100) -> dict[str, Any]:
    """What a search box means: units holding all these words, in any text field."""
    return {"$query": {"$match_all": {"_all": words}}, "$filter": {"$limit": limit}}


def search(session: Session, scope: AccessScope, request: dict[str, Any]) -> dict[str, Any]:
    """Units matching the request among those the scope covers, each flagged `#communicable`."""
    result = search_units(
        session,
        scope.tenant,
        request,
        where=scope.unit_filter(),
        annotations={"#communicable": scope.communicable()},
    )
    return result.as_dict()


def search_object_rows(session: Session, scope: AccessScope, request: dict[str, Any]) -> dict[str, Any]:
    """Objects matching the request whose group a covered unit holds, of the usages allowed."""
    holders = (
        TenantScope(session, scope.tenant)
        .select(ArchiveUnit)
        .where(scope.unit_filter(), ArchiveUnit.object_group_id.is_not(None))
        .with_only_columns(ArchiveUnit.object_group_id)
    )
    where = DataObject.object_group_id.in_(holders)
    if scope.contract is not None and scope.contract.usages is not None:
        where = and_(where, DataObject.usage.in_(list(scope.contract.usages)))
    return search_objects(session, scope.tenant, request, where=where).as_dict()
