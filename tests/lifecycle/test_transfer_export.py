"""A transfer hands a branch of the archive on as a SEDA SIP that another archive ingests as it is.

The receiving archive here is tenant 2 of the same instance: it holds the same referentials
as the reference system's test tenants, as a departmental archive would hold its own.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from elimination_fonds import ROLES, Fonds, document_bytes

from archipel.access.scope import AccessScope
from archipel.core.digests import sha512_bytes
from archipel.core.errors import InvalidRequest
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.lifecycle.transfer import TRANSFER, TRANSFER_FILE, TransferRequest, TransferService
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.platform import Platform
from archipel.storage import layout

RECEIVER = "Service_archives"


def transfer_of(fonds: Fonds, *roles: str, agency: str = RECEIVER) -> TransferRequest:
    return TransferRequest(
        unit_ids=tuple(fonds[role] for role in roles),
        archival_agency=agency,
        transferring_agency="Service_versant",
        archival_agreement="ArchivalAgreement0",
    )


def export(platform: Platform, request: TransferRequest, tenant: int = 1) -> tuple[str, Outcome, Path | None]:
    service = TransferService(platform)
    scope = AccessScope.operator(tenant, "archiviste")
    operation_id = service.submit(scope, request)
    result = service.run(scope, operation_id, request)
    return operation_id, result.outcome, result.path


def test_a_series_goes_with_every_unit_below_it_and_all_their_binaries(
    platform: Platform, fonds: Fonds
) -> None:
    operation_id, outcome, path = export(platform, transfer_of(fonds, "series.destroy"))
    assert outcome is Outcome.OK and path is not None
    with zipfile.ZipFile(path) as sip:
        names = sip.namelist()
        manifest = sip.read("manifest.xml").decode()
        contents = sorted(sip.read(name) for name in names if name.startswith("Content/"))
    assert sorted(contents) == sorted([document_bytes(1), document_bytes(2)])
    assert "<ArchiveTransfer" in manifest and f"<MessageIdentifier>{operation_id}<" in manifest
    assert f"<ArchivalAgency>\n    <Identifier>{RECEIVER}</Identifier>" in manifest
    assert "<ArchivalAgreement>ArchivalAgreement0</ArchivalAgreement>" in manifest
    for role in ("series.destroy", "file.a", "file.b"):
        assert f"<SystemId>{fonds[role]}</SystemId>" in manifest
    assert ROLES["series.held"] not in manifest


def test_the_receiving_archive_ingests_the_sip_as_it_is(platform: Platform, fonds: Fonds) -> None:
    _, _, path = export(platform, transfer_of(fonds, "series.destroy"))
    assert path is not None
    ingest = IngestService(platform)
    received = ingest.run(2, ingest.submit(2, path, agent="archives départementales"))
    assert received.outcome in (Outcome.OK, Outcome.WARNING), received
    with platform.database.unit_of_work() as session:
        titles = {unit.title for unit in session.query(ArchiveUnit).filter_by(tenant_id=2)}
        digests = {obj.sha512 for obj in session.query(DataObject).filter_by(tenant_id=2)}
    assert titles == {ROLES["series.destroy"], ROLES["file.a"], ROLES["file.b"]}
    assert digests == {sha512_bytes(document_bytes(1)), sha512_bytes(document_bytes(2))}


def test_what_was_handed_on_is_kept_on_every_offer(platform: Platform, fonds: Fonds) -> None:
    operation_id, _, path = export(platform, transfer_of(fonds, "series.destroy"))
    assert path is not None
    for offer in platform.storage.offers:
        with offer.open(layout.operation_file_key(1, operation_id, TRANSFER_FILE)) as stream:
            record = json.loads(stream.read())
        with offer.open(layout.operation_file_key(1, operation_id, "manifest.xml")) as stream:
            stored_manifest = stream.read()
        assert record["units"][0] == fonds["series.destroy"]  # the units asked for, then those below
        assert set(record["units"]) == {fonds["series.destroy"], fonds["file.a"], fonds["file.b"]}
        assert record["sip_sha512"] == sha512_bytes(path.read_bytes())
        with zipfile.ZipFile(path) as sip:
            assert stored_manifest == sip.read("manifest.xml")
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.get(operation_id)
        steps = [(event.step, event.outcome) for event in logbook.events(operation_id)]
    assert (operation.type, operation.outcome) == (TRANSFER, "OK")
    assert ("TRANSFER_MANIFEST", "OK") in steps and ("TRANSFER_STORED", "OK") in steps
    with platform.database.unit_of_work() as session:  # nothing is deleted by the export itself
        assert session.get(ArchiveUnit, (1, fonds["file.a"])) is not None


def test_a_branch_holding_a_unit_under_hold_is_refused_whole(platform: Platform, fonds: Fonds) -> None:
    operation_id, outcome, path = export(platform, transfer_of(fonds, "series.held"))
    assert (outcome, path) == (Outcome.KO, None)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        events = {event.step: event.message for event in logbook.events(operation_id)}
    assert fonds["file.held"] in events["TRANSFER_SELECTION"] and "HOL-00002" in events["TRANSFER_SELECTION"]
    assert not any(
        offer.exists(layout.operation_file_key(1, operation_id, TRANSFER_FILE))
        for offer in platform.storage.offers
    )


def test_a_transfer_names_its_receiver_and_is_not_made_under_an_access_contract(
    platform: Platform, fonds: Fonds
) -> None:
    with pytest.raises(InvalidRequest, match="receiving archive"):
        export(platform, transfer_of(fonds, "file.a", agency=" "))


def test_another_tenants_units_are_not_exported(platform: Platform, fonds: Fonds) -> None:
    _, outcome, path = export(platform, transfer_of(fonds, "series.destroy"), tenant=2)
    assert (outcome, path) == (Outcome.KO, None)
