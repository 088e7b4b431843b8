"""With the database lost, the index is rebuilt from one offer alone, identical to what it was."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from support import FIXTURES, postgres_schema

from archipel.core.errors import Conflict
from archipel.core.settings import load_settings
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog, OperationView
from archipel.metadata import service as metadata
from archipel.metadata.rebuild import rebuild
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

SIPS = [
    FIXTURES / "sip" / "ok" / name
    for name in (
        "OK_SIP_2_GO.zip",
        "OK_ARBO_rateau.zip",
        "OK_SIP_plusieurs_usages_dans_GOT.zip",
        "OK_SIP_FULL_SEDA2.2.zip",
    )
] + [FIXTURES / "sip" / "ko" / "KO_BORD_empreinte_KO.zip"]


def snapshot(platform: Platform, tenant: int) -> dict[str, Any]:
    referentials = ReferentialService(platform)
    with platform.database.unit_of_work() as session:
        units = metadata.unit_summaries(session, tenant, limit=10_000)
        logbook = OperationLog(session, tenant)
        return {
            "units": {unit["id"]: metadata.unit_detail(session, tenant, unit["id"]) for unit in units},
            "operations": [OperationView(op, logbook.events(op.id)).as_dict() for op in logbook.operations()],
            "replies": [op.reply for op in logbook.operations()],
            "referentials": {kind: referentials.entries(tenant, kind) for kind in ("rules", "agencies")},
            "unit_rules": {
                unit["id"]: [str(rule) for rule in _rules(session, tenant, unit["id"])] for unit in units
            },
        }


def _rules(session: Session, tenant: int, unit_id: str) -> list[tuple[object, ...]]:
    rules = UnitRepository(session, tenant).rules_of(unit_id)
    return [(rule.category, rule.rule_id, rule.start_date, rule.end_date) for rule in rules]


def test_the_index_rebuilt_from_one_offer_is_the_index_that_was_lost(
    platform: Platform, tmp_path: Path
) -> None:
    service = IngestService(platform)
    for tenant, sip in enumerate(SIPS):
        operation_id = service.submit(1 + tenant % 2, sip, sip.name)
        service.run(1 + tenant % 2, operation_id)
    before = {tenant: snapshot(platform, tenant) for tenant in (1, 2)}
    assert before[1]["units"] and before[2]["units"]
    assert any(before[2]["unit_rules"].values())  # OK_SIP_FULL_SEDA2.2 declares rules
    with platform.database.unit_of_work() as session:
        operations = sum(len(OperationLog(session, tenant).operations(limit=10_000)) for tenant in (0, 1, 2))

    # the database is lost; the offers remain; a new, empty database on the same engine
    with ExitStack() as stack:
        fresh = (
            f"sqlite:///{tmp_path / 'rebuilt.db'}"
            if platform.settings.is_sqlite
            else stack.enter_context(contextmanager(postgres_schema)())
        )
        _rebuild_and_compare(fresh, platform, before, operations)


def _rebuild_and_compare(
    fresh: str, platform: Platform, before: dict[int, dict[str, Any]], operations: int
) -> None:
    rebuilt = Platform(load_settings(platform.settings.home, database_url=fresh, demo=False))
    rebuilt.initialise()
    report = rebuild(rebuilt, offer_name="offer-2")
    try:
        assert report.units == sum(len(state["units"]) for state in before.values())
        assert report.operations == operations  # ingests, and the imports of referentials
        for tenant in (1, 2):
            assert snapshot(rebuilt, tenant) == before[tenant]
        with pytest.raises(Conflict):
            rebuild(rebuilt)
    finally:
        rebuilt.close()
