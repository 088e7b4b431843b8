"""The collect API end to end over HTTP: a SIP put together call by call, then ingested.

A project names the contract and the agencies; a transaction receives a tree of units and
their binaries (one in three resumable chunks), is closed once everything checks, and is
sent: the ingest archives it like any SIP, and the units appear in the tenant with their
parents and their binaries' digests.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import socket
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from support import ACCESS_CONTRACT

from archipel.admin import service as admin
from archipel.admin.roles import Role
from archipel.api.app import create_app
from archipel.collect.collect_model import CollectTransaction
from archipel.collect.collect_send import recover_sending, sip_name
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

API = "/api/v1/collect"
CONTRACT = "ArchivalAgreement0"
AGENCY = "Identifier0"
REPORT = b"%PDF-1.4\n" + b"rapport annuel " * 4000 + b"\n%%EOF\n"
PHOTO = b"just some bytes of a photo"
CSV_INSIDE = "metadata.csv"


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


class Depositor:
    """A client calling the collect API (or, with `prefix`, any other) as one tenant's key."""

    def __init__(self, client: TestClient, headers: dict[str, str], prefix: str = API) -> None:
        self.client, self.headers, self.prefix = client, headers, prefix

    def call(self, method: str, path: str, expected: int = 200, **options: Any) -> Any:
        headers = {**self.headers, **options.pop("headers", {})}
        response = self.client.request(method, f"{self.prefix}{path}", headers=headers, **options)
        assert response.status_code == expected, response.text
        return response

    def json(self, method: str, path: str, expected: int = 200, **options: Any) -> Any:
        return self.call(method, path, expected, **options).json()

    def project(self, **settings: Any) -> str:
        body = {
            "name": "Versements de l'état civil",
            "ingest_contract": CONTRACT,
            "originating_agency": AGENCY,
        }
        return self.json("POST", "/projects", 201, json={**body, **settings})["id"]

    def transaction(self, project: str | None = None) -> str:
        project = project or self.project()
        return self.json("POST", f"/projects/{project}/transactions", 201, json={"comment": "lot 1"})["id"]

    def unit(self, transaction: str, title: str, parent: str | None = None, **extra: Any) -> str:
        content = {"Title": title, "DescriptionLevel": "Item" if extra.get("objects") else "RecordGrp"}
        body = {"content": {**content, **extra.pop("content", {})}, "parent": parent, **extra}
        return self.json("POST", f"/transactions/{transaction}/units", 201, json=body)["id"]

    def binary(self, transaction: str, unit: str, data: bytes, expected: int = 200, **headers: str) -> Any:
        path = f"/transactions/{transaction}/units/{unit}/binary"
        return self.json("PUT", path, expected, content=data, headers=headers)

    def chunk(
        self, transaction: str, unit: str, data: bytes, start: int, total: int, expected: int = 200
    ) -> Any:
        header = f"bytes {start}-{start + len(data) - 1}/{total}"
        return self.binary(transaction, unit, data, expected, **{"Content-Range": header})

    def follow(self, transaction: str) -> dict[str, Any]:
        """Polls the transaction as a depositor's script would, until its ingest has ended."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = self.json("GET", f"/transactions/{transaction}")
            if state["status"] not in ("SENDING", "SENT"):
                return state
            time.sleep(0.05)
        raise AssertionError(f"transaction {transaction} still {state['status']}")


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


def key_of(platform: Platform, client: TestClient, tenant: int, role: Role = Role.DEPOSITOR) -> Depositor:
    with platform.database.unit_of_work() as session:
        secret = admin.create_api_key(session, tenant, role.value, ACCESS_CONTRACT, role).secret
    return Depositor(client, {"X-Tenant-Id": str(tenant), "X-Api-Key": secret})


@pytest.fixture
def depositor(platform: Platform, client: TestClient) -> Depositor:
    return key_of(platform, client, 1)


@pytest.fixture
def stranger(platform: Platform, depositor: Depositor) -> Depositor:
    """A depositor of the other commune, on the same instance."""
    return key_of(platform, depositor.client, 2)


@pytest.fixture
def archivist(platform: Platform, client: TestClient) -> Depositor:
    """Reads what was archived (a depositor ingests but reads nothing)."""
    reader = key_of(platform, client, 1, Role.ARCHIVIST)
    return Depositor(client, {**reader.headers, "X-Access-Contract-Id": ACCESS_CONTRACT}, "/api/v1")


def units_of_operation(archivist: Depositor, operation_id: str) -> dict[str, dict[str, Any]]:
    listed = archivist.json("GET", "/units", params={"operation_id": operation_id})
    details = [archivist.json("GET", f"/units/{unit['id']}") for unit in listed]
    return {detail["title"]: detail for detail in details}


def test_a_tree_with_a_resumable_binary_is_collected_closed_sent_and_archived(
    depositor: Depositor, archivist: Depositor
) -> None:
    transaction = depositor.transaction()
    fonds = depositor.unit(transaction, "Registres 2024")
    report = depositor.unit(
        transaction,
        "Rapport annuel",
        fonds,
        content={"Description": "Le rapport de l'année", "StartDate": "2024-01-01"},
        objects=[{"filename": "rapport.pdf", "size": len(REPORT), "sha512": sha512(REPORT)}],
    )
    photo = depositor.unit(transaction, "Photo", fonds, objects=[{"filename": "photo.jpg"}])

    thirds = [REPORT[:10000], REPORT[10000:40000], REPORT[40000:]]
    first = depositor.chunk(transaction, report, thirds[0], 0, len(REPORT))
    assert first == {"object": "rapport.pdf", "held": 10000, "complete": False}
    status = depositor.json("GET", f"/transactions/{transaction}/units/{report}/binary/status")
    assert status["held"] == 10000 and not status["complete"]
    depositor.chunk(transaction, report, thirds[1], 10000, len(REPORT))
    last = depositor.chunk(transaction, report, thirds[2], 40000, len(REPORT))
    assert last["complete"] and last["sha512"] == sha512(REPORT)
    depositor.binary(transaction, photo, PHOTO, **{"X-Content-SHA512": sha512(PHOTO)})

    listed = depositor.json("GET", f"/transactions/{transaction}/units")
    assert [unit["parent"] for unit in listed] == [None, fonds, fonds]
    assert depositor.json("GET", f"/transactions/{transaction}")["received"] == 2

    assert depositor.json("POST", f"/transactions/{transaction}/close")["status"] == "CLOSED"
    sent = depositor.json("POST", f"/transactions/{transaction}/send", 202)
    assert sent["status"] in ("SENT", "ACK") and sent["operation_id"]
    done = depositor.follow(transaction)
    assert done["status"] == "ACK", done
    reply = depositor.call("GET", f"/transactions/{transaction}/reply")
    assert etree.fromstring(reply.content).findtext("{*}ReplyCode") in ("OK", "WARNING")

    archived = units_of_operation(archivist, done["operation_id"])
    assert set(archived) == {"Registres 2024", "Rapport annuel", "Photo"}
    fonds_id = archived["Registres 2024"]["id"]
    assert archived["Rapport annuel"]["parents"] == [fonds_id] and archived["Photo"]["parents"] == [fonds_id]
    assert archived["Rapport annuel"]["content"]["Description"] == "Le rapport de l'année"
    (binary,) = archived["Rapport annuel"]["objects"]
    assert binary["digest"] == sha512(REPORT) and binary["size"] == len(REPORT)
    assert binary["filename"] == "rapport.pdf"
    assert archived["Photo"]["objects"][0]["digest"] == sha512(PHOTO)


def test_a_binary_whose_digest_differs_is_refused_and_not_kept(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    unit = depositor.unit(transaction, "Photo", objects=[{"filename": "photo.jpg"}])
    refused = depositor.binary(transaction, unit, PHOTO, 422, **{"X-Content-SHA512": sha512(b"other")})
    assert "X-Content-SHA512" in refused["problems"][0]
    declared = depositor.unit(transaction, "Autre", objects=[{"filename": "a.jpg", "sha512": sha512(b"x")}])
    assert "declared SHA-512" in depositor.binary(transaction, declared, PHOTO, 422)["problems"][0]
    status = depositor.json("GET", f"/transactions/{transaction}/units/{unit}/binary/status")
    assert status == {"object": "photo.jpg", "held": 0, "complete": False}


def test_a_chunk_at_the_wrong_offset_is_refused_naming_the_expected_one(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    unit = depositor.unit(transaction, "Rapport", objects=[{"filename": "rapport.pdf"}])
    depositor.chunk(transaction, unit, REPORT[:100], 0, len(REPORT))
    refused = depositor.chunk(transaction, unit, REPORT[200:300], 200, len(REPORT), expected=409)
    assert "expected offset 100" in refused["message"]
    resumed = depositor.chunk(transaction, unit, REPORT[100:], 100, len(REPORT))
    assert resumed["complete"] and resumed["sha512"] == sha512(REPORT)


def test_closing_lists_every_problem_at_once(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    depositor.unit(transaction, "Sans binaire", objects=[{"filename": "absent.pdf"}])
    refused = depositor.json(
        "POST", f"/transactions/{transaction}/units", 422, json={"content": {"Title": "X", "Couleur": "bleu"}}
    )
    assert any("'Couleur' is not in the ontology" in problem for problem in refused["problems"])
    assert any("DescriptionLevel is required" in problem for problem in refused["problems"])
    bad_date = depositor.json(
        "POST",
        f"/transactions/{transaction}/units",
        422,
        json={"content": {"Title": "X", "DescriptionLevel": "Item", "StartDate": "hier"}},
    )
    assert any("StartDate 'hier' is not of type DATE" in problem for problem in bad_date["problems"])
    other = depositor.unit(transaction, "Autre sans binaire", objects=[{"filename": "b.pdf"}])

    closing = depositor.json("POST", f"/transactions/{transaction}/close", 422)
    assert len(closing["problems"]) == 2
    assert all("has not been received" in problem for problem in closing["problems"])
    assert any(other in problem and "'b.pdf'" in problem for problem in closing["problems"])
    assert depositor.json("GET", f"/transactions/{transaction}")["status"] == "OPEN"


def test_a_unit_is_corrected_while_open_and_frozen_once_closed(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    unit = depositor.unit(transaction, "Brouillon")
    path = f"/transactions/{transaction}/units/{unit}"
    fixed = depositor.json(
        "PATCH", path, json={"content": {"Title": "Définitif", "DescriptionLevel": "File"}}
    )
    assert fixed["content"]["Title"] == "Définitif"
    assert depositor.json("PATCH", path, 422, json={"parent": unit})["problems"]  # below itself
    depositor.json("POST", f"/transactions/{transaction}/close")
    refused = depositor.json("PATCH", path, 409, json={"content": {"Title": "Trop tard"}})
    assert "CLOSED" in refused["message"]
    depositor.json("POST", f"/transactions/{transaction}/reopen")
    assert depositor.json("PATCH", path, json={"management": {}})["content"]["Title"] == "Définitif"


def test_a_second_upload_of_a_binary_while_one_runs_is_refused(
    depositor: Depositor, platform: Platform
) -> None:
    """Two clients appending at the same offset would interleave their bytes: the upload
    holds a lock on the binary (here taken as a running upload would) and the other waits."""
    transaction = depositor.transaction()
    unit = depositor.unit(transaction, "Rapport", objects=[{"filename": "rapport.pdf"}])
    depositor.chunk(transaction, unit, REPORT[:100], 0, len(REPORT))
    (lock,) = (platform.settings.work_dir / "collect" / "1" / transaction).rglob("*.lock")
    with lock.open("a") as running:
        fcntl.flock(running, fcntl.LOCK_EX)
        refused = depositor.chunk(transaction, unit, REPORT[100:], 100, len(REPORT), expected=409)
        assert "another upload of it is in progress" in refused["message"]
    resumed = depositor.chunk(transaction, unit, REPORT[100:], 100, len(REPORT))
    assert resumed["complete"] and resumed["sha512"] == sha512(REPORT)


def test_aborting_deletes_every_staged_file(depositor: Depositor, platform: Platform) -> None:
    transaction = depositor.transaction()
    unit = depositor.unit(transaction, "Rapport", objects=[{"filename": "rapport.pdf"}])
    depositor.chunk(transaction, unit, REPORT[:100], 0, len(REPORT))
    staged = platform.settings.work_dir / "collect" / "1" / transaction
    assert any(path.is_file() for path in staged.rglob("*"))
    assert depositor.json("POST", f"/transactions/{transaction}/abort")["status"] == "ABORTED"
    assert not staged.exists()
    assert depositor.json("GET", f"/transactions/{transaction}/units") == []
    depositor.call("POST", f"/transactions/{transaction}/units", 409, json={"content": {}})


def test_a_project_names_only_what_the_tenant_holds(depositor: Depositor) -> None:
    refused = depositor.json(
        "POST",
        "/projects",
        422,
        json={"name": "P", "ingest_contract": "Inconnu", "originating_agency": "Nul", "attach_to": "absent"},
    )
    assert len(refused["problems"]) == 3
    project = depositor.project()
    changed = depositor.json("PATCH", f"/projects/{project}", json={"submission_agency": "test"})
    assert changed["submission_agency"] == "test" and changed["ingest_contract"] == CONTRACT
    listed = depositor.call("GET", "/projects")
    assert listed.headers["X-Total-Count"] == "1" and listed.json()[0]["id"] == project
    depositor.transaction(project)
    open_ones = depositor.call("GET", "/transactions", params={"status": "OPEN", "project": project})
    assert open_ones.headers["X-Total-Count"] == "1"


def test_another_tenant_sees_nothing_of_a_collect(depositor: Depositor, stranger: Depositor) -> None:
    project = depositor.project()
    transaction = depositor.transaction(project)
    unit = depositor.unit(transaction, "Secret", objects=[{"filename": "s.pdf"}])
    for path in (
        f"/projects/{project}",
        f"/transactions/{transaction}",
        f"/transactions/{transaction}/units",
        f"/transactions/{transaction}/units/{unit}",
        f"/transactions/{transaction}/units/{unit}/binary/status",
    ):
        assert stranger.json("GET", path, 404)["code"] == "NOT_FOUND"
    stranger.call("PUT", f"/transactions/{transaction}/units/{unit}/binary", 404, content=b"x")
    stranger.call("POST", f"/transactions/{transaction}/abort", 404)
    assert stranger.json("GET", "/transactions") == []


def test_a_deactivated_tenant_collects_nothing(depositor: Depositor, platform: Platform) -> None:
    transaction = depositor.transaction()
    with platform.database.unit_of_work() as session:
        admin.set_tenant_active(session, 1, False, agent="test", reason="leaves the platform")
    refused = depositor.json("POST", f"/transactions/{transaction}/units", 403, json={"content": {}})
    assert "deactivated" in refused["message"]
    depositor.call("POST", "/projects", 403, json={})


def test_the_openapi_documents_the_collect_routes(depositor: Depositor) -> None:
    paths = depositor.client.get("/api/v1/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths[f"{API}/projects"])
    binary = paths[f"{API}/transactions/{{transaction_id}}/units/{{unit_id}}/binary"]["put"]
    assert "application/octet-stream" in binary["requestBody"]["content"]
    for action in ("close", "reopen", "send", "abort", "reply", "upload"):
        assert any(path.endswith(f"/{action}") for path in paths), action


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2023, 5, 17, 10, 0, 0)), data)
    return buffer.getvalue()


METADATA_CSV = (
    "File;Title;Description;StartDate\n"
    ".;Conseil municipal;Les délibérations;\n"
    "2023/pv.pdf;Procès-verbal du 17 mai;;17/05/2023\n"
).encode()


def test_a_zipped_folder_and_its_csv_become_units_with_their_binaries(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    folder = zip_of({"conseil/2023/pv.pdf": REPORT, "conseil/2023/annexe.txt": PHOTO})
    files = {
        "file": ("conseil.zip", folder, "application/zip"),
        "metadata": ("metadata.csv", METADATA_CSV, "text/csv"),
    }
    added = depositor.json("POST", f"/transactions/{transaction}/upload", 201, files=files)

    by_title = {unit["content"]["Title"]: unit for unit in added}
    assert set(by_title) == {"Conseil municipal", "2023", "Procès-verbal du 17 mai", "annexe"}
    root, year = by_title["Conseil municipal"], by_title["2023"]
    assert root["parent"] is None and root["content"]["Description"] == "Les délibérations"
    assert year["parent"] == root["id"]
    report = by_title["Procès-verbal du 17 mai"]
    assert report["parent"] == year["id"] and report["content"]["StartDate"] == "2023-05-17"
    assert report["objects"][0]["received"] == {"size": len(REPORT), "sha512": sha512(REPORT)}

    assert depositor.json("POST", f"/transactions/{transaction}/close")["status"] == "CLOSED"


def test_a_zip_naming_a_path_outside_the_folder_is_refused_by_entry(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    evil = zip_of({"dossier/ok.txt": b"ok", "../../etc/evil.txt": b"gotcha"})
    refused = depositor.json(
        "POST", f"/transactions/{transaction}/upload", 400, content=evil, headers={"X-Filename": "evil.zip"}
    )
    assert refused["code"] == "ZIP_REFUSED" and "../../etc/evil.txt" in refused["message"]
    assert depositor.json("GET", f"/transactions/{transaction}/units") == []


def test_a_sip_the_ingest_refuses_leaves_the_transaction_ko_with_its_reply(depositor: Depositor) -> None:
    unknown_rule = {
        "AppraisalRule": {"Rules": [{"Rule": "APP-99999", "StartDate": "2024-01-01"}], "FinalAction": "Keep"}
    }
    refused = depositor.json(
        "POST",
        "/projects",
        422,
        json={
            "name": "P",
            "ingest_contract": CONTRACT,
            "originating_agency": AGENCY,
            "management": unknown_rule,
        },
    )
    assert refused["problems"] == ["rule 'APP-99999' of the default management does not exist"]
    transaction = depositor.transaction()
    depositor.unit(transaction, "Sous une règle inconnue", management=unknown_rule)
    depositor.json("POST", f"/transactions/{transaction}/close")
    depositor.json("POST", f"/transactions/{transaction}/send", 202)
    done = depositor.follow(transaction)
    assert done["status"] == "KO" and done["operation_id"]
    reply = etree.fromstring(depositor.call("GET", f"/transactions/{transaction}/reply").content)
    assert reply.findtext("{*}ReplyCode") == "KO"
    depositor.call("POST", f"/transactions/{transaction}/reopen", 409)


def test_a_project_attaches_its_sips_under_an_archived_node_with_its_default_rules(
    depositor: Depositor, archivist: Depositor
) -> None:
    first = depositor.transaction()
    depositor.unit(first, "Fonds de la mairie")
    depositor.json("POST", f"/transactions/{first}/close")
    depositor.json("POST", f"/transactions/{first}/send", 202)
    (fonds,) = units_of_operation(archivist, depositor.follow(first)["operation_id"]).values()

    rules = {
        "AppraisalRule": {"Rules": [{"Rule": "APP-00001", "StartDate": "2024-01-01"}], "FinalAction": "Keep"}
    }
    project = depositor.project(attach_to=fonds["id"], management=rules)
    transaction = depositor.transaction(project)
    depositor.unit(transaction, "Versement rattaché")
    depositor.json("POST", f"/transactions/{transaction}/close")
    depositor.json("POST", f"/transactions/{transaction}/send", 202)
    done = depositor.follow(transaction)
    assert done["status"] == "ACK", done

    (attached,) = units_of_operation(archivist, done["operation_id"]).values()
    assert attached["parents"] == [fonds["id"]]
    assert attached["management"]["AppraisalRule"]["Rules"][0]["Rule"] == "APP-00001"


def test_a_unit_with_children_stays_until_they_are_gone(depositor: Depositor, platform: Platform) -> None:
    transaction = depositor.transaction()
    parent = depositor.unit(transaction, "Dossier")
    child = depositor.unit(transaction, "Pièce", parent, objects=[{"filename": "p.txt"}])
    depositor.binary(transaction, child, PHOTO)
    refused = depositor.json("DELETE", f"/transactions/{transaction}/units/{parent}", 409)
    assert "child" in refused["message"]
    depositor.call("DELETE", f"/transactions/{transaction}/units/{child}", 204)
    assert not (platform.settings.work_dir / "collect" / "1" / transaction / "binaries" / child).exists()
    depositor.call("DELETE", f"/transactions/{transaction}/units/{parent}", 204)
    assert depositor.json("GET", f"/transactions/{transaction}")["units"] == 0


def test_transactions_are_listed_page_by_page(depositor: Depositor) -> None:
    project = depositor.project()
    opened = [depositor.transaction(project) for _ in range(3)]
    depositor.json("POST", f"/transactions/{opened[1]}/abort")
    page = depositor.call("GET", "/transactions", params={"project": project, "limit": 2, "offset": 1})
    assert page.headers["X-Total-Count"] == "3" and [row["id"] for row in page.json()] == opened[1:]
    aborted = depositor.json("GET", "/transactions", params={"status": "ABORTED"})
    assert [row["id"] for row in aborted] == [opened[1]]
    assert depositor.json("GET", "/transactions", 400, params={"status": "LOST"})["code"] == "INVALID_REQUEST"


def test_a_csv_naming_what_the_zip_lacks_is_refused_by_line(depositor: Depositor) -> None:
    transaction = depositor.transaction()
    folder = zip_of({"conseil/pv.pdf": REPORT, CSV_INSIDE: b"File,Title\npv.pdf,PV\nabsent.pdf,Absent\n"})
    refused = depositor.json(
        "POST", f"/transactions/{transaction}/upload", 400, content=folder, headers={"X-Filename": "c.zip"}
    )
    assert refused["code"] == "METADATA_CSV" and "line 3: absent.pdf" in refused["message"]
    assert depositor.json("GET", f"/transactions/{transaction}/units") == []


def test_every_unit_of_a_project_with_a_unit_profile_conforms_to_it(
    depositor: Depositor, platform: Platform
) -> None:
    schema = {"type": "object", "properties": {"DescriptionLevel": {"enum": ["File", "Item"]}}}
    profile = {
        "Identifier": "AUP_DOSSIER",
        "Name": "Dossier",
        "Status": "ACTIVE",
        "ControlSchema": json.dumps(schema),
    }
    ReferentialService(platform).import_file(1, "unit-profiles", json.dumps([profile]).encode(), agent="test")
    transaction = depositor.transaction(depositor.project(unit_profile="AUP_DOSSIER"))
    refused = depositor.json(
        "POST",
        f"/transactions/{transaction}/units",
        422,
        json={"content": {"Title": "Fonds", "DescriptionLevel": "RecordGrp"}},
    )
    assert "does not conform to archive-unit profile 'AUP_DOSSIER'" in refused["problems"][0]
    depositor.unit(transaction, "Dossier", content={"DescriptionLevel": "File"})


def _stranded(platform: Platform, depositor: Depositor) -> str:
    """A closed transaction left SENDING by a process that died while writing its SIP."""
    transaction = depositor.transaction()
    depositor.unit(transaction, "Registre", content={"DescriptionLevel": "Item"})
    depositor.json("POST", f"/transactions/{transaction}/close")
    with platform.database.unit_of_work() as session:
        stranded = session.get(CollectTransaction, (1, transaction))
        assert stranded is not None
        stranded.status, stranded.sender = "SENDING", f"{socket.gethostname()}:{DEAD_PID}"
    return transaction


DEAD_PID = 2**22 + 1
"""Above Linux's highest pid (`pid_max` is at most 2**22): no process has it."""


def test_a_transaction_a_dead_process_left_sending_is_closed_again_and_can_be_sent(
    platform: Platform, depositor: Depositor
) -> None:
    transaction = _stranded(platform, depositor)
    assert recover_sending(platform) == [transaction]
    assert depositor.json("GET", f"/transactions/{transaction}")["status"] == "CLOSED"
    depositor.json("POST", f"/transactions/{transaction}/send", 202)
    assert depositor.follow(transaction)["status"] == "ACK"


def test_a_transaction_whose_ingest_had_started_is_linked_to_it_on_recovery(
    platform: Platform, depositor: Depositor
) -> None:
    transaction = _stranded(platform, depositor)
    with platform.database.unit_of_work() as session:
        ingest = OperationLog(session, 1).start("INGEST", "test", sip_name(transaction)).id
    recover_sending(platform)
    state = depositor.json("GET", f"/transactions/{transaction}")
    assert (state["status"], state["operation_id"]) == ("SENT", ingest)
