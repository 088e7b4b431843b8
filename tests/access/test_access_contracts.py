"""What an access contract lets a caller see and receive, proven through the HTTP API.

A unit outside the contract is not found; a binary of a usage the contract excludes, or of
a unit not yet communicable to a third party, is refused with the reason; every delivery
is recorded; a bad copy met on the way is logged and a healthy one served.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from access_archive import AGENCY, PDF, Archive, add_access_contract, ingest_archive
from fastapi.testclient import TestClient

from archipel.access.delivery import STORAGE_FAULT, access_records
from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.storage import layout


@pytest.fixture
def archive(platform: Platform, tmp_path: Path) -> Archive:
    return ingest_archive(platform, tmp_path)


@pytest.fixture
def http(platform: Platform) -> TestClient:
    with TestClient(create_app(platform)) as client:
        with platform.database.unit_of_work() as session:
            key = admin.create_api_key(session, 1, "reader").secret
        client.headers.update({"X-Tenant-Id": "1", "X-Api-Key": key})
        yield client


def as_contract(contract: str) -> dict[str, str]:
    return {"X-Access-Contract-Id": contract}


def object_of(platform: Platform, unit_id: str) -> str:
    with platform.database.unit_of_work() as session:
        repository = UnitRepository(session, 1)
        group = repository.unit(unit_id).object_group_id
        assert group is not None
        return repository.objects_of(group)[0].id


def test_every_access_call_names_a_contract_of_the_tenant(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    assert http.get(f"/api/v1/units/{archive.closed}").status_code == 400
    assert http.get(f"/api/v1/units/{archive.closed}", headers=as_contract("AC-INCONNU")).status_code == 404
    add_access_contract(platform, "AC-FERME", Status="INACTIVE")
    assert http.get(f"/api/v1/units/{archive.closed}", headers=as_contract("AC-FERME")).status_code == 403


def test_a_unit_of_another_originating_agency_is_not_found(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    contract = as_contract(
        add_access_contract(
            platform, "AC-SERVICE", EveryOriginatingAgency=False, OriginatingAgencies=[AGENCY]
        )
    )
    assert http.get(f"/api/v1/units/{archive.closed}", headers=contract).status_code == 200
    assert http.get(f"/api/v1/units/{archive.other}", headers=contract).status_code == 404
    assert (
        http.get(f"/api/v1/objects/{object_of(platform, archive.other)}/binary", headers=contract).status_code
        == 404
    )
    listed = {unit["id"] for unit in http.get("/api/v1/units", headers=contract).json()}
    assert archive.other not in listed and archive.closed in listed


def test_root_units_open_their_subtree_and_excluded_roots_close_theirs(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    contract = as_contract(
        add_access_contract(
            platform, "AC-SERIE", RootUnits=[archive.series], ExcludedRootUnits=[archive.closed]
        )
    )
    listed = {unit["id"] for unit in http.get("/api/v1/units", headers=contract).json()}
    assert listed == {archive.series, archive.prevented, archive.refused}
    assert http.get(f"/api/v1/units/{archive.closed}", headers=contract).status_code == 404


def test_a_usage_the_contract_does_not_allow_is_not_delivered(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    contract = as_contract(
        add_access_contract(
            platform, "AC-DIFFUSION", EveryDataObjectVersion=False, DataObjectVersion=["Dissemination"]
        )
    )
    unit = http.get(f"/api/v1/units/{archive.prevented}", headers=contract).json()
    assert unit["objects"] == []
    refused = http.get(f"/api/v1/objects/{object_of(platform, archive.prevented)}/binary", headers=contract)
    assert refused.status_code == 403
    assert "BinaryMaster" in refused.json()["message"]


def test_effective_access_rules_follow_inheritance_prevent_inheritance_and_ref_non_rule_id(
    http: TestClient, archive: Archive
) -> None:
    def rules(unit_id: str) -> list[tuple[str, str, bool]]:
        body = http.get(f"/api/v1/units/{unit_id}", headers=as_contract("ContratTNR")).json()
        return [(rule["rule"], rule["end"], rule["inherited"]) for rule in body["rules"]]

    assert rules(archive.series) == [("ACC-00003", "2045-01-01", False)]
    assert rules(archive.closed) == [("ACC-00003", "2045-01-01", True)]
    assert rules(archive.prevented) == [("ACC-00001", "2000-01-01", False)]
    assert rules(archive.refused) == []


def test_a_third_party_sees_a_closed_unit_flagged_and_cannot_download_its_binary(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    contract = as_contract(add_access_contract(platform, "AC-PUBLIC", RuleCategoryToFilter=["AccessRule"]))
    closed = http.get(f"/api/v1/units/{archive.closed}", headers=contract).json()
    assert closed["communicable"] is False
    refused = http.get(f"/api/v1/objects/{object_of(platform, archive.closed)}/binary", headers=contract)
    assert refused.status_code == 403
    assert "2045-01-01" in refused.json()["message"]
    for open_unit in (archive.prevented, archive.refused):
        assert http.get(f"/api/v1/units/{open_unit}", headers=contract).json()["communicable"] is True
        delivered = http.get(f"/api/v1/units/{open_unit}/binary", headers=contract)
        assert delivered.status_code == 200 and delivered.content == PDF


def test_the_archivist_contract_downloads_a_closed_unit(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    delivered = http.get(f"/api/v1/units/{archive.closed}/binary", headers=as_contract("ContratTNR"))
    assert delivered.status_code == 200 and delivered.content == PDF


def test_every_delivery_is_recorded_with_its_contract_and_offer(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    object_id = object_of(platform, archive.prevented)
    assert (
        http.get(f"/api/v1/objects/{object_id}/binary", headers=as_contract("ContratTNR")).status_code == 200
    )
    with platform.database.unit_of_work() as session:
        records = access_records(session, 1, object_id)
    assert [(r.contract, r.unit_id, r.offer, r.size) for r in records] == [
        ("ContratTNR", archive.prevented, "offer-1", len(PDF))
    ]
    assert records[0].agent and records[0].agent.startswith("api-key:")


def test_a_corrupt_first_copy_is_logged_and_the_healthy_one_served(
    platform: Platform, http: TestClient, archive: Archive
) -> None:
    object_id = object_of(platform, archive.prevented)
    first = platform.storage.offers[0]
    copy = Path(first.root) / layout.object_key(1, object_id)  # type: ignore[attr-defined]
    copy.write_bytes(b"rotten" + PDF[6:])
    delivered = http.get(f"/api/v1/objects/{object_id}/binary", headers=as_contract("ContratTNR"))
    assert delivered.status_code == 200 and delivered.content == PDF
    with platform.database.unit_of_work() as session:
        faults = OperationLog(session, 1).operations(type_=STORAGE_FAULT)
        assert len(faults) == 1 and faults[0].outcome == "WARNING"
        events = OperationLog(session, 1).events(faults[0].id)
        assert [event.target for event in events] == [layout.object_key(1, object_id)]
        assert "offer-1" in events[0].message
        assert access_records(session, 1, object_id)[0].offer == "offer-2"
