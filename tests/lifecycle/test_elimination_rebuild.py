"""A rebuild of the index from an offer after an elimination does not bring the eliminated archives back."""

from __future__ import annotations

from pathlib import Path

from elimination_fonds import Fonds
from elimination_steps import approved, run
from support import rebuilt_from_offer

from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup
from archipel.platform import Platform

ELIMINATED = ("series.destroy", "file.a", "file.b", "file.free")


def _eliminated_state(platform: Platform, fonds: Fonds) -> tuple[str, set[str], set[str], set[str]]:
    with platform.database.unit_of_work() as session:
        scope = TenantScope(session, 1)
        groups = {
            unit.object_group_id
            for unit in session.scalars(
                scope.select(ArchiveUnit).where(ArchiveUnit.id.in_([fonds[r] for r in ELIMINATED]))
            )
            if unit.object_group_id
        }
        query = scope.select(DataObject).where(DataObject.object_group_id.in_(groups))
        objects = {obj.id for obj in session.scalars(query)}
    return approved(platform, fonds), {fonds[role] for role in ELIMINATED}, groups, objects


def test_rebuild_does_not_resurrect_eliminated_units_nor_their_objects(
    platform: Platform, fonds: Fonds, tmp_path: Path
) -> None:
    request_id, units, _groups, objects = _eliminated_state(platform, fonds)
    run(platform, request_id)
    with rebuilt_from_offer(platform, tmp_path) as instance, instance.database.unit_of_work() as session:
        scope = TenantScope(session, 1)
        present = set(session.scalars(scope.select(ArchiveUnit).with_only_columns(ArchiveUnit.id)))
        assert not units & present and fonds["file.held"] in present and fonds["copy"] in present
        assert not set(session.scalars(scope.select(DataObject).where(DataObject.id.in_(objects))))


def test_rebuild_does_not_resurrect_eliminated_object_groups(
    platform: Platform, fonds: Fonds, tmp_path: Path
) -> None:
    request_id, _units, groups, _objects = _eliminated_state(platform, fonds)
    run(platform, request_id)
    with rebuilt_from_offer(platform, tmp_path) as instance, instance.database.unit_of_work() as session:
        query = TenantScope(session, 1).select(ObjectGroup).where(ObjectGroup.id.in_(groups))
        assert not list(session.scalars(query))
