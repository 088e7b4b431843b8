"""Running an approved request deletes the units' metadata and binaries from every offer.

What stays: a tombstone version of each unit and group on the offers, the trace of each
unit in the logbook (id, title, dates, rules, digests), its lifecycle, and the certificate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elimination_fonds import Fonds
from elimination_steps import approved, requested, run

from archipel.access.model import UnitAncestor, UnitEffectiveRule, UnitField, UnitText
from archipel.access.query import search_units
from archipel.core.errors import Conflict
from archipel.db.repository import TenantScope
from archipel.lifecycle.elimination_action import LIFECYCLE_EVENT, UNITS_OPERATION
from archipel.lifecycle.elimination_request import show_request
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.model import Operation
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup
from archipel.platform import Platform
from archipel.storage import layout

ELIMINATED = ("series.destroy", "file.a", "file.b", "file.free")


def objects_of(platform: Platform, unit_ids: list[str]) -> dict[str, str]:
    """Object id → group id of these units' objects."""
    with platform.database.unit_of_work() as session:
        scope = TenantScope(session, 1)
        groups = session.scalars(
            scope.select(ArchiveUnit)
            .where(ArchiveUnit.id.in_(unit_ids))
            .with_only_columns(ArchiveUnit.object_group_id)
        )
        wanted = [group for group in groups if group]
        return {
            obj.id: obj.object_group_id
            for obj in session.scalars(scope.select(DataObject).where(DataObject.object_group_id.in_(wanted)))
        }


def offer_file(platform: Platform, offer: int, key: str) -> Path:
    """The file on disk of a filesystem offer (the test reads the folders, not the offer's API)."""
    return Path(platform.settings.offers[offer].path) / key


def test_binaries_are_gone_from_every_offer_and_units_from_the_index_and_search(
    platform: Platform, fonds: Fonds
) -> None:
    ids = [fonds[role] for role in ELIMINATED]
    objects = objects_of(platform, ids)
    assert len(objects) == 3
    kept_objects = objects_of(platform, [fonds["shared"], fonds["recent"]])
    request_id = approved(platform, fonds)
    report = run(platform, request_id)
    assert (report.eliminated, report.objects_deleted) == (4, 3)
    for object_id in objects:
        for offer in (0, 1):
            assert not offer_file(platform, offer, layout.object_key(1, object_id)).exists()
    for object_id in kept_objects:
        for offer in (0, 1):
            assert offer_file(platform, offer, layout.object_key(1, object_id)).is_file()
    with platform.database.unit_of_work() as session:
        scope = TenantScope(session, 1)
        for model in (UnitField, UnitAncestor, UnitEffectiveRule):
            assert not list(session.scalars(scope.select(model).where(model.unit_id.in_(ids))))
        assert not list(session.scalars(scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(ids))))
        assert not list(session.scalars(scope.select(DataObject).where(DataObject.id.in_(list(objects)))))
        assert not list(
            session.scalars(scope.select(ObjectGroup).where(ObjectGroup.id.in_(set(objects.values()))))
        )
        assert not session.query(UnitText).filter(UnitText.unit_id.in_(ids)).all()
        found = search_units(session, 1, {"$query": {"$match": {"Title": "Offre"}}})
        titles = {item["Title"] for item in found.results}
    assert "Offre A" not in titles and "Offre libre" not in titles and "Offre gelée" in titles
    assert show_request(platform, 1, request_id)["status"] == "ELIMINATED"


def test_the_logbook_and_the_offers_still_prove_what_was_eliminated(platform: Platform, fonds: Fonds) -> None:
    request_id = approved(platform, fonds)
    report = run(platform, request_id)
    unit = fonds["file.a"]
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        units_operation = session.scalars(
            TenantScope(session, 1).select(Operation).where(Operation.type == UNITS_OPERATION)
        ).one()
        traces = {
            event.target: event.message
            for event in logbook.events(units_operation.id)
            if event.step == "ELIMINATION_ACTION_DELETE_UNIT"
        }
        history = lifecycle(session, 1, unit, "unit")["lifecycle"]
        action = logbook.get(report.operation_id)
    trace = json.loads(traces[unit])
    assert (trace["id"], trace["title"], trace["appraisal_rule"]) == (unit, "Offre A", "inherited")
    assert len(trace["document_sha512"]) == 128 and trace["objects"][0]["sha512"]
    assert (units_operation.outcome, action.outcome, action.status) == ("OK", "OK", "DONE")
    assert history[-1]["event"] == LIFECYCLE_EVENT and history[-1]["operation_id"] == units_operation.id
    tombstone_key = layout.unit_key(1, unit, 2)
    for offer in (0, 1):
        tombstone = json.loads(offer_file(platform, offer, tombstone_key).read_text())
        assert (
            tombstone["deleted"] and tombstone["elimination"]["document_sha512"] == trace["document_sha512"]
        )
        assert offer_file(platform, offer, layout.unit_key(1, unit, 1)).is_file()  # earlier versions stay
        certificate = offer_file(
            platform, offer, layout.operation_file_key(1, report.operation_id, "elimination-certificate.json")
        )
        assert unit in {item["id"] for item in json.loads(certificate.read_text())["units"]}
        pdf = offer_file(
            platform, offer, layout.operation_file_key(1, report.operation_id, "elimination-certificate.pdf")
        )
        assert pdf.read_bytes().startswith(b"%PDF")


def test_nothing_is_run_before_approval_nor_twice(platform: Platform, fonds: Fonds) -> None:
    request_id = requested(platform, fonds)["request_id"]
    with pytest.raises(Conflict, match="only an approved request"):
        run(platform, request_id)
    with platform.database.unit_of_work() as session:
        assert session.get(ArchiveUnit, (1, fonds["file.a"])) is not None
