"""The steps of an elimination as the tests take them: analyse, request, decide, run."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from elimination_fonds import Fonds

from archipel.lifecycle.elimination_action import EliminationReport, EliminationService
from archipel.lifecycle.elimination_analysis import EliminationAnalysisService
from archipel.lifecycle.elimination_request import Actor, create_request, decide
from archipel.platform import Platform

DAY = date(2026, 1, 1)
ARCHIVIST = Actor("cli", "archiviste")
APPROVER = Actor("cli", "directrice")


def analyse(platform: Platform, fonds: Fonds, day: date = DAY, tenant: int = 1) -> dict[str, Any]:
    service = EliminationAnalysisService(platform)
    return service.run(tenant, service.submit(tenant, json.loads(fonds.query), day, agent="test"))


def requested(platform: Platform, fonds: Fonds) -> dict[str, Any]:
    return create_request(platform, 1, analyse(platform, fonds)["operation_id"], ARCHIVIST)


def approved(platform: Platform, fonds: Fonds) -> str:
    request_id = requested(platform, fonds)["request_id"]
    decide(platform, 1, request_id, True, APPROVER)
    return request_id


def run(platform: Platform, request_id: str, tenant: int = 1) -> EliminationReport:
    service = EliminationService(platform)
    return service.run(tenant, service.submit(tenant, request_id, APPROVER), request_id)
