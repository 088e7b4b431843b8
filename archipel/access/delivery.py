"""Delivering archives under an access scope: which units and objects a call may reach, and
the bytes of an object, verified, logged, served from a healthy copy.

A unit or object outside the contract is `NotFound`, exactly like one that does not exist:
an answer must not tell a commune what another service holds. A binary the contract may
see but not receive (a usage it does not allow, a unit not yet communicable to a third
party) is `Forbidden`, with the reason.

Every delivered binary leaves an access record (who, which contract, which object, which
offer served it). A copy found bad on the way is logged as a `STORAGE_FAULT` operation, so
the archivists learn of it before the next audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archipel.access.model import AccessRecord, UnitEffectiveRule
from archipel.access.scope import ACCESS_RULE, AccessScope
from archipel.core.clock import utc_now
from archipel.core.errors import Forbidden, NotFound
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.platform import Platform
from archipel.storage import layout
from archipel.storage.strategy import CopyFault

STORAGE_FAULT = "STORAGE_FAULT"


def visible_unit(session: Session, scope: AccessScope, unit_id: str) -> ArchiveUnit:
    """The unit if the scope covers it; NotFound otherwise, as for a unit that does not exist."""
    query = (
        TenantScope(session, scope.tenant)
        .select(ArchiveUnit)
        .where(ArchiveUnit.id == unit_id, scope.unit_filter())
    )
    unit = session.scalars(query).one_or_none()
    if unit is None:
        raise NotFound(f"archive unit {unit_id} not found in tenant {scope.tenant}")
    return unit


def is_communicable(session: Session, scope: AccessScope, unit_id: str) -> bool:
    query = TenantScope(session, scope.tenant).select(ArchiveUnit).where(ArchiveUnit.id == unit_id)
    return bool(session.scalar(query.with_only_columns(scope.communicable())))


def visible_object(session: Session, scope: AccessScope, object_id: str) -> tuple[DataObject, str]:
    """An object whose group a covered unit holds, with the id of one such unit (the first by id)."""
    tenant = TenantScope(session, scope.tenant)
    obj = tenant.find(DataObject, id=object_id)
    holder = None
    if obj is not None:
        query = tenant.select(ArchiveUnit).where(
            ArchiveUnit.object_group_id == obj.object_group_id, scope.unit_filter()
        )
        holder = session.scalar(query.with_only_columns(func.min(ArchiveUnit.id)))
    if obj is None or holder is None:
        raise NotFound(f"object {object_id} not found in tenant {scope.tenant}")
    return obj, holder


def check_deliverable(session: Session, scope: AccessScope, obj: DataObject) -> None:
    """Refuses a physical object, a usage the contract excludes, or bytes not yet communicable."""
    if obj.kind != "binary" or not obj.sha512:
        raise NotFound(f"object {obj.id} is a physical object: it has no binary")
    scope.check_usage(obj)
    if not scope.third_party:
        return
    tenant = TenantScope(session, scope.tenant)
    holders = tenant.select(ArchiveUnit).where(
        ArchiveUnit.object_group_id == obj.object_group_id, scope.unit_filter(), scope.communicable()
    )
    if session.scalar(holders.with_only_columns(func.count())):
        return
    opens = closing_date(session, scope, obj.object_group_id)
    when = f"until {opens.isoformat()}" if opens else "without an end date"
    raise Forbidden(
        f"object {obj.id} is not communicable under access contract {scope.contract_id} {when} "
        "(access rule of its archive unit)"
    )


def closing_date(session: Session, scope: AccessScope, group_id: str) -> date | None:
    """When the last access rule over the units holding this group ends (None: never known)."""
    tenant = TenantScope(session, scope.tenant)
    units = tenant.select(ArchiveUnit).where(ArchiveUnit.object_group_id == group_id)
    rules = session.execute(
        select(UnitEffectiveRule.end_date).where(
            UnitEffectiveRule.tenant_id == scope.tenant,
            UnitEffectiveRule.category == ACCESS_RULE,
            UnitEffectiveRule.unit_id.in_(units.with_only_columns(ArchiveUnit.id)),
        )
    ).scalars()
    ends = list(rules)
    if not ends or any(end is None for end in ends):
        return None
    return max(end for end in ends if end is not None)


@contextmanager
def open_object(
    platform: Platform,
    scope: AccessScope,
    object_id: str,
    operation_id: str | None = None,
) -> Iterator[tuple[DataObject, BinaryIO]]:
    """The object's row and verified bytes, once the scope allows it; the delivery is recorded."""
    with platform.database.unit_of_work() as session:
        obj, holder = visible_object(session, scope, object_id)
        check_deliverable(session, scope, obj)
    assert obj.sha512 is not None
    with platform.storage.open_verified_copy(layout.object_key(scope.tenant, obj.id), obj.sha512) as copy:
        with platform.database.unit_of_work() as session:
            TenantScope(session, scope.tenant).add(
                AccessRecord(
                    id=new_id(),
                    object_id=obj.id,
                    unit_id=holder,
                    contract=scope.contract_id,
                    agent=scope.agent,
                    operation_id=operation_id,
                    offer=copy.offer,
                    size=obj.size,
                    created=utc_now(),
                )
            )
        if copy.faults:
            record_faults(platform, scope.tenant, copy.faults, scope.agent)
        yield obj, copy.stream


def record_faults(platform: Platform, tenant: int, faults: list[CopyFault], agent: str | None) -> str:
    """Logs copies found missing or corrupt while reading, for the archivists and the next audit."""
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        operation = logbook.start(STORAGE_FAULT, agent, changes_holdings=False)
        logbook.record(
            operation.id,
            [Finding(STORAGE_FAULT, Outcome.WARNING, str(fault), target=fault.key) for fault in faults],
        )
        logbook.finish(
            operation,
            Outcome.WARNING,
            f"{len(faults)} bad cop{'y' if len(faults) == 1 else 'ies'} met while reading; "
            "served from a healthy copy: run an integrity audit with repair",
        )
        return operation.id


def access_records(session: Session, tenant: int, object_id: str | None = None) -> list[AccessRecord]:
    query = TenantScope(session, tenant).select(AccessRecord)
    if object_id:
        query = query.where(AccessRecord.object_id == object_id)
    return list(session.scalars(query.order_by(AccessRecord.created, AccessRecord.id)))
