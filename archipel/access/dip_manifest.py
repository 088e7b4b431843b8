"""A DIP plan, once its binaries are in the ZIP, as the SEDA delivery message to write.

The message describes what the ZIP holds: the planned units, the binaries written (each
with its path in the ZIP) and the physical objects, under the header the request gave.
References that the units' transfers wrote between their own units and objects are
resolved here, against the archive, for `archipel.seda.delivery.localise`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from archipel.access.delivery import visible_object
from archipel.access.dip_plan import DipPlan
from archipel.access.scope import AccessScope
from archipel.core.errors import NotFound
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup
from archipel.seda.delivery import (
    DeliveredObject,
    DeliveredUnit,
    DeliveryMessage,
    Target,
    xml_id,
)


@dataclass(frozen=True)
class DipHeader:
    """Who answers whom: the message's header (SEDA requires both agencies)."""

    identifier: str
    """The export operation's id (`MessageIdentifier`)."""
    date: datetime
    archival_agency: str
    requester: str
    request_identifier: str
    comment: str | None = None


def delivery_message(
    session: Session,
    scope: AccessScope,
    plan: DipPlan,
    header: DipHeader,
    written: dict[str, str],
) -> DeliveryMessage:
    """The message for `plan`; `written` maps each binary put in the ZIP to its path there."""
    objects = [
        described(obj, written.get(obj.id), plan.groups[obj.object_group_id].operation_id)
        for obj in [*plan.binaries, *plan.physical]
    ]
    objects = [obj for obj in objects if obj.kind != "binary" or obj.uri is not None]
    groups = {obj.group_id for obj in objects}
    units = {
        unit_id: DeliveredUnit(
            system_id=unit_id,
            content=unit.content,
            management=unit.management,
            children=tuple(plan.children.get(unit_id, ())),
            group_id=unit.object_group_id if unit.object_group_id in groups else None,
            origin=unit.operation_id,
        )
        for unit_id, unit in plan.units.items()
    }
    agencies = {unit.originating_agency for unit in plan.units.values()}
    return DeliveryMessage(
        identifier=header.identifier,
        date=header.date,
        request_identifier=header.request_identifier,
        archival_agency=header.archival_agency,
        requester=header.requester,
        units=units,
        objects=objects,
        comment=header.comment,
        originating_agency=agencies.pop() if len(agencies) == 1 else None,
        resolve=TransferReferences(session, scope, plan, objects),
    )


def described(obj: DataObject, uri: str | None, origin: str | None) -> DeliveredObject:
    """How the message describes an object; `origin`: the operation that archived it."""
    return DeliveredObject(
        system_id=obj.id,
        group_id=obj.object_group_id,
        kind=obj.kind,
        version=f"{obj.usage}_{obj.version}",
        uri=uri,
        sha512=obj.sha512,
        size=obj.size,
        format_id=obj.puid,
        mime_type=obj.mime,
        format_name=obj.format_name,
        filename=obj.filename,
        physical_id=obj.physical_id,
        metadata=obj.extra or {},
        origin=origin,
    )


class TransferReferences:
    """Manifest ids of a transfer → the DIP element they name, or the system id of what the
    requester may see but the DIP does not hold; None for what the scope does not cover."""

    def __init__(
        self, session: Session, scope: AccessScope, plan: DipPlan, objects: Sequence[DeliveredObject]
    ) -> None:
        self.session = session
        self.scope = scope
        self.tenant = TenantScope(session, scope.tenant)
        self.plan = plan
        self.objects = {obj.system_id: obj for obj in objects}
        self.groups = {obj.group_id for obj in objects}
        self.seen: dict[tuple[str | None, str, str], Target | None] = {}

    def __call__(self, origin: str | None, kind: str, manifest_id: str) -> Target | None:
        key = (origin, kind, manifest_id)
        if key not in self.seen:
            self.seen[key] = self._resolve(origin, kind, manifest_id) if origin else None
        return self.seen[key]

    def _resolve(self, origin: str, kind: str, manifest_id: str) -> Target | None:
        if kind == "unit":
            return self._unit(origin, manifest_id)
        if kind == "group":
            return self._group(origin, manifest_id)
        return self._object(origin, manifest_id)

    def _unit(self, origin: str, manifest_id: str) -> Target | None:
        query = self.tenant.select(ArchiveUnit).where(
            ArchiveUnit.operation_id == origin,
            ArchiveUnit.manifest_id == manifest_id,
            self.scope.unit_filter(),
        )
        unit_id = self.session.scalar(query.with_only_columns(ArchiveUnit.id).limit(1))
        if unit_id is None:
            return None
        return Target(unit_id, xml_id("unit", unit_id) if unit_id in self.plan.units else None)

    def _group(self, origin: str, manifest_id: str) -> Target | None:
        query = self.tenant.select(ObjectGroup).where(
            ObjectGroup.operation_id == origin, ObjectGroup.manifest_id == manifest_id
        )
        group_id = self.session.scalar(query.with_only_columns(ObjectGroup.id).limit(1))
        if group_id is None:
            return None
        if group_id in self.groups:
            return Target(group_id, xml_id("group", group_id))
        holders = self.tenant.select(ArchiveUnit).where(
            ArchiveUnit.object_group_id == group_id, self.scope.unit_filter()
        )
        visible = self.session.scalar(holders.with_only_columns(ArchiveUnit.id).limit(1))
        return Target(group_id) if visible is not None else None

    def _object(self, origin: str, manifest_id: str) -> Target | None:
        query = (
            self.tenant.select(DataObject)
            .join(
                ObjectGroup,
                (ObjectGroup.tenant_id == DataObject.tenant_id)
                & (ObjectGroup.id == DataObject.object_group_id),
            )
            .where(ObjectGroup.operation_id == origin, DataObject.manifest_id == manifest_id)
        )
        obj = self.session.scalars(query.limit(1)).first()
        if obj is None:
            return None
        if obj.id in self.objects:
            return Target(obj.id, xml_id(obj.kind, obj.id))
        try:
            visible_object(self.session, self.scope, obj.id)
        except NotFound:
            return None
        return Target(obj.id)
