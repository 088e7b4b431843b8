"""Audits over HTTP: `POST /audits` answers 202 with an operation id at once; the operation's
events are the report; a tenant's audit never reaches another tenant's copies."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from test_ingest_api import SIP_OK, upload, wait_for

from archipel.platform import Platform
from archipel.storage import layout


def start_audit(caller: Any, **body: Any) -> str:
    response = caller.client.post("/api/v1/audits", headers=caller.headers(), json=body)
    assert response.status_code == 202, response.text
    assert response.json().keys() == {"operation_id"}
    return response.json()["operation_id"]


def object_copies(platform: Platform, tenant: int, offer: int) -> list[Path]:
    root = Path(platform.storage.offers[offer].root)  # type: ignore[attr-defined]
    return sorted((root / "tenants" / str(tenant) / "objects").glob("*/*/*"))


def fault_events(operation: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (event["code"], event["target"])
        for event in operation["events"]
        if event["step"]
        in ("AUDIT_FILE_INTEGRITY", "AUDIT_FILE_EXISTING", "AUDIT_OFFER_COPY", "AUDIT_REPAIR")
    ]


def test_an_integrity_audit_with_repair_reports_and_restores(
    platform: Platform, commune_a: Any, commune_b: Any
) -> None:
    wait_for(commune_a, upload(commune_a, SIP_OK))
    wait_for(commune_b, upload(commune_b, SIP_OK))
    ours, theirs = object_copies(platform, 1, 1)[0], object_copies(platform, 2, 1)[0]
    original = ours.read_bytes()
    for damaged in (ours, theirs):
        damaged.write_bytes(b"\x00" * damaged.stat().st_size)

    checked = wait_for(commune_a, start_audit(commune_a, kind="integrity"))
    assert checked["type"] == "AUDIT_INTEGRITY" and checked["outcome"] == "KO"
    assert fault_events(checked) == [("AUDIT_FILE_INTEGRITY.CORRUPT.KO", ours.name)]
    assert "offer offer-2" in checked["events"][2]["message"]

    repaired = wait_for(commune_a, start_audit(commune_a, kind="integrity", repair=True))
    assert repaired["outcome"] == "WARNING"
    assert fault_events(repaired) == [
        ("AUDIT_FILE_INTEGRITY.CORRUPT.WARNING", ours.name),
        ("AUDIT_REPAIR.REPAIRED.OK", ours.name),
    ]
    assert repaired["events"][-1]["step"] == "REPORT_AUDIT" and "1 repaired" in repaired["message"]
    assert repaired["objects"] == 4 and repaired["bytes"] > 0
    assert ours.read_bytes() == original
    assert set(theirs.read_bytes()) == {0}  # tenant 2's copy: neither read into the report nor repaired

    seen = commune_b.client.get(f"/api/v1/operations/{repaired['id']}", headers=commune_b.headers())
    assert seen.status_code == 404


def test_an_existence_audit_of_one_ingest(platform: Platform, commune_a: Any) -> None:
    ingest = wait_for(commune_a, upload(commune_a, SIP_OK))["id"]
    object_copies(platform, 1, 0)[-1].unlink()

    operation = wait_for(commune_a, start_audit(commune_a, kind="existence", operation=ingest))

    assert operation["type"] == "AUDIT_EXISTENCE" and operation["outcome"] == "KO"
    assert [code for code, _ in fault_events(operation)] == ["AUDIT_FILE_EXISTING.MISSING.KO"]
    assert ingest in operation["events"][0]["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "fixity"}, 422),
        ({"kind": "integrity", "repair": "sometimes"}, 422),
        ({"kind": "integrity", "units": ["01a20000-0000-7000-8000-000000000000"]}, 404),
        ({"kind": "existence", "operation": "01a20000-0000-7000-8000-000000000000"}, 404),
        ({"kind": "offers", "units": ["01a20000-0000-7000-8000-000000000000"]}, 400),
    ],
)
def test_a_bad_request_is_refused_before_any_operation(
    commune_a: Any, body: dict[str, Any], status: int
) -> None:
    response = commune_a.client.post("/api/v1/audits", headers=commune_a.headers(), json=body)
    assert response.status_code == status and response.json()["code"]
    operations = commune_a.client.get("/api/v1/operations?type=AUDIT_INTEGRITY", headers=commune_a.headers())
    assert operations.json() == []


def settled(platform: Platform, operation: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """The finished operation once its logbook is on every offer (written just after it closes)."""
    key = layout.operation_file_key(operation["tenant"], operation["id"], "logbook.json")
    deadline = time.monotonic() + timeout
    while not platform.storage.exists_everywhere(key):
        assert time.monotonic() < deadline, f"{key} not on every offer after {timeout}s"
        time.sleep(0.05)
    return operation


def test_an_offers_audit_compares_the_tenants_keys_between_offers_and_repairs(
    platform: Platform, commune_a: Any
) -> None:
    settled(platform, wait_for(commune_a, upload(commune_a, SIP_OK)))
    lost = object_copies(platform, 1, 1)[0]
    lost.unlink()
    key = lost.relative_to(platform.storage.offers[1].root).as_posix()  # type: ignore[attr-defined]

    operation = settled(platform, wait_for(commune_a, start_audit(commune_a, kind="offers", repair=True)))
    assert operation["type"] == "AUDIT_OFFERS" and operation["outcome"] == "WARNING", operation["events"]
    assert fault_events(operation) == [
        ("AUDIT_OFFER_COPY.MISSING.WARNING", key),
        ("AUDIT_REPAIR.REPAIRED.OK", key),
    ]
    assert lost.exists()
    assert wait_for(commune_a, start_audit(commune_a, kind="offers"))["outcome"] == "OK"


def test_an_audit_needs_the_tenants_key(commune_a: Any) -> None:
    headers = {**commune_a.headers(), "X-Tenant-Id": "2"}
    response = commune_a.client.post("/api/v1/audits", headers=headers, json={"kind": "integrity"})
    assert response.status_code in (401, 403)
