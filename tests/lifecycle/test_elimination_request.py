"""An analysis becomes a request (PDF and CSV) that another person approves or refuses, once, logged."""

from __future__ import annotations

import csv
import io

import pytest
from elimination_fonds import Fonds
from elimination_steps import APPROVER, ARCHIVIST, analyse, requested

from archipel.core.errors import Conflict, Forbidden, NotFound
from archipel.lifecycle.elimination_request import (
    APPROVAL_OPERATION,
    REFUSAL_OPERATION,
    REQUEST_FILES,
    Actor,
    create_request,
    decide,
    request_file,
    show_request,
)
from archipel.logbook.service import OperationLog
from archipel.platform import Platform


def test_the_request_lists_units_dates_volumes_and_agencies_in_pdf_and_csv(
    platform: Platform, fonds: Fonds
) -> None:
    made = requested(platform, fonds)
    assert (made["units"], made["status"]) == (4, "PENDING") and made["bytes"] > 0
    request_id = made["request_id"]
    rows = list(
        csv.DictReader(
            io.StringIO(request_file(platform, 1, request_id, request_id, REQUEST_FILES[1]).decode())
        )
    )
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {fonds[role] for role in ("series.destroy", "file.a", "file.b", "file.free")}
    series = by_id[fonds["series.destroy"]]
    assert (series["appraisal_rule"], series["appraisal_end"], series["originating_agency"]) == (
        "APP-00002",
        "2015-01-01",
        "Service_producteur",
    )
    assert sum(int(row["bytes"]) for row in rows) == made["bytes"]
    assert request_file(platform, 1, request_id, request_id, REQUEST_FILES[2]).startswith(b"%PDF")
    shown = show_request(platform, 1, request_id)
    assert (shown["requested_by"], shown["status"]) == ("archiviste", "PENDING")


def test_approval_is_logged_with_who_and_when_and_given_once(platform: Platform, fonds: Fonds) -> None:
    request_id = requested(platform, fonds)["request_id"]
    decided = decide(platform, 1, request_id, True, APPROVER, "DUA échue")
    assert (decided["status"], decided["decided_by"]) == ("APPROVED", "directrice")
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.get(decided["operation_id"])
        events = logbook.events(operation.id)
    assert (operation.type, operation.agent, operation.outcome) == (APPROVAL_OPERATION, "cli", "OK")
    assert "approved by directrice" in events[0].message and decided["decided_at"] in events[0].message
    with pytest.raises(Conflict, match="already decided"):
        decide(platform, 1, request_id, False, Actor("cli", "autre"))


def test_refusal_is_logged_and_the_analysis_may_be_requested_again(platform: Platform, fonds: Fonds) -> None:
    request_id = requested(platform, fonds)["request_id"]
    decided = decide(platform, 1, request_id, False, APPROVER)
    assert decided["status"] == "REFUSED"
    with platform.database.unit_of_work() as session:
        assert OperationLog(session, 1).get(decided["operation_id"]).type == REFUSAL_OPERATION
    analysis = show_request(platform, 1, request_id)["analysis_id"]
    assert create_request(platform, 1, analysis, ARCHIVIST)["status"] == "PENDING"


def test_the_person_or_api_key_that_asked_may_not_approve(platform: Platform, fonds: Fonds) -> None:
    request_id = requested(platform, fonds)["request_id"]
    with pytest.raises(Forbidden, match="separation of duties"):
        decide(platform, 1, request_id, True, ARCHIVIST)
    analysis = analyse(platform, fonds)["operation_id"]
    key = Actor("api-key:K1", "alice", personal=True)
    by_key = create_request(platform, 1, analysis, key)["request_id"]
    with pytest.raises(Forbidden):
        decide(platform, 1, by_key, True, Actor("api-key:K1", "bob", personal=True))
    assert show_request(platform, 1, by_key)["status"] == "PENDING"


def test_a_request_of_another_tenant_is_not_found(platform: Platform, fonds: Fonds) -> None:
    request_id = requested(platform, fonds)["request_id"]
    with pytest.raises(NotFound):
        show_request(platform, 2, request_id)
    with pytest.raises(NotFound):
        decide(platform, 2, request_id, True, APPROVER)
    with pytest.raises(NotFound):
        request_file(platform, 2, request_id, request_id, REQUEST_FILES[2])
