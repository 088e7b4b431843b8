"""Referentials are imported all or nothing, versioned with their history, logged, and kept on the offers."""

from __future__ import annotations

import json

import pytest
from support import FIXTURES

from archipel.core.clock import utc_now
from archipel.core.errors import NotFound
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService
from archipel.storage import layout

AGENCIES = FIXTURES / "referentials/agencies"


def test_a_refused_import_changes_nothing_and_is_logged_with_every_fault(platform: Platform) -> None:
    service = ReferentialService(platform)
    before = service.entries(1, "agencies")
    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "agencies", (AGENCIES / "KO_agencies_same_identifer.csv").read_bytes())
    assert service.entries(1, "agencies") == before
    report = refused.value.report
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        assert logbook.get(report.operation_id).outcome == "KO"
        events = logbook.events(report.operation_id)
    assert [event.message for event in events] == ["line 4: Identifier 'Identifier0' already given at line 3"]


def test_each_change_makes_a_version_written_whole_to_every_offer(platform: Platform) -> None:
    service = ReferentialService(platform)
    first = service.version(1, "agencies")
    report = service.put(1, "agencies", {"Identifier": "Mairie-URB", "Name": "Urbanisme", "Description": ""})
    assert report.created == ["Mairie-URB"] and report.version == first + 1
    key = layout.referential_key(1, "agencies", report.version)
    for offer in platform.storage.offers:
        with offer.open(key) as stream:
            snapshot = json.loads(stream.read())
        assert snapshot["version"] == report.version
        assert "Mairie-URB" in [entry["Identifier"] for entry in snapshot["entries"]]


def test_an_unchanged_import_makes_no_new_version(platform: Platform) -> None:
    service = ReferentialService(platform)
    version = service.version(1, "agencies")
    report = service.import_file(1, "agencies", (AGENCIES / "agencies_init.csv").read_bytes())
    assert (report.created, report.updated, report.deleted, report.version) == ([], [], [], version)


def test_history_keeps_every_state_of_an_entry(platform: Platform) -> None:
    service = ReferentialService(platform)
    contract = service.get(1, "ingest-contracts", "ArchivalAgreement1")
    service.put(1, "ingest-contracts", {**contract, "Status": "INACTIVE"})
    service.delete(1, "ingest-contracts", "ArchivalAgreement1")
    history = service.history(1, "ingest-contracts", "ArchivalAgreement1")
    assert [(change["version"], change["action"]) for change in history] == [
        (1, "create"),
        (2, "update"),
        (3, "delete"),
    ]
    assert history[1]["document"]["Status"] == "INACTIVE"
    with pytest.raises(NotFound):
        service.get(1, "ingest-contracts", "ArchivalAgreement1")


def test_a_tenant_sees_only_its_own_entries(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.put(2, "agencies", {"Identifier": "Commune-B-only", "Name": "B", "Description": ""})
    with pytest.raises(NotFound):
        service.get(1, "agencies", "Commune-B-only")
    assert "Commune-B-only" not in [agency["Identifier"] for agency in service.entries(1, "agencies")]


def test_a_contract_naming_an_unknown_profile_is_refused(platform: Platform) -> None:
    data = (FIXTURES / "referentials/contracts/ingest/contract_with_profil.json").read_bytes()
    with pytest.raises(ImportRefused) as refused:
        ReferentialService(platform).import_file(1, "ingest-contracts", data)
    assert refused.value.report.errors[0].message == "unknown archive profile 'PROFIL_TNR_RNG'"


def test_switching_a_contract_off_and_on_records_the_day(platform: Platform) -> None:
    service = ReferentialService(platform)
    contract = service.get(1, "ingest-contracts", "ArchivalAgreement1")
    assert contract["DeactivationDate"] == "10/12/2016"
    service.put(1, "ingest-contracts", {**contract, "Status": "INACTIVE"})
    today = utc_now().date().strftime("%d/%m/%Y")
    switched_off = service.get(1, "ingest-contracts", "ArchivalAgreement1")
    assert switched_off["DeactivationDate"] == today
    service.put(1, "ingest-contracts", {**switched_off, "Status": "ACTIVE"})
    assert service.get(1, "ingest-contracts", "ArchivalAgreement1")["ActivationDate"] == today
