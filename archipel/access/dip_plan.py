"""What a DIP of selected units will hold, decided before a byte is written.

The plan is the one place where the access contract is applied to a delivery: the
selected units it covers (others are left out, as if they did not exist), the parent links
between them, and of their objects those the contract lets the requester receive. An
object it may see but not receive — a usage the contract does not allow, a binary of a
unit not yet communicable to a third party — is a `Refusal` with its reason, logged by
the export; its unit's metadata is delivered all the same.

The same plan answers the estimate (units, objects, bytes) without building anything,
so the size announced is the size of what the export then writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from archipel.access.delivery import check_deliverable
from archipel.access.scope import AccessScope
from archipel.core.errors import Forbidden
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent

BATCH = 500
"""Ids per `IN (...)` list: well under every engine's limit on bound parameters."""

USAGE_NOT_ALLOWED = "USAGE_NOT_ALLOWED"
NOT_COMMUNICABLE = "NOT_COMMUNICABLE"


@dataclass(frozen=True)
class Refusal:
    """An object the DIP leaves out, and why (`code` is a logbook code)."""

    object_id: str
    code: str
    reason: str


@dataclass
class DipPlan:
    units: dict[str, ArchiveUnit]
    """The selected units the scope covers, by id, in selection order."""
    children: dict[str, list[str]]
    """Parent → its children among `units`, in id order."""
    groups: dict[str, ObjectGroup]
    binaries: list[DataObject] = field(default_factory=list)
    """Binaries to deliver, group by group (usage, then version, within a group)."""
    physical: list[DataObject] = field(default_factory=list)
    """Physical objects described (no file: a thing on a shelf)."""
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        """The bytes of the binaries to deliver (the ZIP adds its headers and the manifest)."""
        return sum(obj.size or 0 for obj in self.binaries)

    def as_dict(self) -> dict[str, int]:
        return {"units": len(self.units), "objects": len(self.binaries), "bytes": self.bytes}


def plan_dip(session: Session, scope: AccessScope, unit_ids: Sequence[str]) -> DipPlan:
    """The plan for these units under this scope (ids it does not cover are left out)."""
    tenant = TenantScope(session, scope.tenant)
    wanted = list(dict.fromkeys(unit_ids))
    found: dict[str, ArchiveUnit] = {}
    for chunk in _chunks(wanted):
        query = tenant.select(ArchiveUnit).where(ArchiveUnit.id.in_(chunk), scope.unit_filter())
        found.update((unit.id, unit) for unit in session.scalars(query))
    units = {unit_id: found[unit_id] for unit_id in wanted if unit_id in found}
    plan = DipPlan(units, _children(session, tenant, units), _groups(session, tenant, units.values()))
    for obj in _objects(session, tenant, plan.groups):
        _place(session, scope, obj, plan)
    return plan


def _children(session: Session, tenant: TenantScope, units: dict[str, ArchiveUnit]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for chunk in _chunks(list(units)):
        query = tenant.select(UnitParent).where(UnitParent.unit_id.in_(chunk))
        for link in session.scalars(query):
            if link.parent_id in units:
                children.setdefault(link.parent_id, []).append(link.unit_id)
    return {parent: sorted(ids) for parent, ids in children.items()}


def _groups(session: Session, tenant: TenantScope, units: Iterable[ArchiveUnit]) -> dict[str, ObjectGroup]:
    ids = sorted({unit.object_group_id for unit in units if unit.object_group_id})
    groups: dict[str, ObjectGroup] = {}
    for chunk in _chunks(ids):
        groups.update(
            (group.id, group)
            for group in session.scalars(tenant.select(ObjectGroup).where(ObjectGroup.id.in_(chunk)))
        )
    return {group_id: groups[group_id] for group_id in ids if group_id in groups}


def _objects(session: Session, tenant: TenantScope, groups: dict[str, ObjectGroup]) -> list[DataObject]:
    objects: list[DataObject] = []
    for chunk in _chunks(list(groups)):
        query = tenant.select(DataObject).where(DataObject.object_group_id.in_(chunk))
        objects.extend(session.scalars(query))
    order = {group_id: index for index, group_id in enumerate(groups)}
    return sorted(objects, key=lambda obj: (order[obj.object_group_id], obj.usage, obj.version, obj.id))


def _place(session: Session, scope: AccessScope, obj: DataObject, plan: DipPlan) -> None:
    """Into the binaries, the physical objects, or the refusals, with the reason."""
    if not scope.allows_usage(obj.usage):
        reason = f"access contract {scope.contract_id} does not allow the {obj.usage} usage"
        plan.refusals.append(Refusal(obj.id, USAGE_NOT_ALLOWED, reason))
        return
    if obj.kind != "binary" or not obj.sha512:
        plan.physical.append(obj)
        return
    try:
        check_deliverable(session, scope, obj)
    except Forbidden as refused:
        plan.refusals.append(Refusal(obj.id, NOT_COMMUNICABLE, refused.message))
        return
    plan.binaries.append(obj)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]
