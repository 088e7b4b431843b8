"""Transfers over HTTP: 202 and a background export, the SIP downloaded, the reply posted back."""

from __future__ import annotations

import json

from elimination_fonds import Fonds
from fastapi.testclient import TestClient
from test_elimination_api import client, finished, headers  # noqa: F401 - the `client` fixture
from test_transfer_reply import received_reply

from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform

RECEIVER = {"archival_agency": "Service_archives", "archival_agreement": "ArchivalAgreement0"}


def test_the_whole_transfer_over_http(platform: Platform, client: TestClient, fonds: Fonds, tmp_path) -> None:  # noqa: F811
    archivist, other = headers(platform), headers(platform, 2)
    body = {
        "query": json.loads(fonds.query) | {"$query": {"$eq": {"#id": fonds["series.destroy"]}}},
        **RECEIVER,
    }
    asked = client.post("/api/v1/transfers", headers=archivist, json=body)
    assert asked.status_code == 202, asked.text
    transfer_id = asked.json()["operation_id"]
    finished(client, platform, archivist, transfer_id)
    state = client.get(f"/api/v1/transfers/{transfer_id}", headers=archivist).json()
    assert (state["outcome"], state["units"], state["ready"]) == ("OK", 3, True)
    assert client.get(f"/api/v1/transfers/{transfer_id}", headers=other).status_code == 404
    sip = client.get(f"/api/v1/transfers/{transfer_id}/content", headers=archivist)
    assert sip.status_code == 200 and sip.headers["content-type"] == "application/zip"
    (tmp_path / "sip.zip").write_bytes(sip.content)
    reply = received_reply(platform, tmp_path / "sip.zip", 2)

    assert (
        client.post(f"/api/v1/transfers/{transfer_id}/reply", headers=other, content=reply).status_code == 404
    )
    wrong = client.post(f"/api/v1/transfers/{fonds.operation_id}/reply", headers=archivist, content=reply)
    assert wrong.status_code == 400 and "not " + fonds.operation_id in wrong.json()["message"]
    answered = client.post(f"/api/v1/transfers/{transfer_id}/reply", headers=archivist, content=reply)
    assert answered.status_code == 200, answered.text
    assert (answered.json()["reply_code"], answered.json()["purged"]) == ("OK", 3)
    with platform.database.unit_of_work() as session:
        assert session.get(ArchiveUnit, (1, fonds["file.a"])) is None
    again = client.post(f"/api/v1/transfers/{transfer_id}/reply", headers=archivist, content=reply)
    assert again.status_code == 409


def test_a_transfer_names_its_receiver(platform: Platform, client: TestClient, fonds: Fonds) -> None:  # noqa: F811
    refused = client.post(
        "/api/v1/transfers", headers=headers(platform), json={"query": json.loads(fonds.query)}
    )
    assert refused.status_code == 422
