"""A unit's probative-value report and evidence bundle, exported from an instance (both engines)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from logbook_support import ingest, tamper

from archipel.access.scope import AccessScope
from archipel.logbook import chain
from archipel.logbook.bundle import export_bundle
from archipel.logbook.evidence import Evidence
from archipel.logbook.lifecycle import UNIT, lifecycle
from archipel.logbook.merkle import verify_entry_proof
from archipel.logbook.securing import secure
from archipel.logbook.verifier import verify_bundle
from archipel.metadata.model import DataObject
from archipel.metadata.repository import UnitRepository
from archipel.metadata.tree import rename_node
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree
from archipel.storage import layout


def unit_with_object(platform: Platform, secured: bool = True) -> tuple[str, str]:
    """(unit id, ingest operation id) of a unit holding a binary, ingested (and secured) in tenant 1."""
    operation_id = ingest(platform)
    if secured:
        secure(platform, 1)
    with platform.database.unit_of_work() as session:
        units = UnitRepository(session, 1).units(operation_id=operation_id)
        return next(unit.id for unit in units if unit.object_group_id), operation_id


def export(platform: Platform, unit_id: str, target: Path, scope: AccessScope | None = None) -> Evidence:
    return export_bundle(platform, scope or AccessScope.operator(1, "test"), unit_id, target)


def failed(checks: list[dict[str, Any]]) -> dict[str, str]:
    """Name → detail of the checks that did not hold."""
    return {check["name"]: check["detail"] for check in checks if not check["ok"]}


def the_object(platform: Platform, unit_id: str) -> DataObject:
    with platform.database.unit_of_work() as session:
        repository = UnitRepository(session, 1)
        (obj,) = repository.objects_of(repository.unit(unit_id).object_group_id)
        return obj


def test_a_secured_unit_is_exported_with_every_check_holding_and_verifies_offline(
    platform: Platform, tmp_path: Path
) -> None:
    unit_id, operation_id = unit_with_object(platform)
    target = tmp_path / "bundle.zip"
    evidence = export(platform, unit_id, target)
    assert evidence.ok, failed(evidence.checks)
    report, obj = evidence.report, the_object(platform, unit_id)
    with platform.database.unit_of_work() as session:
        unit = UnitRepository(session, 1).unit(unit_id)
        sealed = chain.link_of(session, 1, chain.OPERATIONS, operation_id)
    assert report["schema"] == "archipel:probative-report:1"
    assert (
        report["unit"]["title"],
        report["unit"]["originating_agency"],
        report["ingest"]["operation_id"],
    ) == (
        unit.title,
        unit.originating_agency,
        operation_id,
    )
    (item,) = report["objects"]
    assert item["sha512_database"] == item["sha512_document"] == obj.sha512
    assert [(copy["offer"], copy["sha512"]) for copy in item["copies"]] == [
        ("offer-1", obj.sha512),
        ("offer-2", obj.sha512),
    ]
    assert [(entry["role"], entry["event"]) for entry in report["entries"]] == [
        ("ingest operation", "INGEST"),
        ("unit lifecycle", "LFC.INGEST"),
        ("object group lifecycle", "LFC.INGEST"),
    ]
    assert sealed is not None and report["entries"][0]["link"]["hash"] == sealed.hash
    for entry in report["entries"]:
        assert entry["securing"] == 1 and verify_entry_proof(entry["proof"], entry["link"]["hash"])
    assert report["securings"][0]["timestamp"]["authority"] == "local"
    with zipfile.ZipFile(target) as bundle:
        assert {
            "README.txt",
            "report.json",
            "report.pdf",
            "unit/000001.json",
            "object-group/000001.json",
            "ingest/manifest.xml",
            "ingest/reply.xml",
            "logbook/securings/000001.json",
            "logbook/securings/000001.tsr",
            "tsa/tsa-certificates.pem",
            "Content/SHA512SUMS",
            item["file"],
        } <= set(bundle.namelist())
        assert hashlib.sha512(bundle.read(item["file"])).hexdigest() == obj.sha512
        assert bundle.read("report.pdf").startswith(b"%PDF-")
        assert json.loads(bundle.read("report.json"))["unit"]["id"] == unit_id
    verdict = verify_bundle(target)
    assert verdict.ok, verdict.failed()


def test_a_unit_whose_entries_are_not_secured_yet_says_so_plainly(platform: Platform, tmp_path: Path) -> None:
    unit_id, _ = unit_with_object(platform, secured=False)
    target = tmp_path / "bundle.zip"
    evidence = export(platform, unit_id, target)
    assert not evidence.ok
    faults = failed(evidence.checks)
    assert list(faults) == ["secured"]
    assert (
        "not secured yet" in faults["secured"] and "archipel logbook secure --tenant 1" in faults["secured"]
    )
    assert [check.name for check in verify_bundle(target).failed()] == ["secured"]


@pytest.mark.parametrize("row", ["unit lifecycle entry", "ingest event"])
def test_a_logbook_row_changed_in_the_database_before_export_is_caught(
    platform: Platform, tmp_path: Path, row: str
) -> None:
    unit_id, operation_id = unit_with_object(platform)
    if row == "unit lifecycle entry":
        with platform.database.unit_of_work() as session:
            changed = lifecycle(session, 1, unit_id, UNIT)["lifecycle"][0]["id"]
        tamper(platform, "UPDATE lifecycle_entries SET outcome = 'KO' WHERE id = :id", id=changed)
    else:
        changed = operation_id
        tamper(platform, "UPDATE logbook_events SET message = 'forged' WHERE operation_id = :id", id=changed)
    target = tmp_path / "bundle.zip"
    evidence = export(platform, unit_id, target)
    faults = failed(evidence.checks)
    entry = next(name for name in faults if name.startswith(f"entry {changed} "))
    assert "changed after it was sealed" in faults[entry]
    assert set(faults) == {entry, f"proof {changed}"}  # its hash, recomputed, no longer leads to the root
    assert {check.name for check in verify_bundle(target).failed()} == set(faults)


def test_a_copy_altered_on_one_offer_is_reported_and_the_intact_one_bundled(
    platform: Platform, tmp_path: Path
) -> None:
    unit_id, _ = unit_with_object(platform)
    obj = the_object(platform, unit_id)
    damaged = platform.storage.offers[1].root / layout.object_key(1, obj.id)  # type: ignore[attr-defined]
    damaged.write_bytes(b"rot" + damaged.read_bytes()[3:])
    target = tmp_path / "bundle.zip"
    evidence = export(platform, unit_id, target)
    assert list(failed(evidence.checks)) == [f"copy of binary {obj.id} on offer-2"]
    with zipfile.ZipFile(target) as bundle:
        assert hashlib.sha512(bundle.read(evidence.report["objects"][0]["file"])).hexdigest() == obj.sha512
    assert verify_bundle(target).ok  # what an offline reader can see is intact


def test_an_object_no_offer_holds_intact_is_left_out_and_named(platform: Platform, tmp_path: Path) -> None:
    unit_id, _ = unit_with_object(platform)
    obj = the_object(platform, unit_id)
    for offer in platform.storage.offers:
        (offer.root / layout.object_key(1, obj.id)).write_bytes(b"lost")  # type: ignore[attr-defined]
    target = tmp_path / "bundle.zip"
    evidence = export(platform, unit_id, target)
    binary = f"binary {obj.id} (BinaryMaster_1)"
    faults = failed(evidence.checks)
    assert set(faults) == {
        binary,
        f"copy of binary {obj.id} on offer-1",
        f"copy of binary {obj.id} on offer-2",
    }
    assert "no offer holds a copy with the SHA-512 recorded at ingest" in faults[binary]
    with zipfile.ZipFile(target) as bundle:
        assert not any(name.startswith("Content/") for name in bundle.namelist())
    assert [check.name for check in verify_bundle(target).failed()] == [binary]


def test_a_renamed_tree_node_shows_every_version_and_each_securing(
    platform: Platform, tmp_path: Path
) -> None:
    tree = "id,parent id,title,level,description\n1,,Administration générale,Series,\n"
    node = import_filing_tree(platform, 1, tree.encode("utf-8")).nodes["1"]
    secure(platform, 1)
    rename_node(platform, 1, node, "Administration générale et finances")
    secure(platform, 1)
    target = tmp_path / "bundle.zip"
    evidence = export(platform, node, target)
    assert evidence.ok, failed(evidence.checks)
    report = evidence.report
    assert [document["version"] for document in report["unit"]["documents"]] == [1, 2]
    assert report["unit"]["title"] == "Administration générale et finances"
    assert [(entry["role"], entry["securing"]) for entry in report["entries"]] == [
        ("ingest operation", 1),
        ("unit lifecycle", 1),
        ("unit lifecycle", 2),
    ]
    assert [item["number"] for item in report["securings"]] == [1, 2] and report["objects"] == []
    assert verify_bundle(target).ok


def test_a_securing_file_no_offer_holds_intact_is_reported(platform: Platform, tmp_path: Path) -> None:
    unit_id, _ = unit_with_object(platform)
    for offer in platform.storage.offers:
        (offer.root / layout.securing_key(1, 1)).write_bytes(b"{}\n")  # type: ignore[attr-defined]
    target = tmp_path / "bundle.zip"
    evidence = export(platform, unit_id, target)
    faults = failed(evidence.checks)
    assert {"copy of securing file 1 on offer-1", "copy of securing file 1 on offer-2", "securing 1"} <= set(
        faults
    )
    assert "no token to check" in faults["timestamp 1"]
    assert [item["number"] for item in evidence.report["securings"]] == [1]
    assert {check.name for check in verify_bundle(target).failed()} >= {"securing 1", "timestamp 1"}
