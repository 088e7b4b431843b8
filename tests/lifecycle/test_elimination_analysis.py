"""An elimination analysis judges every unit a query selects: destroyable, or kept with the reason.

It changes nothing: it is an operation of the logbook naming each unit's verdict, each
unit's lifecycle records it, and its result is kept for the request that may follow.
"""

from __future__ import annotations

import json
from datetime import date

from elimination_fonds import HOLD, RULE, Fonds

from archipel.db.repository import TenantScope
from archipel.lifecycle.elimination_analysis import LIFECYCLE_EVENT, OPERATION, EliminationAnalysisService
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform
from archipel.storage import layout

DAY = date(2026, 1, 1)


def analyse(platform: Platform, fonds: Fonds, day: date = DAY) -> dict:
    service = EliminationAnalysisService(platform)
    return service.run(1, service.submit(1, json.loads(fonds.query), day, agent="test"))


def test_each_unit_is_destroyable_or_kept_with_its_reason(platform: Platform, fonds: Fonds) -> None:
    result = analyse(platform, fonds)
    assert sorted(result["destroyable"]) == sorted(
        fonds[role] for role in ("series.destroy", "file.a", "file.b", "file.free")
    )
    kept = {item["id"]: item for item in result["kept"]}
    codes = {
        role: kept[fonds[role]]["code"]
        for role in ("series.held", "file.held", "keep", "recent", "shared", "copy", "norule")
    }
    assert codes == {
        "series.held": "KEPT_DESCENDANT",
        "file.held": "HOLD",
        "keep": "FINAL_ACTION_KEEP",
        "recent": "RULE_NOT_ENDED",
        "shared": "SHARED_OBJECT_GROUP",
        "copy": "FINAL_ACTION_KEEP",
        "norule": "NO_APPRAISAL_RULE",
    }
    assert HOLD in kept[fonds["file.held"]]["reason"] and "no end date" in kept[fonds["file.held"]]["reason"]
    assert fonds["file.held"] in kept[fonds["series.held"]]["reason"]
    assert "2029-01-01" in kept[fonds["recent"]]["reason"] and RULE in kept[fonds["recent"]]["reason"]
    assert fonds["copy"] in kept[fonds["shared"]]["reason"]


def test_at_an_earlier_date_the_rule_has_not_ended(platform: Platform, fonds: Fonds) -> None:
    result = analyse(platform, fonds, date(2014, 12, 31))
    assert result["destroyable"] == []
    reasons = {item["id"]: item["code"] for item in result["kept"]}
    assert reasons[fonds["file.a"]] == reasons[fonds["series.destroy"]] == "RULE_NOT_ENDED"


def test_the_analysis_is_logged_per_unit_changes_nothing_and_goes_to_the_offers(
    platform: Platform, fonds: Fonds
) -> None:
    result = analyse(platform, fonds)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.get(result["operation_id"])
        events = logbook.events(operation.id)
        versions = {
            unit.id: unit.version for unit in session.scalars(TenantScope(session, 1).select(ArchiveUnit))
        }
        history = lifecycle(session, 1, fonds["file.held"], "unit")["lifecycle"]
    assert (operation.type, operation.outcome, operation.units) == (OPERATION, "OK", 11)
    by_unit = {event.target: event.code for event in events if event.target}
    assert by_unit[fonds["file.a"]] == "ELIMINATION_ANALYSIS_UNIT.DESTROYABLE.OK"
    assert by_unit[fonds["file.held"]] == "ELIMINATION_ANALYSIS_UNIT.KEPT.HOLD.OK"
    assert set(versions.values()) == {1}
    assert history[-1]["event"] == LIFECYCLE_EVENT and '"HOLD"' in history[-1]["detail"]
    key = layout.operation_file_key(1, result["operation_id"], "elimination-analysis.json")
    for offer in platform.storage.offers:
        with offer.open(key) as stream:
            assert json.loads(stream.read())["destroyable"] == result["destroyable"]
