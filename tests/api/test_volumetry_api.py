"""Volumetry over HTTP: each tenant its own series; an organisation's bill to its own or to the platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from admin.volumetry_scenario import TARIFF_TOML, TOTAL, play
from callers import Caller
from fastapi.testclient import TestClient
from support import ACCESS_CONTRACT

from archipel.admin import service as admin
from archipel.admin.roles import Role
from archipel.admin.tariff import tariffs_file
from archipel.platform import Platform

QUARTER = {"from": "2026-01", "to": "2026-03"}
BILL = {"organisation": "Métropole", **QUARTER}


def get(caller: Caller, path: str, **params: str) -> Any:
    return caller.client.get(f"/api/v1/{path}", params=params, headers=caller.headers())


def key(platform: Platform, client: TestClient, tenant: int, role: Role) -> Caller:
    with platform.database.unit_of_work() as session:
        secret = admin.create_api_key(session, tenant, role.value, ACCESS_CONTRACT, role).secret
    return Caller(client, tenant, secret)


def test_a_tenant_reads_its_holdings_month_by_month_for_the_portals_chart(
    platform: Platform, commune_a: Caller, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    response = get(commune_a, "volumetry", **QUARTER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["tenant"], body["from"], body["to"]) == (1, "2026-01", "2026-03")
    assert [(month["month"], month["units"], month["bytes"]) for month in body["months"]] == [
        ("2026-01", 11, 305),
        ("2026-02", 11, 305),
        ("2026-03", 7, 122),
    ]
    assert body["months"][2]["bytes_eliminated"] == 183


def test_a_tenant_sees_only_its_own_volumetry(
    platform: Platform, commune_a: Caller, commune_b: Caller, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    assert [month["units"] for month in get(commune_b, "volumetry", **QUARTER).json()["months"]] == [0, 7, 7]
    elsewhere = commune_b.client.get("/api/v1/volumetry", params=QUARTER, headers=commune_b.headers(tenant=1))
    assert elsewhere.status_code == 403


def test_a_platform_administrator_reads_any_organisations_bill_as_json_csv_or_pdf(
    platform: Platform, client: TestClient, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    tariffs_file(platform.settings).write_text(TARIFF_TOML, encoding="utf-8")
    administrator = key(platform, client, 0, Role.PLATFORM_ADMIN)
    bill = get(administrator, "billing/report", **BILL)
    assert bill.status_code == 200, bill.text
    body = bill.json()
    assert (body["organisation"], body["total"], len(body["lines"])) == ("Métropole", TOTAL, 6)
    as_csv = get(administrator, "billing/report", **BILL, format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith("\ufeff".encode()) and b"616,19" in as_csv.content
    as_pdf = get(administrator, "billing/report", **BILL, format="pdf")
    assert as_pdf.headers["content-type"] == "application/pdf" and as_pdf.content.startswith(b"%PDF-")


def test_a_communes_administrator_reads_its_own_organisations_bill_and_no_other(
    platform: Platform, commune_a: Caller
) -> None:
    with platform.database.unit_of_work() as session:
        admin.create_tenant(session, "Commune C", "Autre agglomération", 3)
    own = get(commune_a, "billing/report", **BILL)
    assert own.status_code == 200 and own.json()["organisation"] == "Métropole"
    other = get(commune_a, "billing/report", **{**BILL, "organisation": "Autre agglomération"})
    nobody = get(commune_a, "billing/report", **{**BILL, "organisation": "Nulle part"})
    assert other.status_code == nobody.status_code == 404
    said = other.json()["message"].replace("Autre agglomération", "…")
    assert said == nobody.json()["message"].replace("Nulle part", "…")  # nothing tells one from the other


def test_an_archivist_reads_the_volumetry_but_not_the_bill(platform: Platform, client: TestClient) -> None:
    archivist = key(platform, client, 1, Role.ARCHIVIST)
    assert get(archivist, "volumetry").status_code == 200
    refused = get(archivist, "billing/report", **BILL)
    assert refused.status_code == 403 and "billing" in refused.json()["message"]


def test_a_malformed_or_reversed_period_is_refused(commune_a: Caller) -> None:
    assert get(commune_a, "volumetry", **{"from": "2026-1"}).status_code == 422
    reversed_ = get(commune_a, "volumetry", **{"from": "2026-03", "to": "2026-01"})
    assert reversed_.status_code == 400 and "comes after" in reversed_.json()["message"]
