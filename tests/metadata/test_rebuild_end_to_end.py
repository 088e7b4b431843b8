"""Issue 13, end to end: an archive that lived (ingests, a mass update, a reclassification, an
elimination, requests waiting for their visa, securings) loses its database, is rebuilt from
one offer alone, and reads, searches, verifies and audits exactly as it did."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lifecycle.elimination_fonds import Fonds, ingest_fonds
from sqlalchemy import select
from support import FIXTURES
from test_rebuild import database_lost

from archipel.access.query.search import search_units
from archipel.access.scope import AccessScope
from archipel.access.service import effective_rules_view
from archipel.core.errors import Conflict
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.lifecycle.elimination_action import EliminationService
from archipel.lifecycle.elimination_analysis import EliminationAnalysisService
from archipel.lifecycle.elimination_request import Actor, create_request, decide, show_request
from archipel.lifecycle.mass_update import MassUpdateRequest, MassUpdateService
from archipel.lifecycle.update_actions import RuleAddition, UpdateActions
from archipel.logbook.securing import secure
from archipel.logbook.service import OperationLog, OperationView
from archipel.logbook.verification import verify_logbooks
from archipel.metadata import service as metadata
from archipel.metadata.model import ArchiveUnit
from archipel.metadata.rebuild import rebuild
from archipel.metadata.reclassification import reclassify
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.storage.audit import AuditRequest, AuditService
from archipel.storage.copies import AuditKind
from archipel.storage.selection import ObjectSelection

SIPS = ("OK_SIP_2_GO.zip", "OK_ARBO_rateau.zip", "OK_SIP_FULL_SEDA2.2.zip")
DAY = date(2026, 1, 1)
ARCHIVIST, APPROVER = Actor("cli", "archiviste"), Actor("cli", "directrice")
REVIEWED = "Relu lors du récolement 2026"
SEARCHES = (
    {"$query": {"$match_all": {"_all": "récolement"}}},
    {"$query": {"$match_all": {"_all": "offre"}}},
    {"$query": {"$exists": "Title"}},
)


def _ingest(platform: Platform, tenant: int, name: str) -> str:
    service = IngestService(platform)
    operation_id = service.submit(tenant, FIXTURES / "sip" / "ok" / name, name)
    assert service.run(tenant, operation_id).outcome in (Outcome.OK, Outcome.WARNING)
    return operation_id


def _units_of(platform: Platform, tenant: int, operation_id: str) -> list[ArchiveUnit]:
    with platform.database.unit_of_work() as session:
        query = select(ArchiveUnit).where(
            ArchiveUnit.tenant_id == tenant, ArchiveUnit.operation_id == operation_id
        )
        return list(session.scalars(query.order_by(ArchiveUnit.id)))


def _fonds(platform: Platform, folder: Path, tenant: int) -> Fonds:
    folder.mkdir()
    return ingest_fonds(platform, folder, tenant)


def _analysed_request(platform: Platform, tenant: int, fonds: Fonds) -> str:
    analyses = EliminationAnalysisService(platform)
    analysis = analyses.run(tenant, analyses.submit(tenant, json.loads(fonds.query), DAY, agent="test"))
    return create_request(platform, tenant, analysis["operation_id"], ARCHIVIST)["request_id"]


def _eliminate(platform: Platform, tenant: int, request_id: str) -> None:
    service = EliminationService(platform)
    service.run(tenant, service.submit(tenant, request_id, APPROVER), request_id)


def _live_archive(platform: Platform, folder: Path) -> dict[str, Any]:
    """Tenant 1: three transfers, updated, one unit reclassified, a fonds eliminated. Tenant 2:
    a fonds with one request approved and one waiting for its visa. Both secured."""
    for tenant, name in ((1, "Commune A"), (2, "Commune B")):  # as `archipel tenant create` does
        platform.write_tenant_document(tenant, name, "Métropole", False)
    ingests = [_ingest(platform, 1 + index % 2, name) for index, name in enumerate(SIPS)]
    units = _units_of(platform, 1, ingests[0])
    actions = UpdateActions(
        set_fields={"Description": REVIEWED},
        add_rules=(RuleAddition("AccessRule", "ACC-00003", date(2020, 1, 1)),),
    )
    update = MassUpdateRequest(
        AccessScope.operator(1, "test"), {"$query": {"$eq": {"#opi": ingests[0]}}}, actions
    )
    updates = MassUpdateService(platform)
    updates.run(updates.submit(update, "test"), update)
    moved = _units_of(platform, 1, ingests[2])[-1]
    reclassify(platform, 1, moved.id, attach=[units[0].id], agent="test")

    eliminated = _analysed_request(platform, 1, _fonds(platform, folder / "fonds-1", 1))
    decide(platform, 1, eliminated, True, APPROVER)
    _eliminate(platform, 1, eliminated)
    fonds = _fonds(platform, folder / "fonds-2", 2)
    approved = _analysed_request(platform, 2, fonds)
    decide(platform, 2, approved, True, APPROVER, comment="vu")
    waiting = _analysed_request(platform, 2, fonds)
    for tenant in (1, 2):
        secure(platform, tenant, "test")
    return {
        "moved": moved.id,
        "new_parent": units[0].id,
        "requests": {1: [eliminated], 2: [approved, waiting]},
    }


def state(platform: Platform, requests: dict[int, list[str]]) -> dict[int, dict[str, Any]]:
    """What an archivist sees of each tenant: units, rules, searches, logbooks, requests."""
    seen = {}
    for tenant in (1, 2):
        with platform.database.unit_of_work() as session:
            ids = [unit["id"] for unit in metadata.unit_summaries(session, tenant, limit=10_000)]
            repository = UnitRepository(session, tenant)
            logbook = OperationLog(session, tenant)
            seen[tenant] = {
                "units": {unit_id: metadata.unit_detail(session, tenant, unit_id) for unit_id in ids},
                "own_rules": {
                    unit_id: [
                        (rule.category, rule.rule_id, rule.start_date, rule.end_date)
                        for rule in repository.rules_of(unit_id)
                    ]
                    for unit_id in ids
                },
                "effective_rules": {
                    unit_id: effective_rules_view(session, tenant, unit_id) for unit_id in ids
                },
                "searches": [_found(session, tenant, query) for query in SEARCHES],
                "operations": [
                    OperationView(op, logbook.events(op.id)).as_dict()
                    for op in logbook.operations(limit=10_000)
                ],
            }
        seen[tenant]["verification"] = verify_logbooks(platform, tenant).as_dict()
        seen[tenant]["requests"] = [show_request(platform, tenant, request) for request in requests[tenant]]
    return seen


def _found(session: Any, tenant: int, query: dict[str, Any]) -> tuple[int, list[str]]:
    result = search_units(session, tenant, {**query, "$filter": {"$limit": 10_000}})
    return result.total, sorted(unit["#id"] for unit in result.results)


def integrity(platform: Platform, tenant: int) -> dict[str, Any]:
    service = AuditService(platform)
    request = AuditRequest(AuditKind.INTEGRITY, ObjectSelection(tenant))
    report = service.run(service.submit(request, "test"), request).as_dict()
    return {key: value for key, value in report.items() if key != "operation_id"}


def test_an_archive_rebuilt_from_one_offer_reads_searches_verifies_and_audits_as_before(
    platform: Platform, tmp_path: Path
) -> None:
    lived = _live_archive(platform, tmp_path)
    audits = {tenant: integrity(platform, tenant) for tenant in (1, 2)}
    before = state(platform, lived["requests"])
    assert lived["new_parent"] in before[1]["units"][lived["moved"]]["parents"]
    assert before[1]["searches"][0][0] > 0 and all(audit["faults"] == [] for audit in audits.values())
    assert [r["status"] for r in before[2]["requests"]] == ["APPROVED", "PENDING"]
    assert before[1]["requests"][0]["status"] == "ELIMINATED"
    assert all(before[tenant]["verification"]["ok"] for tenant in (1, 2))

    with database_lost(platform) as rebuilt:
        report = rebuild(rebuilt, offer_name="offer-2")
        assert report.units == sum(len(before[tenant]["units"]) for tenant in (1, 2))
        assert report.elimination_requests == 3
        after = state(rebuilt, lived["requests"])
        for tenant in (1, 2):
            for part in before[tenant]:
                assert after[tenant][part] == before[tenant][part], (tenant, part)
            assert integrity(rebuilt, tenant) == audits[tenant]
        # the requests carry on where they were: the approved one runs, the waiting one is decided
        approved, waiting = lived["requests"][2]
        _eliminate(rebuilt, 2, approved)
        assert show_request(rebuilt, 2, approved)["status"] == "ELIMINATED"
        assert decide(rebuilt, 2, waiting, False, APPROVER)["status"] == "REFUSED"
        with pytest.raises(Conflict):
            rebuild(rebuilt)
