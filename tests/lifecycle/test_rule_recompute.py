"""A rule made longer in the referential moves the end dates of the units using it — their own
and those they pass down the tree — in a new document version, logged in each unit's
lifecycle, and communicability follows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from access.access_archive import Archive, add_access_contract, ingest_archive
from update_support import (
    Cli,
    effective_rules,
    lifecycle_events,
    operations_of_type,
    own_rules,
    rules_file,
    stored_document,
    stored_versions,
    unit_row,
)

from archipel.access.scope import open_scope
from archipel.access.service import unit_view
from archipel.lifecycle.rule_recompute import RuleRecomputeService
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

OPERATION = "UPDATE_RULES_ARCHIVE_UNITS"


@pytest.fixture
def archive(platform: Platform, tmp_path: Path) -> Archive:
    return ingest_archive(platform, tmp_path)


def import_rules(platform: Platform, data: bytes, tenant: int = 1) -> None:
    """Imports the rules file, then waits for the recompute it submits (workers are joined, not polled)."""
    ReferentialService(platform).import_file(tenant, "rules", data, agent="test")
    platform.tasks.shutdown(wait=True)


def test_a_longer_duration_moves_own_and_inherited_end_dates_after_the_import(
    platform: Platform, archive: Archive
) -> None:
    import_rules(platform, rules_file(ACC_00003=50))

    assert own_rules(platform, archive.series) == [("AccessRule", "ACC-00003", "2020-01-01", "2070-01-01")]
    assert effective_rules(platform, archive.closed) == [("ACC-00003", "2070-01-01", True)]
    assert effective_rules(platform, archive.refused) == []  # it refuses ACC-00003 (RefNonRuleId)
    entry = {"Rule": "ACC-00003", "StartDate": "2020-01-01", "EndDate": "2070-01-01"}
    assert unit_row(platform, archive.series).management["AccessRule"]["Rules"] == [entry]

    [recompute] = operations_of_type(platform, OPERATION)
    assert recompute["outcome"] == "OK" and recompute["units"] == 1
    assert [e["target"] for e in recompute["events"] if e["code"] == f"{OPERATION}.UPDATED.OK"] == [
        archive.series
    ]
    change = lifecycle_events(platform, archive.series)[-1]
    assert change["event"] == "LFC.UPDATE_UNIT_RULES" and change["operation_id"] == recompute["id"]
    assert json.loads(change["detail"]) == {
        "before": {"AccessRule ACC-00003": {"start": "2020-01-01", "end": "2045-01-01"}},
        "after": {"AccessRule ACC-00003": {"start": "2020-01-01", "end": "2070-01-01"}},
    }


def test_the_new_dates_are_a_new_version_on_every_offer(platform: Platform, archive: Archive) -> None:
    import_rules(platform, rules_file(ACC_00003=50))

    assert stored_versions(platform, archive.series) == {"offer-1": [1, 2], "offer-2": [1, 2]}
    for offer in (0, 1):
        first, second = (stored_document(platform, offer, archive.series, v) for v in (1, 2))
        assert first["rules"][0]["end_date"] == "2045-01-01"  # never rewritten
        assert second["rules"] == [
            {
                "category": "AccessRule",
                "rule_id": "ACC-00003",
                "start_date": "2020-01-01",
                "end_date": "2070-01-01",
            }
        ]
        assert second["management"]["AccessRule"]["Rules"][0]["EndDate"] == "2070-01-01"
    assert stored_versions(platform, archive.closed)["offer-1"] == [1]  # it only inherits: nothing of its own


def test_communicability_follows_the_longer_rule(platform: Platform, archive: Archive) -> None:
    contract = add_access_contract(platform, "AC-PUBLIC", RuleCategoryToFilter=["AccessRule"])

    def communicable(unit_id: str) -> bool:
        with platform.database.unit_of_work() as session:
            return unit_view(session, open_scope(session, 1, contract), unit_id)["communicable"]

    assert communicable(archive.prevented)  # ACC-00001: 0 years from 2000
    import_rules(platform, rules_file(ACC_00001=100))

    assert own_rules(platform, archive.prevented) == [("AccessRule", "ACC-00001", "2000-01-01", "2100-01-01")]
    assert not communicable(archive.prevented)


def test_an_import_changing_no_duration_starts_nothing(platform: Platform, archive: Archive) -> None:
    import_rules(platform, rules_file().replace(b"Libre communicabilit", b"Communicabilit"))

    assert operations_of_type(platform, OPERATION) == []
    assert unit_row(platform, archive.series).version == 1


def test_the_recompute_is_idempotent(platform: Platform, archive: Archive) -> None:
    import_rules(platform, rules_file(ACC_00003=50))
    service = RuleRecomputeService(platform)

    assert service.submit(1) is None  # every unit follows the referential already
    assert unit_row(platform, archive.series).version == 2


def test_another_tenants_units_keep_their_dates(platform: Platform, archive: Archive, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    theirs = ingest_archive(platform, tmp_path / "b", tenant=2)
    import_rules(platform, rules_file(ACC_00003=50), tenant=1)

    assert own_rules(platform, theirs.series, tenant=2) == [
        ("AccessRule", "ACC-00003", "2020-01-01", "2045-01-01")
    ]
    assert operations_of_type(platform, OPERATION, tenant=2) == []


def test_rules_recompute_command_does_what_is_left(
    platform: Platform, archive: Archive, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(platform, capsys, monkeypatch)
    assert cli.json("rules", "recompute", "--tenant", "1") == {
        "operation_id": None,
        "updated": 0,
        "refused": [],
    }
    platform.tasks.shutdown(wait=True)  # no worker left: the recompute the import submits cannot run
    ReferentialService(platform).import_file(1, "rules", rules_file(ACC_00003=50), agent="test")
    assert own_rules(platform, archive.series)[0][3] == "2045-01-01"  # the import is done all the same

    report = cli.json("rules", "recompute", "--tenant", "1")

    assert report["updated"] == 1 and report["refused"] == []
    assert own_rules(platform, archive.series) == [("AccessRule", "ACC-00003", "2020-01-01", "2070-01-01")]
