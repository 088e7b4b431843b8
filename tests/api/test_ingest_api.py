"""Ingest over HTTP: upload, get an operation id at once, poll, read the reply, browse, download."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from lxml import etree
from support import FIXTURES

SIP_OK = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"
SIP_KO = FIXTURES / "sip" / "ko" / "KO_BORD_empreinte_KO.zip"


def wait_for(caller: Any, operation_id: str, timeout: float = 120) -> dict[str, Any]:
    """Polls the operation as a client script would, until it is no longer running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = caller.client.get(f"/api/v1/operations/{operation_id}", headers=caller.headers())
        assert response.status_code == 200, response.text
        if response.json()["status"] != "RUNNING":
            return response.json()
        time.sleep(0.05)
    raise AssertionError(f"operation {operation_id} still running after {timeout}s")


def upload(caller: Any, sip: Path, multipart: bool = False) -> str:
    if multipart:
        with sip.open("rb") as stream:
            response = caller.client.post(
                "/api/v1/ingests",
                headers=caller.headers(),
                files={"file": (sip.name, stream, "application/zip")},
            )
    else:
        response = caller.client.post("/api/v1/ingests", headers=caller.headers(), content=sip.read_bytes())
    assert response.status_code == 202, response.text
    return response.json()["operation_id"]


def test_accepted_sip_is_browsable_and_downloadable(commune_a: Any) -> None:
    operation = wait_for(commune_a, upload(commune_a, SIP_OK))
    assert operation["outcome"] == "OK"
    assert operation["events"][0]["step"] == "STP_UPLOAD_SIP"
    assert {"CHECK_SEDA", "CHECK_DIGEST", "STP_STORAGE", "ATR_NOTIFICATION"} <= {
        e["step"] for e in operation["events"]
    }

    reply = commune_a.client.get(f"/api/v1/ingests/{operation['id']}/reply", headers=commune_a.headers())
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/xml")
    assert etree.fromstring(reply.content).findtext("{*}ReplyCode") == "OK"

    units = commune_a.client.get("/api/v1/units", headers=commune_a.headers()).json()
    assert len(units) == 7
    with_objects = [unit for unit in units if unit["object_group"]]
    detail = commune_a.client.get(
        f"/api/v1/units/{with_objects[0]['id']}", headers=commune_a.headers()
    ).json()
    binary = detail["objects"][0]
    assert binary["digest_algorithm"] == "SHA-512" and binary["puid"]

    download = commune_a.client.get(f"/api/v1/objects/{binary['id']}/binary", headers=commune_a.headers())
    assert download.status_code == 200
    assert hashlib.sha512(download.content).hexdigest() == binary["digest"]
    assert len(download.content) == binary["size"]


def test_multipart_upload_is_accepted_too(commune_a: Any) -> None:
    operation = wait_for(commune_a, upload(commune_a, SIP_OK, multipart=True))
    assert operation["outcome"] == "OK"


def test_a_raw_body_labelled_as_a_form_is_still_the_sip(commune_a: Any) -> None:
    """What `curl --data-binary @SIP.zip` sends: the ZIP with a form content type."""
    headers = {**commune_a.headers(), "Content-Type": "application/x-www-form-urlencoded"}
    response = commune_a.client.post("/api/v1/ingests", headers=headers, content=SIP_OK.read_bytes())
    assert response.status_code == 202, response.text
    assert wait_for(commune_a, response.json()["operation_id"])["outcome"] == "OK"


def test_refused_sip_has_a_ko_reply_naming_the_object(commune_a: Any) -> None:
    operation = wait_for(commune_a, upload(commune_a, SIP_KO))
    assert operation["outcome"] == "KO"
    failed = [event for event in operation["events"] if event["outcome"] == "KO" and event["target"]]
    assert failed and failed[0]["code"] == "CHECK_DIGEST.KO"
    reply = commune_a.client.get(f"/api/v1/ingests/{operation['id']}/reply", headers=commune_a.headers())
    document = etree.fromstring(reply.content)
    assert document.findtext("{*}ReplyCode") == "KO"
    assert failed[0]["target"] in reply.text
    assert commune_a.client.get("/api/v1/units", headers=commune_a.headers()).json() == []


def test_errors_are_json_with_a_code(commune_a: Any) -> None:
    missing = commune_a.client.get("/api/v1/units/nope", headers=commune_a.headers())
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    no_key = commune_a.client.get("/api/v1/units", headers={"X-Tenant-Id": "1"})
    assert no_key.status_code == 401 and no_key.json()["code"] == "UNAUTHENTICATED"
    no_tenant = commune_a.client.get("/api/v1/units", headers={"X-Api-Key": commune_a.key})
    assert no_tenant.status_code == 400 and no_tenant.json()["code"] == "INVALID_REQUEST"
    empty = commune_a.client.post("/api/v1/ingests", headers=commune_a.headers(), content=b"")
    assert empty.status_code == 400
    assert set(empty.json()) == {"code", "message"}


def test_openapi_is_served(commune_a: Any) -> None:
    spec = commune_a.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/ingests" in spec["paths"]
    assert "/api/v1/objects/{object_id}/binary" in spec["paths"]
