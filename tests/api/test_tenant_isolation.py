"""A key of one commune sees nothing of another commune, even by guessing ids."""

from __future__ import annotations

from typing import Any

from support import FIXTURES
from test_ingest_api import upload, wait_for

SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"


def test_a_key_of_tenant_1_cannot_reach_anything_of_tenant_2(commune_a: Any, commune_b: Any) -> None:
    operation = wait_for(commune_b, upload(commune_b, SIP))
    assert operation["outcome"] == "OK"
    units_b = commune_b.client.get("/api/v1/units", headers=commune_b.headers()).json()
    unit_b = next(unit for unit in units_b if unit["object_group"])
    detail_b = commune_b.client.get(f"/api/v1/units/{unit_b['id']}", headers=commune_b.headers()).json()
    object_b = detail_b["objects"][0]["id"]

    # Tenant 1's key presented for tenant 2: refused, whatever is asked.
    for path in (
        "/api/v1/units",
        f"/api/v1/units/{unit_b['id']}",
        f"/api/v1/objects/{object_b}/binary",
        f"/api/v1/operations/{operation['id']}",
    ):
        response = commune_a.client.get(path, headers=commune_a.headers(tenant=2))
        assert response.status_code == 403, path

    # Tenant 1's key on tenant 1, guessing tenant 2's ids: nothing exists.
    assert commune_a.client.get("/api/v1/units", headers=commune_a.headers()).json() == []
    for path in (
        f"/api/v1/units/{unit_b['id']}",
        f"/api/v1/objects/{object_b}/binary",
        f"/api/v1/object-groups/{unit_b['object_group']}",
        f"/api/v1/operations/{operation['id']}",
        f"/api/v1/ingests/{operation['id']}/reply",
    ):
        response = commune_a.client.get(path, headers=commune_a.headers())
        assert response.status_code == 404, path
        assert response.json()["code"] == "NOT_FOUND"
    assert operation["id"] not in [
        op["id"] for op in commune_a.client.get("/api/v1/operations", headers=commune_a.headers()).json()
    ]
