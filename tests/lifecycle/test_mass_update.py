"""A mass update changes every unit a query selects, each with a new version on every offer, a
lifecycle entry saying before and after, and its index; the actions are checked against the
tenant's referentials first, and a unit the actions cannot apply to is refused alone."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from access.access_archive import Archive, ingest_archive
from support import rebuilt_from_offer
from update_support import (
    effective_rules,
    ids_query,
    lifecycle_events,
    mass_update,
    operation,
    own_rules,
    stored_document,
    stored_versions,
    unit_row,
)

from archipel.access.dip_selection import select_units
from archipel.access.scope import AccessScope
from archipel.lifecycle.mass_update import MassUpdateRequest, MassUpdateService
from archipel.lifecycle.update_actions import (
    MassUpdateRefused,
    RuleAddition,
    RuleRemoval,
    UpdateActions,
    build_actions,
)
from archipel.logbook.service import OperationLog
from archipel.platform import Platform


@pytest.fixture
def archive(platform: Platform, tmp_path: Path) -> Archive:
    return ingest_archive(platform, tmp_path)


def describe(text: str) -> UpdateActions:
    return build_actions({"Description": text}, [], [], [])


def test_sets_a_field_of_every_selected_unit_with_a_new_version_on_every_offer(
    platform: Platform, archive: Archive
) -> None:
    report = mass_update(
        platform, describe("Marchés de la direction de la voirie"), {"$roots": [archive.series]}
    )

    under = {archive.closed, archive.prevented, archive.refused}
    assert set(report.updated) == under and report.refused == [] and report.selected == 3
    for unit_id in under:
        assert stored_versions(platform, unit_id) == {"offer-1": [1, 2], "offer-2": [1, 2]}
        for offer in (0, 1):
            stored = stored_document(platform, offer, unit_id, 2)
            assert stored["content"]["Description"] == "Marchés de la direction de la voirie"
            assert stored["operation_id"] == stored_document(platform, offer, unit_id, 1)["operation_id"]
        row = unit_row(platform, unit_id)
        assert row.version == 2 and row.content["Description"] == "Marchés de la direction de la voirie"
    assert unit_row(platform, archive.series).version == 1
    assert unit_row(platform, archive.other).version == 1

    logged = operation(platform, report.operation_id)
    assert logged["type"] == "MASS_UPDATE" and logged["outcome"] == "OK" and logged["units"] == 3
    assert sorted(e["target"] for e in logged["events"] if e["code"] == "MASS_UPDATE.UPDATED.OK") == sorted(
        under
    )
    assert logged["events"][-1]["step"] == "MASS_UPDATE_FINALIZE"


def test_each_unit_lifecycle_records_the_fields_before_and_after(
    platform: Platform, archive: Archive
) -> None:
    title = unit_row(platform, archive.closed).title
    actions = build_actions({"Title": "Marché de voirie 2020 (lot 2)"}, [], [], [])
    report = mass_update(platform, actions, ids_query(archive.closed))

    entry = lifecycle_events(platform, archive.closed)[-1]
    assert entry["event"] == "LFC.MASS_UPDATE" and entry["operation_id"] == report.operation_id
    assert json.loads(entry["detail"]) == {
        "before": {"Title": title},
        "after": {"Title": "Marché de voirie 2020 (lot 2)"},
    }
    row = unit_row(platform, archive.closed)
    assert row.title == "Marché de voirie 2020 (lot 2)"
    assert stored_document(platform, 1, archive.closed, 2)["title"] == "Marché de voirie 2020 (lot 2)"


def test_the_search_index_follows_the_update(platform: Platform, archive: Archive) -> None:
    mass_update(platform, describe("travaux de chaussée"), ids_query(archive.other))

    with platform.database.unit_of_work() as session:
        found = select_units(
            session, AccessScope.operator(1), {"$query": {"$match": {"Description": "chaussée"}}}
        )
    assert found == [archive.other]


def test_unsetting_a_field_removes_it(platform: Platform, archive: Archive) -> None:
    mass_update(platform, describe("provisoire"), ids_query(archive.other))
    report = mass_update(platform, build_actions({}, ["Description"], [], []), ids_query(archive.other))

    assert report.updated == [archive.other]
    assert "Description" not in unit_row(platform, archive.other).content
    assert json.loads(lifecycle_events(platform, archive.other)[-1]["detail"]) == {
        "before": {"Description": "provisoire"},
        "after": {"Description": None},
    }


def test_a_unit_already_as_asked_is_left_alone(platform: Platform, archive: Archive) -> None:
    mass_update(platform, describe("une fois"), ids_query(archive.other))
    again = mass_update(platform, describe("une fois"), ids_query(archive.other))

    assert again.updated == [] and again.unchanged == [archive.other] and again.refused == []
    assert stored_versions(platform, archive.other)["offer-1"] == [1, 2]


def test_adding_a_rule_computes_its_end_date_and_the_units_below_inherit_it(
    platform: Platform, archive: Archive
) -> None:
    added = RuleAddition("AccessRule", "ACC-00002", date.fromisoformat("2021-06-01"))
    report = mass_update(platform, build_actions({}, [], [added], []), ids_query(archive.series))

    assert report.updated == [archive.series]
    assert ("AccessRule", "ACC-00002", "2021-06-01", "2046-06-01") in own_rules(platform, archive.series)
    assert ("ACC-00002", "2046-06-01", True) in effective_rules(platform, archive.closed)
    assert not any(rule == "ACC-00002" for rule, _, _ in effective_rules(platform, archive.prevented))
    management = unit_row(platform, archive.series).management
    assert {"Rule": "ACC-00002", "StartDate": "2021-06-01", "EndDate": "2046-06-01"} in management[
        "AccessRule"
    ]["Rules"]
    stored = stored_document(platform, 0, archive.series, 2)
    assert stored["management"] == management
    assert {
        "category": "AccessRule",
        "rule_id": "ACC-00002",
        "start_date": "2021-06-01",
        "end_date": "2046-06-01",
    } in stored["rules"]
    assert json.loads(lifecycle_events(platform, archive.series)[-1]["detail"]) == {
        "before": {"AccessRule ACC-00002": None},
        "after": {"AccessRule ACC-00002": {"start": "2021-06-01", "end": "2046-06-01"}},
    }


def test_adding_a_rule_the_unit_has_replaces_its_start_date(platform: Platform, archive: Archive) -> None:
    again = RuleAddition("AccessRule", "ACC-00003", date.fromisoformat("2022-01-01"))
    mass_update(platform, build_actions({}, [], [again], []), ids_query(archive.series))

    assert own_rules(platform, archive.series) == [("AccessRule", "ACC-00003", "2022-01-01", "2047-01-01")]
    assert effective_rules(platform, archive.closed) == [("ACC-00003", "2047-01-01", True)]
    assert json.loads(lifecycle_events(platform, archive.series)[-1]["detail"]) == {
        "before": {"AccessRule ACC-00003": {"start": "2020-01-01", "end": "2045-01-01"}},
        "after": {"AccessRule ACC-00003": {"start": "2022-01-01", "end": "2047-01-01"}},
    }


def test_removing_a_rule_opens_the_units_that_inherited_it(platform: Platform, archive: Archive) -> None:
    removal = RuleRemoval("AccessRule", "ACC-00003")
    report = mass_update(
        platform, build_actions({}, [], [], [removal]), ids_query(archive.series, archive.other)
    )

    assert report.updated == [archive.series]
    assert report.refused == [(archive.other, "it declares no AccessRule ACC-00003 to remove")]
    assert own_rules(platform, archive.series) == []
    assert effective_rules(platform, archive.closed) == []
    assert "AccessRule" not in unit_row(platform, archive.series).management
    logged = operation(platform, report.operation_id)
    assert logged["outcome"] == "WARNING"
    assert [e["target"] for e in logged["events"] if e["code"] == "MASS_UPDATE.REFUSED.KO"] == [archive.other]


def test_a_rule_cannot_be_added_where_seda_requires_what_the_unit_lacks(
    platform: Platform, archive: Archive
) -> None:
    appraisal = RuleAddition("AppraisalRule", "APP-00001", date.fromisoformat("2020-01-01"))
    report = mass_update(platform, build_actions({}, [], [appraisal], []), ids_query(archive.other))

    assert report.updated == []
    assert report.refused == [
        (archive.other, "AppraisalRule APP-00001 cannot be added: its AppraisalRule block has no FinalAction")
    ]
    assert operation(platform, report.operation_id)["outcome"] == "KO"
    assert stored_versions(platform, archive.other)["offer-1"] == [1]


@pytest.mark.parametrize(
    ("actions", "reason"),
    [
        (build_actions({"NumeroDossier": "12"}, [], [], []), "NumeroDossier: not a field of archive units"),
        (build_actions({"StartDate": "hier"}, [], [], []), "StartDate 'hier' is not of type DATE"),
        (build_actions({}, ["Title"], [], []), "Title: mandatory in SEDA, it cannot be unset"),
        (
            build_actions(
                {}, [], [RuleAddition("AccessRule", "ACC-99999", date.fromisoformat("2020-01-01"))], []
            ),
            "AccessRule ACC-99999: not in the rules referential of tenant 1",
        ),
        (
            build_actions(
                {}, [], [RuleAddition("AccessRule", "APP-00001", date.fromisoformat("2020-01-01"))], []
            ),
            "rule APP-00001 is a AppraisalRule, not a AccessRule",
        ),
        (
            build_actions({}, [], [], [RuleRemoval("HoldRule", "HOL-00001")]),
            "holds are placed and released by the hold operations",
        ),
    ],
    ids=["unknown-field", "wrong-type", "mandatory-field", "unknown-rule", "wrong-category", "hold"],
)
def test_refuses_actions_the_referentials_do_not_allow_and_leaves_no_trace(
    platform: Platform, archive: Archive, actions: UpdateActions, reason: str
) -> None:
    request = MassUpdateRequest(AccessScope.operator(1), ids_query(archive.series), actions)
    with platform.database.unit_of_work() as session:
        before = len(OperationLog(session, 1).operations(limit=1000))

    with pytest.raises(MassUpdateRefused) as refused:
        MassUpdateService(platform).submit(request)

    assert reason in refused.value.message
    with platform.database.unit_of_work() as session:
        assert len(OperationLog(session, 1).operations(limit=1000)) == before
    assert unit_row(platform, archive.series).version == 1


def test_every_fault_of_the_actions_is_named_at_once(platform: Platform, archive: Archive) -> None:
    actions = build_actions(
        {"NumeroDossier": "12", "StartDate": "hier"},
        [],
        [RuleAddition("AccessRule", "ACC-99999", date.fromisoformat("2020-01-01"))],
        [],
    )
    with pytest.raises(MassUpdateRefused) as refused:
        MassUpdateService(platform).submit(MassUpdateRequest(AccessScope.operator(1), {}, actions))
    assert len(refused.value.reasons) == 3


def test_batches_commit_one_after_another_in_one_operation(platform: Platform, archive: Archive) -> None:
    report = mass_update(platform, describe("par lots"), {"$query": {"$exists": "Title"}}, batch=2)

    assert len(report.updated) == 5
    logged = operation(platform, report.operation_id)
    assert [e["step"] for e in logged["events"]].count("STP_STORAGE") == 3
    assert logged["units"] == 5 and logged["outcome"] == "OK"


def test_a_query_selecting_nothing_ends_ko(platform: Platform, archive: Archive) -> None:
    report = mass_update(platform, describe("rien"), {"$query": {"$eq": {"Title": "aucun"}}})

    assert report.selected == 0
    assert operation(platform, report.operation_id)["outcome"] == "KO"


def test_another_tenants_units_are_never_selected(
    platform: Platform, archive: Archive, tmp_path: Path
) -> None:
    (tmp_path / "b").mkdir()
    theirs = ingest_archive(platform, tmp_path / "b", tenant=2)
    report = mass_update(platform, describe("chez nous"), ids_query(archive.other, theirs.other))

    assert report.updated == [archive.other]
    assert unit_row(platform, theirs.other, tenant=2).version == 1


def test_rebuild_from_an_offer_gives_the_updated_units_back(
    platform: Platform, archive: Archive, tmp_path: Path
) -> None:
    added = RuleAddition("AccessRule", "ACC-00002", date.fromisoformat("2021-06-01"))
    mass_update(
        platform, build_actions({"Description": "refait"}, [], [added], []), ids_query(archive.series)
    )
    expected = (unit_row(platform, archive.series).content, own_rules(platform, archive.series))
    inherited = effective_rules(platform, archive.closed)

    with rebuilt_from_offer(platform, tmp_path, tenant=1) as rebuilt:  # the test wrote no tenant documents
        assert (unit_row(rebuilt, archive.series).content, own_rules(rebuilt, archive.series)) == expected
        assert unit_row(rebuilt, archive.series).version == 2
        assert effective_rules(rebuilt, archive.closed) == inherited
