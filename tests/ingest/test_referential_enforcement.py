"""Ingest enforces the tenant's referentials: contract, agencies, rules, contract object rules.

Each refusal names the step and code an archivist reads in the reference system, and the
element at fault; nothing is archived.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from support import FIXTURES

from archipel.collect.sip_builder import Document, build_sip
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def ingest(platform: Platform, sip: Path, tenant: int = 1) -> tuple[Outcome, list[str], str]:
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip, agent="test")
    outcome = service.run(tenant, operation_id).outcome
    with platform.database.unit_of_work() as session:
        codes = [event.code for event in OperationLog(session, tenant).events(operation_id) if event.code]
    return outcome, codes, operation_id


def sip(tmp_path: Path, **options: str) -> Path:
    return build_sip(
        tmp_path / "sip.zip", [Document("Délibération n°1", "deliberation.pdf", PDF)], **options
    ).path


def test_accepts_a_transfer_under_an_active_contract_with_known_agencies(
    platform: Platform, tmp_path: Path
) -> None:
    outcome, codes, _ = ingest(platform, sip(tmp_path))
    assert outcome in (Outcome.OK, Outcome.WARNING), codes
    assert "CHECK_HEADER.OK" in codes


def test_refuses_a_transfer_naming_an_unknown_contract(platform: Platform, tmp_path: Path) -> None:
    outcome, codes, _ = ingest(platform, sip(tmp_path, archival_agreement="CONTRAT-INCONNU"))
    assert outcome is Outcome.KO
    assert "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_UNKNOWN.KO" in codes


def test_refuses_a_transfer_under_a_contract_made_inactive(platform: Platform, tmp_path: Path) -> None:
    referentials = ReferentialService(platform)
    contract = referentials.get(1, "ingest-contracts", "ArchivalAgreement1")
    referentials.put(1, "ingest-contracts", {**contract, "Status": "INACTIVE"})
    outcome, codes, _ = ingest(platform, sip(tmp_path, archival_agreement="ArchivalAgreement1"))
    assert outcome is Outcome.KO
    assert "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_INACTIVE.KO" in codes


def test_a_contract_of_another_tenant_is_unknown(platform: Platform, tmp_path: Path) -> None:
    ReferentialService(platform).put(2, "ingest-contracts", {"Identifier": "IC-COMMUNE-B", "Name": "B"})
    outcome, codes, _ = ingest(platform, sip(tmp_path, archival_agreement="IC-COMMUNE-B"), tenant=1)
    assert outcome is Outcome.KO
    assert "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_UNKNOWN.KO" in codes


def test_refuses_an_originating_agency_missing_from_the_referential(
    platform: Platform, tmp_path: Path
) -> None:
    outcome, codes, _ = ingest(platform, sip(tmp_path, originating_agency="Service_fantome"))
    assert outcome is Outcome.KO
    assert "CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO" in codes


def test_computes_and_stores_the_end_date_of_each_rule(platform: Platform) -> None:
    outcome, codes, operation_id = ingest(platform, FIXTURES / "sip/ok/OK_RULES_COMPLEXE_COMPLETE.zip")
    assert outcome is Outcome.OK, codes
    with platform.database.unit_of_work() as session:
        units = UnitRepository(session, 1)
        unit = next(u for u in units.units(limit=1000, operation_id=operation_id) if u.manifest_id == "ID16")
        rules = units.rules_of(unit.id)
    # ID16 declares ACC-00003 from 2000-01-01; the rules file gives ACC-00003 a duration of 25 years.
    assert [(r.category, r.rule_id, r.start_date, r.end_date) for r in rules] == [
        ("AccessRule", "ACC-00003", date(2000, 1, 1), date(2025, 1, 1))
    ]
    assert unit.management["AccessRule"]["Rules"][0]["EndDate"] == "2025-01-01"


def edited(path: str, edit: Callable[[list[str]], list[str] | None]) -> bytes:
    """A referential CSV of the fixtures with each row passed through `edit` (None drops it)."""
    with (FIXTURES / path).open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    kept = [rows[0], *(row for row in (edit(row) for row in rows[1:]) if row is not None)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    return buffer.getvalue().encode()


def with_duration(rule_id: str, duration: str) -> Callable[[list[str]], list[str]]:
    return lambda row: [*row[:4], duration, row[5]] if row[0] == rule_id else row


def test_a_rule_applied_by_units_cannot_be_deleted_or_shortened(platform: Platform) -> None:
    ingest(platform, FIXTURES / "sip/ok/OK_RULES_COMPLEXE_COMPLETE.zip")
    rules, service = "referentials/rules/rules_ok.csv", ReferentialService(platform)
    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "rules", edited(rules, lambda row: None if row[0] == "ACC-00003" else row))
    [error] = refused.value.report.errors
    assert error.identifier == "ACC-00003" and "cannot be deleted" in error.message and error.units

    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "rules", edited(rules, with_duration("ACC-00003", "10")))
    assert "cannot be shortened" in refused.value.report.errors[0].message
    assert service.import_file(1, "rules", edited(rules, with_duration("ACC-00003", "30"))).updated == [
        "ACC-00003"
    ]


def test_an_agency_that_originated_archives_cannot_be_deleted(platform: Platform, tmp_path: Path) -> None:
    ingest(platform, sip(tmp_path))
    without = edited(
        "referentials/agencies/agencies_init.csv", lambda row: None if row[0] == "Service_producteur" else row
    )
    with pytest.raises(ImportRefused) as refused:
        ReferentialService(platform).import_file(1, "agencies", without)
    assert refused.value.report.errors[0].identifier == "Service_producteur"


def contract(platform: Platform, **fields: object) -> str:
    ReferentialService(platform).put(
        1, "ingest-contracts", {"Identifier": "IC-TEST", "Name": "test", **fields}
    )
    return "IC-TEST"


def test_a_contract_restricting_formats_refuses_other_formats(platform: Platform, tmp_path: Path) -> None:
    name = contract(platform, EveryFormatType=False, FormatType=["fmt/354"])  # PDF/A-1b only
    outcome, codes, _ = ingest(platform, sip(tmp_path, archival_agreement=name))  # a PDF 1.4 (fmt/18)
    assert outcome is Outcome.KO
    assert "CHECK_CONTRACT_OBJECTS.FORMAT_NOT_ALLOWED.KO" in codes
    ReferentialService(platform).put(
        1,
        "ingest-contracts",
        {"Identifier": name, "Name": "test", "EveryFormatType": False, "FormatType": ["fmt/18"]},
    )
    assert ingest(platform, sip(tmp_path, archival_agreement=name))[0] is not Outcome.KO


def test_a_contract_restricting_usages_refuses_other_usages(platform: Platform, tmp_path: Path) -> None:
    name = contract(platform, EveryDataObjectVersion=False, DataObjectVersion=["PhysicalMaster"])
    outcome, codes, _ = ingest(platform, sip(tmp_path, archival_agreement=name))
    assert outcome is Outcome.KO
    assert "CHECK_CONTRACT_OBJECTS.DATAOBJECT_VERSION_NOT_ALLOWED.KO" in codes


def without_master(built: Path) -> Path:
    """The same SIP whose only object is a dissemination copy instead of the master."""
    target = built.with_name("dissemination.zip")
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "manifest.xml":
                data = data.replace(b"BinaryMaster_1", b"Dissemination_1")
            copy.writestr(info, data)
    return target


def test_a_contract_requiring_masters_refuses_groups_without_one(platform: Platform, tmp_path: Path) -> None:
    dissemination_only = without_master(
        sip(tmp_path, archival_agreement=contract(platform, MasterMandatory=True))
    )
    outcome, codes, _ = ingest(platform, dissemination_only)
    assert outcome is Outcome.KO
    assert "CHECK_CONTRACT_OBJECTS.MASTER_MANDATORY_REQUIRED.KO" in codes
    default = without_master(sip(tmp_path))
    assert ingest(platform, default)[0] in (Outcome.OK, Outcome.WARNING)


def test_root_units_land_under_the_contract_link_parent(platform: Platform, tmp_path: Path) -> None:
    _, _, first = ingest(platform, sip(tmp_path))
    with platform.database.unit_of_work() as session:
        units = UnitRepository(session, 1)
        parent = next(u for u in units.units(operation_id=first) if u.manifest_id == "U0").id
    name = contract(platform, LinkParentId=parent)
    _, _, second = ingest(platform, build_sip(tmp_path / "b.zip", [], archival_agreement=name).path)
    with platform.database.unit_of_work() as session:
        units = UnitRepository(session, 1)
        root = next(u for u in units.units(operation_id=second) if u.manifest_id == "U0")
        assert units.parents_of([root.id])[root.id] == [parent]


def test_a_link_parent_must_be_a_unit_of_the_tenant(platform: Platform) -> None:
    with pytest.raises(ImportRefused) as refused:
        contract(platform, LinkParentId="01a211fb-2578-7843-ad16-38b6e3beddd1")
    assert "not a unit of this tenant" in refused.value.report.errors[0].message
