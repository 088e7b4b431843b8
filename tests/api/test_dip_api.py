"""DIPs over HTTP: asked (202), followed, downloaded; estimated first; never another tenant's."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from typing import Any

import pytest
from callers import Caller
from lxml import etree
from support import ACCESS_CONTRACT, FIXTURES

from archipel.access.dip import EXPORT_DIP, DipRequest, DipService
from archipel.access.scope import open_scope
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.referential.service import ReferentialService
from archipel.seda.model import SEDA_NAMESPACES
from archipel.seda.schema import seda_schema

SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"


@pytest.fixture
def query(platform: Platform) -> dict[str, Any]:
    """The 7 units (4 binaries) of one transfer of tenant 1, as a search request."""
    service = IngestService(platform)
    result = service.run(1, service.submit(1, SIP, SIP.name))
    assert result.outcome is Outcome.OK
    return {"$query": {"$eq": {"#opi": result.operation_id}}}


def headers(caller: Caller, contract: str | None = None) -> dict[str, str]:
    """The caller's headers; without a contract, calls run under the key's (the baseline's)."""
    return {**caller.headers(), **({"X-Access-Contract-Id": contract} if contract else {})}


def finished(caller: Caller, operation_id: str) -> dict[str, Any]:
    """The DIP's state once its background work is over (polled, as a client would)."""
    for _ in range(600):
        response = caller.client.get(f"/api/v1/dips/{operation_id}", headers=headers(caller))
        assert response.status_code == 200, response.text
        if response.json()["status"] == "DONE":
            return response.json()
        time.sleep(0.1)
    raise AssertionError(f"DIP {operation_id} still running")


def test_a_dip_is_asked_followed_and_downloaded(commune_a: Caller, query: dict[str, Any]) -> None:
    estimate = commune_a.client.post("/api/v1/dips/estimate", json=query, headers=headers(commune_a)).json()
    response = commune_a.client.post(
        "/api/v1/dips?requester=Tribunal&request_id=RG-2026-17", json=query, headers=headers(commune_a)
    )
    assert response.status_code == 202
    operation_id = response.json()["operation_id"]
    state = finished(commune_a, operation_id)
    assert (state["outcome"], state["ready"], state["units"], state["objects"]) == ("OK", True, 7, 4)
    assert (estimate["units"], estimate["objects"]) == (7, 4)

    download = commune_a.client.get(f"/api/v1/dips/{operation_id}/content", headers=headers(commune_a))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert len(download.content) == state["bytes"] == int(download.headers["content-length"])
    assert hashlib.sha512(download.content).hexdigest() == state["digest"] == download.headers["x-digest"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as dip:
        manifest = etree.fromstring(dip.read("manifest.xml"))
        files = [info.file_size for info in dip.infolist() if info.filename != "manifest.xml"]
    assert sum(files) == estimate["bytes"]
    ns = {"s": manifest.nsmap[None]}
    assert seda_schema(SEDA_NAMESPACES[ns["s"]]).validate(manifest)
    assert manifest.findtext("s:Requester/s:Identifier", namespaces=ns) == "Tribunal"
    assert manifest.findtext("s:MessageRequestIdentifier", namespaces=ns) == "RG-2026-17"


def test_the_estimate_builds_nothing(commune_a: Caller, platform: Platform, query: dict[str, Any]) -> None:
    response = commune_a.client.post("/api/v1/dips/estimate", json=query, headers=headers(commune_a))
    assert response.status_code == 200
    assert set(response.json()) == {"units", "objects", "bytes"} and response.json()["bytes"] > 0
    with platform.database.unit_of_work() as session:
        assert OperationLog(session, 1).operations(type_=EXPORT_DIP) == []
    assert not (platform.settings.work_dir / "dips").exists()


def test_the_content_is_a_conflict_while_the_dip_is_being_built(
    commune_a: Caller, platform: Platform, query: dict[str, Any]
) -> None:
    with platform.database.unit_of_work() as session:
        scope = open_scope(session, 1, ACCESS_CONTRACT, "test")
    operation_id = DipService(platform).submit(scope, DipRequest(query=query))  # recorded, not yet run
    response = commune_a.client.get(f"/api/v1/dips/{operation_id}/content", headers=headers(commune_a))
    assert response.status_code == 409
    state = commune_a.client.get(f"/api/v1/dips/{operation_id}", headers=headers(commune_a)).json()
    assert (state["status"], state["ready"]) == ("RUNNING", False)


def test_another_tenant_can_neither_follow_nor_fetch_a_dip(
    commune_a: Caller, commune_b: Caller, query: dict[str, Any]
) -> None:
    operation_id = commune_a.client.post("/api/v1/dips", json=query, headers=headers(commune_a)).json()[
        "operation_id"
    ]
    finished(commune_a, operation_id)
    for path in (f"/api/v1/dips/{operation_id}", f"/api/v1/dips/{operation_id}/content"):
        response = commune_b.client.get(path, headers=headers(commune_b))
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


def test_a_dip_is_not_found_under_another_contract_of_the_tenant(
    commune_a: Caller, platform: Platform, query: dict[str, Any]
) -> None:
    other = {"Identifier": "AC-AUTRE", "Name": "Autre", "Status": "ACTIVE", "EveryOriginatingAgency": True}
    ReferentialService(platform).put(1, "access-contracts", other)
    operation_id = commune_a.client.post("/api/v1/dips", json=query, headers=headers(commune_a)).json()[
        "operation_id"
    ]
    finished(commune_a, operation_id)
    response = commune_a.client.get(
        f"/api/v1/dips/{operation_id}/content", headers=headers(commune_a, "AC-AUTRE")
    )
    assert response.status_code == 404


def test_a_malformed_query_is_a_bad_request(commune_a: Caller) -> None:
    bad = commune_a.client.post("/api/v1/dips", json={"$query": {"$nope": 1}}, headers=headers(commune_a))
    assert bad.status_code == 400 and "$nope" in bad.json()["message"]
    assert (
        commune_a.client.post("/api/v1/dips/estimate", json=[1], headers=headers(commune_a)).status_code
        == 422
    )
