"""What the mass update and rule recompute tests share: running them, and reading what they left.

The archive is the access tests' (`access.access_archive`): a series under AccessRule
ACC-00003 (25 years from 2020: closed until 2045) with three files under it (one
inheriting, one stopping inheritance for ACC-00001 from 2000, one refusing ACC-00003),
and a register of another agency.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from cli.test_tree_cli import Cli as TreeCli
from support import FIXTURES

from archipel.access.scope import AccessScope
from archipel.access.service import effective_rules_view
from archipel.lifecycle.mass_update import MassUpdateRequest, MassUpdateService
from archipel.lifecycle.unit_batches import BATCH, BatchedChange
from archipel.lifecycle.update_actions import UpdateActions
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.service import OperationLog, OperationView
from archipel.metadata.model import ArchiveUnit
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.referential.rules import export_rules, parse_rules
from archipel.storage import layout

RULES_FILE = FIXTURES / "referentials" / "rules" / "rules_ok.csv"


def ids_query(*unit_ids: str) -> dict[str, Any]:
    return {"$query": {"$in": {"#id": list(unit_ids)}}}


def mass_update(
    platform: Platform,
    actions: UpdateActions,
    query: dict[str, Any],
    tenant: int = 1,
    batch: int = BATCH,
) -> BatchedChange:
    """Submits and runs a mass update in this thread, as the command line does."""
    request = MassUpdateRequest(AccessScope.operator(tenant, "test"), query, actions)
    service = MassUpdateService(platform, batch)
    return service.run(service.submit(request, "test"), request)


def unit_row(platform: Platform, unit_id: str, tenant: int = 1) -> ArchiveUnit:
    with platform.database.unit_of_work() as session:
        unit = UnitRepository(session, tenant).unit(unit_id)
        session.expunge(unit)
        return unit


def own_rules(platform: Platform, unit_id: str, tenant: int = 1) -> list[tuple[str, str, str, str | None]]:
    """(category, rule, start, end) of the unit's `unit_rules` rows."""
    with platform.database.unit_of_work() as session:
        return [
            (rule.category, rule.rule_id, str(rule.start_date), rule.end_date and rule.end_date.isoformat())
            for rule in UnitRepository(session, tenant).rules_of(unit_id)
        ]


def effective_rules(platform: Platform, unit_id: str, tenant: int = 1) -> list[tuple[str, str | None, bool]]:
    """(rule, end, inherited) of each rule that applies to the unit, as the index holds them."""
    with platform.database.unit_of_work() as session:
        return [
            (rule["rule"], rule["end"], rule["inherited"])
            for rule in effective_rules_view(session, tenant, unit_id)
        ]


def lifecycle_events(platform: Platform, unit_id: str, tenant: int = 1) -> list[dict[str, Any]]:
    with platform.database.unit_of_work() as session:
        return lifecycle(session, tenant, unit_id, "unit")["lifecycle"]


def operation(platform: Platform, operation_id: str, tenant: int = 1) -> dict[str, Any]:
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        return OperationView(logbook.get(operation_id), logbook.events(operation_id)).as_dict()


def operations_of_type(platform: Platform, type_: str, tenant: int = 1) -> list[dict[str, Any]]:
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        return [OperationView(op, logbook.events(op.id)).as_dict() for op in logbook.operations(type_=type_)]


def stored_document(
    platform: Platform, offer: int, unit_id: str, version: int, tenant: int = 1
) -> dict[str, Any]:
    """A version of the unit's document as one offer holds it."""
    with platform.storage.offers[offer].open(layout.unit_key(tenant, unit_id, version)) as stream:
        return json.loads(stream.read().decode("utf-8"))


def stored_versions(platform: Platform, unit_id: str, tenant: int = 1) -> dict[str, list[int]]:
    """Offer name → the versions of the unit's document it holds (up to 5)."""
    return {
        offer.name: [v for v in range(1, 6) if offer.exists(layout.unit_key(tenant, unit_id, v))]
        for offer in platform.storage.offers
    }


def rules_file(**durations: int) -> bytes:
    """The baseline rules file with some durations changed (`ACC_00003=50`: 50 of its unit)."""
    rules, errors = parse_rules(RULES_FILE.read_bytes())
    assert not errors
    changed = {rule_id.replace("_", "-"): value for rule_id, value in durations.items()}
    return export_rules(
        [
            dataclasses.replace(
                rule, duration=changed[rule.rule_id], written_duration=str(changed[rule.rule_id])
            )
            if rule.rule_id in changed
            else rule
            for rule in rules
        ]
    )


@dataclass
class Cli(TreeCli):
    """`archipel ARGS…` in this process on this test's instance: (exit code, stdout, stderr)."""

    def __post_init__(self) -> None:
        self.monkeypatch.setenv("ARCHIPEL_DATABASE_URL", self.platform.settings.database_url)
        self.monkeypatch.setenv("ARCHIPEL_DEMO", "false")
