"""`POST /api/v1/units/{id}/reclassify`: 200 with the parents; another tenant's unit is a 404, never a 403."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from metadata.reclassification_fonds import SERIES_RULE, Fonds, foreign_node, make_fonds

from archipel.platform import Platform


@pytest.fixture
def fonds(platform: Platform, tmp_path: Path) -> Fonds:
    return make_fonds(platform, tmp_path)


def reclassify(caller: Any, unit_id: str, body: Any, tenant: int | None = None) -> Any:
    return caller.client.post(
        f"/api/v1/units/{unit_id}/reclassify", headers=caller.headers(tenant), json=body
    )


def inherited(caller: Any, unit_id: str) -> set[tuple[str, str]]:
    response = caller.client.get(f"/api/v1/units/{unit_id}/rules", headers=caller.headers())
    assert response.status_code == 200, response.text
    return {(rule["rule"], rule["origin"]) for rule in response.json()["rules"]}


def test_moves_a_unit_and_its_rules_follow(commune_a: Any, fonds: Fonds) -> None:
    archive = fonds.archive
    assert inherited(commune_a, archive.closed) == {(SERIES_RULE, archive.series)}
    response = reclassify(
        commune_a, archive.closed, {"attach": [fonds.nodes["A"]], "detach": [archive.series]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["unit"], body["parents"], body["version"]) == (archive.closed, [fonds.nodes["A"]], 2)
    assert inherited(commune_a, archive.closed) == set()
    operation = commune_a.client.get(
        f"/api/v1/operations/{body['operation_id']}", headers=commune_a.headers()
    )
    assert operation.status_code == 200 and operation.json()["type"] == "RECLASSIFICATION"


def test_a_unit_or_parent_of_another_tenant_is_not_found(
    platform: Platform, commune_a: Any, commune_b: Any, fonds: Fonds
) -> None:
    node_b = foreign_node(platform)
    for body in ({"attach": [node_b]}, {"detach": [node_b]}, {"attach": ["no-such-unit"]}):
        response = reclassify(commune_a, fonds.archive.closed, body)
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND", response.text
    response = reclassify(commune_b, fonds.archive.closed, {"attach": [node_b]})
    assert response.status_code == 404, response.text
    response = reclassify(commune_b, node_b, {"attach": [fonds.nodes["A"]]})
    assert response.status_code == 404, response.text


def test_refusals_have_the_status_of_their_reason(commune_a: Any, fonds: Fonds) -> None:
    archive = fonds.archive
    refusals = [
        ({"attach": [archive.closed]}, 409, "CONFLICT"),  # under its own child: a cycle
        ({}, 400, "RECLASSIFICATION_REFUSED"),  # nothing to do
        ({"detach": [archive.other]}, 400, "RECLASSIFICATION_REFUSED"),  # not its parent
        ({"attach": [fonds.nodes["A"]], "detach": [fonds.nodes["A"]]}, 400, "RECLASSIFICATION_REFUSED"),
        ({"attach": archive.other}, 422, "INVALID_REQUEST"),  # not a list
        ({"parents": [archive.other]}, 422, "INVALID_REQUEST"),  # not a field of the request
    ]
    for body, status, code in refusals:
        response = reclassify(commune_a, archive.series, body)
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.text)
    response = reclassify(commune_a, fonds.nodes["A"], {"attach": [archive.series]})
    assert response.status_code == 400 and "cannot go under a INGEST unit" in response.json()["message"]
    units = commune_a.client.get(f"/api/v1/units/{archive.series}", headers=commune_a.headers()).json()
    assert units["parents"] == [] and units["version"] == 1
