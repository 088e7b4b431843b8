"""A deactivated tenant is read-only: its archives stay consultable, nothing new comes in or changes.

A commune leaving the platform, or a tenant frozen during an inquiry, keeps its archives
whole and provable; deactivation is logged with who and why in the administration tenant,
and is undone by reactivation. No tenant is ever deleted.
"""

from __future__ import annotations

import pytest
from callers import Caller
from support import FIXTURES

from archipel.admin import service as admin
from archipel.core.errors import Forbidden, InvalidRequest
from archipel.ingest.service import IngestService
from archipel.logbook.securing import secure
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

SIP = FIXTURES / "sip/ok/OK_SIP_2_GO.zip"


def _set_active(platform: Platform, tenant: int, active: bool) -> str | None:
    with platform.database.unit_of_work() as session:
        return admin.set_tenant_active(session, tenant, active, "test", "the commune joins another platform")


def test_a_deactivated_tenant_answers_reads_and_refuses_deposits_and_changes(
    platform: Platform, commune_a: Caller
) -> None:
    assert _set_active(platform, 1, False) is not None
    client, headers = commune_a.client, commune_a.headers()

    assert client.get("/api/v1/units", headers=headers).status_code == 200
    assert client.get("/api/v1/operations", headers=headers).status_code == 200
    assert client.get("/api/v1/referentials/rules", headers=headers).status_code == 200

    deposit = client.post("/api/v1/ingests", content=SIP.read_bytes(), headers=headers)
    assert deposit.status_code == 403
    assert "deactivated (read-only)" in deposit.json()["message"]
    change = client.post("/api/v1/units/update", json={"query": {}, "actions": {}}, headers=headers)
    assert change.status_code == 403 and "deactivated" in change.json()["message"]

    assert _set_active(platform, 1, True) is not None
    assert client.post("/api/v1/ingests", content=SIP.read_bytes(), headers=headers).status_code == 202


def test_the_other_tenants_are_untouched(platform: Platform, commune_b: Caller) -> None:
    _set_active(platform, 1, False)
    deposit = commune_b.client.post("/api/v1/ingests", content=SIP.read_bytes(), headers=commune_b.headers())
    assert deposit.status_code == 202


def test_the_command_line_cannot_deposit_into_a_deactivated_tenant_either(platform: Platform) -> None:
    _set_active(platform, 1, False)
    with pytest.raises(Forbidden, match="deactivated"):
        IngestService(platform).submit(1, SIP, agent="cli")


def test_every_service_refuses_changes_to_a_deactivated_tenant_yet_secures_it(platform: Platform) -> None:
    """Read-only is enforced where operations start, not only by the API's permissions: the
    command line and workers call the services directly."""
    IngestService(platform).submit(1, SIP, agent="cli")
    _set_active(platform, 1, False)
    with pytest.raises(Forbidden, match="deactivated"):
        ReferentialService(platform).put(1, "agencies", {"Identifier": "AG-NEW", "Name": "Nouveau service"})
    secured = secure(platform, 1, agent="cli")
    assert secured.entries > 0


def test_deactivation_and_reactivation_are_logged_in_the_administration_tenant(platform: Platform) -> None:
    deactivated = _set_active(platform, 1, False)
    assert _set_active(platform, 1, False) is None  # already so: nothing recorded twice
    reactivated = _set_active(platform, 1, True)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, admin.ADMIN_TENANT)
        recorded = {operation.id: operation for operation in logbook.operations(type_=None)}
        assert recorded[deactivated].type == "TENANT_DEACTIVATION"
        assert recorded[reactivated].type == "TENANT_ACTIVATION"
        assert "joins another platform" in recorded[deactivated].message
        assert recorded[deactivated].agent == "test"


def test_the_administration_tenant_cannot_be_deactivated(platform: Platform) -> None:
    with pytest.raises(InvalidRequest, match="administers the platform"):
        _set_active(platform, admin.ADMIN_TENANT, False)
