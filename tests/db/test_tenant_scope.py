"""Every repository query starts from the tenant scope: another tenant's rows are invisible."""

from __future__ import annotations

import pytest

from archipel.core.clock import utc_now
from archipel.core.errors import NotFound
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform


def _unit(unit_id: str) -> ArchiveUnit:
    return ArchiveUnit(
        id=unit_id,
        operation_id=new_id(),
        title="Délibération",
        content={},
        management={},
        created=utc_now(),
        version=1,
    )


def test_a_unit_of_tenant_2_is_not_found_through_tenant_1(platform: Platform) -> None:
    unit_id = new_id()
    with platform.database.unit_of_work() as session:
        TenantScope(session, 2).add(_unit(unit_id))
    with platform.database.unit_of_work() as session:
        assert UnitRepository(session, 2).unit(unit_id).id == unit_id
        assert UnitRepository(session, 1).find_unit(unit_id) is None
        assert UnitRepository(session, 1).units() == []
        with pytest.raises(NotFound, match="tenant 1"):
            UnitRepository(session, 1).unit(unit_id)


def test_an_operation_of_tenant_2_is_not_found_through_tenant_1(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        operation_id = OperationLog(session, 2).start("INGEST").id
    with platform.database.unit_of_work() as session:
        assert operation_id not in [operation.id for operation in OperationLog(session, 1).operations()]
        with pytest.raises(NotFound):
            OperationLog(session, 1).get(operation_id)


def test_adding_a_row_of_another_tenant_through_a_scope_is_refused(platform: Platform) -> None:
    unit = _unit(new_id())
    unit.tenant_id = 2
    with platform.database.unit_of_work() as session, pytest.raises(ValueError, match="tenant 2"):
        TenantScope(session, 1).add(unit)


def test_bulk_inserts_are_stamped_with_the_scope_tenant(platform: Platform) -> None:
    unit_id = new_id()
    row = {
        "id": unit_id,
        "operation_id": new_id(),
        "title": "x",
        "content": {},
        "management": {},
        "created": utc_now(),
        "version": 1,
    }
    with platform.database.unit_of_work() as session:
        TenantScope(session, 1).insert_many(ArchiveUnit, [row])
    with platform.database.unit_of_work() as session:
        assert UnitRepository(session, 1).unit(unit_id).tenant_id == 1
        assert UnitRepository(session, 2).find_unit(unit_id) is None
