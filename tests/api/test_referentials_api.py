"""Referentials over HTTP: import all or nothing, edit one entry, export, per tenant.

Tenants 1 and 2 start with the baseline referentials (agencies, rules, ingest contracts).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from support import FIXTURES

REFERENTIALS = FIXTURES / "referentials"
RULES_OK = REFERENTIALS / "rules" / "rules_ok.csv"
RULES_SMALL = REFERENTIALS / "rules" / "jeu_donnees_OK_regles_CSV.csv"
READING_ROOM = json.dumps(
    [{"Identifier": "AC-SALLE", "Name": "Salle de lecture", "EveryOriginatingAgency": True}]
).encode()
"""An access contract the baseline (which holds ContratTNR) does not have yet."""
BASE = "/api/v1/referentials"


def rule_records(data: bytes) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return {row["RuleId"]: row for row in rows}


def test_import_replaces_the_rules_and_reports_what_changed(commune_a: Any) -> None:
    before, after = rule_records(RULES_OK.read_bytes()), rule_records(RULES_SMALL.read_bytes())
    response = commune_a.client.post(
        f"{BASE}/rules", headers=commune_a.headers(), content=RULES_SMALL.read_bytes()
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["errors"] == [] and report["version"] == 2 and report["operation_id"]
    assert set(report["created"]) == after.keys() - before.keys()
    assert set(report["deleted"]) == before.keys() - after.keys()
    assert set(report["updated"]) == {
        rule for rule in after.keys() & before.keys() if after[rule] != before[rule]
    }
    listed = commune_a.client.get(f"{BASE}/rules", headers=commune_a.headers())
    assert listed.headers["X-Total-Count"] == str(len(after))
    assert {rule["RuleId"] for rule in listed.json()} == after.keys()


def test_import_accepts_a_multipart_upload(commune_a: Any) -> None:
    response = commune_a.client.post(
        f"{BASE}/access-contracts",
        headers=commune_a.headers(),
        files={"file": ("salle.json", READING_ROOM, "application/json")},
    )
    assert response.status_code == 200, response.text
    assert "AC-SALLE" in response.json()["created"]


@pytest.mark.parametrize(
    ("file", "lines"),
    [("rules_ko_duration_negative.csv", [43, 75]), ("rules_ko_mauvais_separateur.csv", [4, 5, 6])],
)
def test_refused_import_is_422_with_every_bad_line_and_changes_nothing(
    commune_a: Any, file: str, lines: list[int]
) -> None:
    bad = (REFERENTIALS / "rules" / file).read_bytes()
    response = commune_a.client.post(f"{BASE}/rules", headers=commune_a.headers(), content=bad)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "IMPORT_REFUSED" and body["message"]
    assert [error["line"] for error in body["report"]["errors"]] == lines
    assert body["report"]["imported"] == 0 and body["report"]["version"] is None
    exported = commune_a.client.get(f"{BASE}/rules/export", headers=commune_a.headers())
    assert rule_records(exported.content) == rule_records(RULES_OK.read_bytes())


def test_export_is_the_file_in_vitam_layout(commune_a: Any) -> None:
    response = commune_a.client.get(f"{BASE}/rules/export", headers=commune_a.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="rules.csv"'
    exported = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert exported == list(csv.DictReader(io.StringIO(RULES_OK.read_text(encoding="utf-8-sig"))))
    contracts = commune_a.client.get(f"{BASE}/ingest-contracts/export", headers=commune_a.headers())
    assert contracts.headers["content-type"] == "application/json"
    assert contracts.headers["content-disposition"] == 'attachment; filename="ingest-contracts.json"'


def test_put_updates_an_entry_and_its_history_shows_both_versions(commune_a: Any) -> None:
    path = f"{BASE}/ingest-contracts/ArchivalAgreement0"
    contract = commune_a.client.get(path, headers=commune_a.headers()).json()
    changed = {**contract, "Description": "Contrat des archives municipales"}
    response = commune_a.client.put(path, headers=commune_a.headers(), json=changed)
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == ["ArchivalAgreement0"]
    assert (
        commune_a.client.get(path, headers=commune_a.headers()).json()["Description"]
        == changed["Description"]
    )
    history = commune_a.client.get(f"{path}/history", headers=commune_a.headers()).json()
    assert [(change["version"], change["action"]) for change in history] == [(1, "create"), (2, "update")]
    assert [change["document"]["Description"] for change in history] == [
        contract["Description"],
        changed["Description"],
    ]


def test_put_whose_document_names_another_entry_is_400(commune_a: Any) -> None:
    path = f"{BASE}/ingest-contracts/ArchivalAgreement1"
    contract = commune_a.client.get(
        f"{BASE}/ingest-contracts/ArchivalAgreement0", headers=commune_a.headers()
    )
    response = commune_a.client.put(path, headers=commune_a.headers(), json=contract.json())
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


def test_delete_of_an_agency(commune_a: Any) -> None:
    response = commune_a.client.delete(f"{BASE}/agencies/RATP", headers=commune_a.headers())
    assert response.status_code == 200, response.text
    assert response.json()["deleted"] == ["RATP"]
    assert commune_a.client.get(f"{BASE}/agencies/RATP", headers=commune_a.headers()).status_code == 404
    agencies = commune_a.client.get(f"{BASE}/agencies", headers=commune_a.headers()).json()
    assert "RATP" not in [agency["Identifier"] for agency in agencies]


def test_another_tenants_contract_is_not_found(commune_a: Any, commune_b: Any) -> None:
    imported = commune_a.client.post(
        f"{BASE}/access-contracts", headers=commune_a.headers(), content=READING_ROOM
    )
    assert imported.status_code == 200, imported.text
    listed = commune_b.client.get(f"{BASE}/access-contracts", headers=commune_b.headers()).json()
    assert "AC-SALLE" not in [contract["Identifier"] for contract in listed]
    for method, path in (
        ("GET", f"{BASE}/access-contracts/AC-SALLE"),
        ("GET", f"{BASE}/access-contracts/AC-SALLE/history"),
        ("DELETE", f"{BASE}/access-contracts/AC-SALLE"),
    ):
        response = commune_b.client.request(method, path, headers=commune_b.headers())
        assert response.status_code == 404, path
        assert response.json()["code"] == "NOT_FOUND"
    # Tenant 1's key presented for tenant 2 opens nothing.
    forged = commune_a.client.get(f"{BASE}/access-contracts", headers=commune_a.headers(tenant=2))
    assert forged.status_code == 403
    assert (
        commune_a.client.get(f"{BASE}/access-contracts/AC-SALLE", headers=commune_a.headers()).status_code
        == 200
    )


def test_every_call_needs_a_key(commune_a: Any) -> None:
    response = commune_a.client.get(f"{BASE}/rules", headers={"X-Tenant-Id": "1"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{BASE}/not-a-kind", 404),
        ("POST", f"{BASE}/rules", 400),
        ("PUT", f"{BASE}/agencies/RATP/file", 400),
    ],
    ids=["unknown kind", "empty upload", "kind without file"],
)
def test_bad_requests_are_json_errors(commune_a: Any, method: str, path: str, status: int) -> None:
    content = b"" if method == "POST" else RULES_OK.read_bytes()
    response = commune_a.client.request(method, path, headers=commune_a.headers(), content=content)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"code", "message"}
