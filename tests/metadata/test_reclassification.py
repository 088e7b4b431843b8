"""Reclassification attaches archive units under other parents and detaches them, as logged operations.

Each call writes the unit's next document version to every offer (its `parents` are what a
rebuild reads back), logs one operation and one lifecycle entry for the unit, and re-indexes
the unit and all below it: ancestors and inherited rules follow the new place. A refused
call leaves no trace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from metadata.reclassification_fonds import (
    HEADER,
    SERIES_RULE,
    Fonds,
    ancestors,
    foreign_node,
    make_fonds,
    rules_with_origin,
)
from test_tree import document

from archipel.core.errors import Conflict, NotFound
from archipel.db.repository import TenantScope
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.model import LifecycleEntry
from archipel.logbook.service import OperationLog, OperationView
from archipel.metadata import service as metadata
from archipel.metadata.reclassification import (
    LIFECYCLE_EVENT,
    OPERATION,
    ReclassificationRefused,
    reclassify,
)
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree


@pytest.fixture
def fonds(platform: Platform, tmp_path: Path) -> Fonds:
    return make_fonds(platform, tmp_path)


def place(platform: Platform, unit_id: str, tenant: int = 1) -> tuple[int, list[str]]:
    """The unit's version and parents in the index."""
    with platform.database.unit_of_work() as session:
        detail = metadata.unit_detail(session, tenant, unit_id)
    return detail["version"], detail["parents"]


def reclassifications(platform: Platform, tenant: int = 1) -> list[dict[str, Any]]:
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        found = logbook.operations(type_=OPERATION)
        return [OperationView(operation, logbook.events(operation.id)).as_dict() for operation in found]


# -- attach, detach, move ------------------------------------------------------------------------


def test_attaching_a_second_parent_puts_the_unit_and_all_below_it_under_both(
    platform: Platform, fonds: Fonds
) -> None:
    series, closed, nodes = fonds.archive.series, fonds.archive.closed, fonds.nodes
    first = reclassify(platform, 1, series, attach=[nodes["M.1"]], agent="test")
    assert (first.unit_id, first.version, first.parents) == (series, 2, [nodes["M.1"]])
    second = reclassify(platform, 1, series, attach=[nodes["A"]])
    assert sorted(second.parents) == sorted([nodes["M.1"], nodes["A"]])
    assert place(platform, series) == (3, sorted([nodes["A"], nodes["M.1"]]))
    assert ancestors(platform, 1, series) == {nodes["M"], nodes["M.1"], nodes["A"]}
    assert ancestors(platform, 1, closed) == {series, nodes["M"], nodes["M.1"], nodes["A"]}
    assert second.as_dict() == {
        "unit": series,
        "parents": second.parents,
        "operation_id": second.operation_id,
        "version": 3,
    }


def test_detaching_one_parent_keeps_the_other_and_the_ancestors_below_follow(
    platform: Platform, fonds: Fonds
) -> None:
    series, closed, nodes = fonds.archive.series, fonds.archive.closed, fonds.nodes
    reclassify(platform, 1, series, attach=[nodes["M.1"], nodes["A"]])
    change = reclassify(platform, 1, series, detach=[nodes["M.1"]])
    assert change.parents == [nodes["A"]] and place(platform, series) == (3, [nodes["A"]])
    assert ancestors(platform, 1, closed) == {series, nodes["A"]}
    reclassify(platform, 1, series, detach=[nodes["A"]])  # no parent left: the series is a root again
    assert place(platform, series) == (4, []) and ancestors(platform, 1, closed) == {series}


def test_a_move_detaches_and_attaches_in_one_operation_and_the_inherited_rules_follow(
    platform: Platform, fonds: Fonds
) -> None:
    archive = fonds.archive
    assert rules_with_origin(platform, 1, archive.closed) == {(SERIES_RULE, archive.series)}
    assert rules_with_origin(platform, 1, archive.other) == set()

    moved = reclassify(platform, 1, archive.closed, attach=[archive.other], detach=[archive.series])
    assert moved.parents == [archive.other]  # a file under another file
    assert rules_with_origin(platform, 1, archive.closed) == set()  # out of the series: rule lost

    reclassify(platform, 1, archive.other, attach=[archive.series])
    assert rules_with_origin(platform, 1, archive.other) == {(SERIES_RULE, archive.series)}
    assert rules_with_origin(platform, 1, archive.closed) == {(SERIES_RULE, archive.series)}  # and below
    assert ancestors(platform, 1, archive.closed) == {archive.other, archive.series}
    assert len(reclassifications(platform)) == 2


# -- what is kept --------------------------------------------------------------------------------


def test_the_new_version_is_on_every_offer_and_the_first_is_kept(platform: Platform, fonds: Fonds) -> None:
    archive = fonds.archive
    change = reclassify(platform, 1, archive.closed, attach=[fonds.nodes["A"]])
    first, second = document(platform, 1, archive.closed, 1), document(platform, 1, archive.closed, 2)
    assert [copy["parents"] for copy in first] == [[archive.series]] * 2
    assert second[0] == second[1]  # what `archipel rebuild` reads back from either offer
    assert second[0]["parents"] == sorted([archive.series, fonds.nodes["A"]]) == change.parents
    assert second[0]["lifecycle"][-1]["event"] == LIFECYCLE_EVENT
    assert second[0]["lifecycle"][-1]["operation_id"] == change.operation_id


def test_the_operation_and_one_lifecycle_entry_record_the_parents_before_and_after(
    platform: Platform, fonds: Fonds
) -> None:
    archive, node = fonds.archive, fonds.nodes["A"]
    change = reclassify(platform, 1, archive.closed, attach=[node], detach=[archive.series], agent="test")
    [operation] = reclassifications(platform)
    assert (operation["id"], operation["outcome"], operation["agent"]) == (change.operation_id, "OK", "test")
    assert "RECLASSIFICATION.UNIT_GRAPH_UPDATE.OK" in {event["code"] for event in operation["events"]}
    with platform.database.unit_of_work() as session:
        query = TenantScope(session, 1).select(LifecycleEntry)
        entries = list(session.scalars(query.where(LifecycleEntry.operation_id == change.operation_id)))
        last = lifecycle(session, 1, archive.closed)["lifecycle"][-1]
    assert [(entry.subject_id, entry.event) for entry in entries] == [(archive.closed, LIFECYCLE_EVENT)]
    assert json.loads(last["detail"]) == {"parents_before": [archive.series], "parents_after": [node]}
    assert last["chain"] is not None  # sealed in the tenant's chain of unit lifecycles


# -- refusals leave no trace ---------------------------------------------------------------------


def assert_untouched(platform: Platform, fonds: Fonds) -> None:
    archive = fonds.archive
    assert place(platform, archive.series) == (1, [])
    assert place(platform, archive.closed) == (1, [archive.series])
    assert reclassifications(platform) == []


@pytest.mark.parametrize("below", ["series", "closed"])
def test_refuses_to_attach_a_unit_under_itself_or_below_it(
    platform: Platform, fonds: Fonds, below: str
) -> None:
    with pytest.raises(Conflict, match="cycle"):
        reclassify(platform, 1, fonds.archive.series, attach=[getattr(fonds.archive, below)])
    assert_untouched(platform, fonds)


def test_a_parent_or_unit_of_another_tenant_is_not_found(platform: Platform, fonds: Fonds) -> None:
    other_node = foreign_node(platform)
    for attach, detach in (([other_node], []), ([], [other_node]), (["no-such-unit"], [])):
        with pytest.raises(NotFound, match="not found in tenant 1"):
            reclassify(platform, 1, fonds.archive.closed, attach=attach, detach=detach)
    with pytest.raises(NotFound):
        reclassify(platform, 2, fonds.archive.closed, attach=[other_node])
    assert_untouched(platform, fonds)


def test_refuses_detaching_a_parent_the_unit_does_not_have_and_attaching_one_it_has(
    platform: Platform, fonds: Fonds
) -> None:
    archive = fonds.archive
    with pytest.raises(ReclassificationRefused, match="is not under"):
        reclassify(platform, 1, archive.closed, detach=[archive.other])
    with pytest.raises(ReclassificationRefused, match="already under"):
        reclassify(platform, 1, archive.closed, attach=[archive.series])
    with pytest.raises(ReclassificationRefused, match="nothing to do"):
        reclassify(platform, 1, archive.closed)
    with pytest.raises(ReclassificationRefused, match="both"):
        reclassify(platform, 1, archive.closed, attach=[archive.other], detach=[archive.other])
    assert_untouched(platform, fonds)


def test_refuses_a_parent_the_unit_type_may_not_go_under(platform: Platform, fonds: Fonds) -> None:
    plan = import_filing_tree(platform, 1, (HEADER + "P,,Plan,Series,\n").encode("utf-8"), plan=True)
    with pytest.raises(ReclassificationRefused, match="FILING_UNIT node cannot go under a INGEST unit"):
        reclassify(platform, 1, fonds.nodes["A"], attach=[fonds.archive.series])
    with pytest.raises(ReclassificationRefused, match="HOLDING_UNIT node cannot go under a FILING_UNIT"):
        reclassify(platform, 1, plan.nodes["P"], attach=[fonds.nodes["A"]])
    assert place(platform, fonds.nodes["A"]) == (1, []) and reclassifications(platform) == []
    reclassify(platform, 1, fonds.nodes["A"], attach=[plan.nodes["P"]])  # a filing tree under a plan
    assert place(platform, fonds.nodes["A"]) == (2, [plan.nodes["P"]])
