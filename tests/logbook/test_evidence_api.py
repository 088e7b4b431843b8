"""A unit's evidence over HTTP, under the caller's access contract (archipel/api/routes/evidence.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import ACCESS_CONTRACT
from test_evidence_export import the_object, unit_with_object

from archipel.access.delivery import access_records
from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.logbook.verifier import verify_bundle
from archipel.platform import Platform
from archipel.referential.service import ReferentialService


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


def headers(platform: Platform, tenant: int = 1, contract: str = ACCESS_CONTRACT) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        key = admin.create_api_key(session, tenant, "test", access_contract=contract).secret
    return {"X-Tenant-Id": str(tenant), "X-Api-Key": key}


def contract(platform: Platform, identifier: str, **limits: object) -> str:
    ReferentialService(platform).put(
        1, "access-contracts", {"Identifier": identifier, "Name": identifier, "Status": "ACTIVE", **limits}
    )
    return identifier


def test_the_bundle_and_the_report_of_a_unit_over_http(
    platform: Platform, client: TestClient, tmp_path: Path
) -> None:
    unit_id, _ = unit_with_object(platform)
    caller = headers(platform)
    answer = client.get(f"/api/v1/units/{unit_id}/evidence", headers=caller)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip" and answer.headers["x-evidence-ok"] == "true"
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(answer.content)
    assert verify_bundle(bundle).ok
    assert not any((platform.settings.work_dir / "evidence").rglob("*.zip"))  # removed once sent
    obj = the_object(platform, unit_id)
    with platform.database.unit_of_work() as session:
        assert [record.contract for record in access_records(session, 1, obj.id)] == [ACCESS_CONTRACT]
    report = client.get(f"/api/v1/units/{unit_id}/evidence/report", headers=caller)
    assert report.status_code == 200
    body = report.json()
    assert (body["schema"], body["unit"]["id"], body["access_contract"], body["ok"]) == (
        "archipel:probative-report:1",
        unit_id,
        ACCESS_CONTRACT,
        True,
    )


def test_a_unit_outside_the_access_contract_or_the_tenant_is_not_found(
    platform: Platform, client: TestClient
) -> None:
    unit_id, _ = unit_with_object(platform)
    elsewhere = contract(platform, "AC-AILLEURS", OriginatingAgencies=["Identifier0"])
    for caller in (headers(platform, 1, elsewhere), headers(platform, 2)):
        for path in (f"/api/v1/units/{unit_id}/evidence", f"/api/v1/units/{unit_id}/evidence/report"):
            answer = client.get(path, headers=caller)
            assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND"), path


def test_a_usage_the_contract_does_not_allow_is_stated_but_left_out(
    platform: Platform, client: TestClient, tmp_path: Path
) -> None:
    unit_id, _ = unit_with_object(platform)
    dissemination = contract(
        platform, "AC-DIFFUSION", EveryOriginatingAgency=True, DataObjectVersion=["Dissemination"]
    )
    answer = client.get(f"/api/v1/units/{unit_id}/evidence", headers=headers(platform, 1, dissemination))
    assert answer.status_code == 200 and answer.headers["x-evidence-ok"] == "true"
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(answer.content)
    verdict = verify_bundle(bundle)
    assert verdict.ok
    binary = next(check for check in verdict.checks if check.name.startswith("binary "))
    assert "not in the bundle" in binary.detail and "does not allow the BinaryMaster usage" in binary.detail
