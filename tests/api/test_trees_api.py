"""Filing trees over HTTP: import (CSV or SEDA ZIP), read, rename, move, delete nodes, per tenant."""

from __future__ import annotations

from typing import Any

from support import FIXTURES

BASE = "/api/v1/trees"
TREE = (
    "id,parent id,title,level,description\n"
    "1,,Administration générale,Series,\n"
    "1.1,1,Conseil municipal,Subseries,\n"
    "2,,Urbanisme,,\n"
).encode()
FILING = FIXTURES / "referentials" / "filing"


def imported(caller: Any, data: bytes = TREE, plan: bool = False) -> dict[str, Any]:
    response = caller.client.post(
        BASE, headers=caller.headers(), content=data, params={"plan": "true"} if plan else None
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_imports_a_csv_tree_and_reads_it_back(commune_a: Any) -> None:
    tree = imported(commune_a)
    assert tree["workflow"] == "FILING_SCHEME" and tree["units"] == 3 and tree["operation_id"]
    listed = commune_a.client.get(BASE, headers=commune_a.headers()).json()
    assert {(t["id"], t["nodes"]) for t in listed} == {(tree["nodes"]["1"], 2), (tree["nodes"]["2"], 1)}
    shown = commune_a.client.get(f"{BASE}/{tree['nodes']['1']}", headers=commune_a.headers()).json()
    assert [child["id"] for child in shown["children"]] == [tree["nodes"]["1.1"]]


def test_imports_a_plan_sent_as_a_multipart_seda_zip(commune_a: Any) -> None:
    sip = FILING / "OK_arbre_AN.zip"
    with sip.open("rb") as stream:
        response = commune_a.client.post(
            BASE,
            headers=commune_a.headers(),
            params={"plan": "true"},
            files={"file": (sip.name, stream, "application/zip")},
        )
    assert response.status_code == 201, response.text
    assert response.json()["workflow"] == "HOLDING_SCHEME" and response.json()["units"] == 6


def test_a_faulty_file_is_422_with_every_bad_line(commune_a: Any) -> None:
    response = commune_a.client.post(BASE, headers=commune_a.headers(), content=TREE + b"3,1,,Dossier,\n")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "IMPORT_REFUSED" and body["report"]["kind"] == "filing-tree"
    assert [error["line"] for error in body["report"]["errors"]] == [5, 5]


def test_a_refused_transfer_is_422_with_its_events(commune_a: Any) -> None:
    response = commune_a.client.post(
        BASE, headers=commune_a.headers(), content=(FILING / "KO_Arbre_empty_title.zip").read_bytes()
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "TRANSFER_REFUSED" and body["reply_code"] == "KO"
    assert any(event["code"] == "CHECK_UNIT_SCHEMA.INVALID_UNIT.KO" for event in body["events"])


def test_renames_moves_and_deletes_nodes(commune_a: Any) -> None:
    nodes = imported(commune_a)["nodes"]
    node = f"{BASE}/nodes/{nodes['1.1']}"
    renamed = commune_a.client.patch(node, headers=commune_a.headers(), json={"title": "Conseil"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["title"], renamed.json()["version"]) == ("Conseil", 2)
    moved = commune_a.client.patch(node, headers=commune_a.headers(), json={"parent": nodes["2"]})
    assert moved.json()["parents"] == [nodes["2"]]
    top = commune_a.client.patch(node, headers=commune_a.headers(), json={"parent": None})
    assert top.json()["parents"] == []
    deleted = commune_a.client.delete(node, headers=commune_a.headers())
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert commune_a.client.get(f"{BASE}/{nodes['1.1']}", headers=commune_a.headers()).status_code == 404


def test_refused_changes_answer_409_or_400(commune_a: Any) -> None:
    nodes = imported(commune_a)["nodes"]
    headers = commune_a.headers()
    cycle = commune_a.client.patch(
        f"{BASE}/nodes/{nodes['1']}", headers=headers, json={"parent": nodes["1.1"]}
    )
    assert cycle.status_code == 409 and cycle.json()["code"] == "CONFLICT"
    parent = commune_a.client.delete(f"{BASE}/nodes/{nodes['1']}", headers=headers)
    assert parent.status_code == 409 and "1 child unit" in parent.json()["message"]
    both = commune_a.client.patch(
        f"{BASE}/nodes/{nodes['1']}", headers=headers, json={"title": "x", "parent": None}
    )
    assert both.status_code == 400
    empty = commune_a.client.patch(f"{BASE}/nodes/{nodes['1']}", headers=headers, json={"title": " "})
    assert empty.status_code == 400


def test_another_tenants_tree_is_not_found(commune_a: Any, commune_b: Any) -> None:
    nodes = imported(commune_a)["nodes"]
    assert commune_b.client.get(BASE, headers=commune_b.headers()).json() == []
    for response in (
        commune_b.client.get(f"{BASE}/{nodes['1']}", headers=commune_b.headers()),
        commune_b.client.patch(
            f"{BASE}/nodes/{nodes['1']}", headers=commune_b.headers(), json={"title": "x"}
        ),
        commune_b.client.delete(f"{BASE}/nodes/{nodes['1.1']}", headers=commune_b.headers()),
    ):
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    own = imported(commune_b)["nodes"]
    elsewhere = commune_b.client.patch(
        f"{BASE}/nodes/{own['2']}", headers=commune_b.headers(), json={"parent": nodes["1"]}
    )
    assert elsewhere.status_code == 404
