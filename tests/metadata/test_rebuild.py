"""With the database lost, the index is rebuilt from one offer alone, identical to what it was."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from support import FIXTURES, empty_database, postgres_schema

from archipel.cli.main import main
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
    with empty_database(platform, tmp_path) as fresh:
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


class Crash(Exception):
    """What stops the first rebuild half way (a lost connection, a full disk...)."""


def _crash_after(keys: int) -> Callable[[int], None]:
    def progress(done: int) -> None:
        if done == keys:
            raise Crash(f"stopped after {keys} keys")

    return progress


@contextmanager
def database_lost(platform: Platform) -> Iterator[Platform]:
    """The database deleted (SQLite: its file; PostgreSQL: a new, empty schema), the offers kept:
    a new instance on the same home and offers, rebuilt from offer-2."""
    platform.close()
    if platform.settings.is_sqlite:
        path = Path(str(platform.settings.database_url).removeprefix("sqlite:///"))
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        urls: Iterator[str] = iter([str(platform.settings.database_url)])
    else:
        urls = postgres_schema()
    url = next(urls)
    instance = Platform(load_settings(platform.settings.home, database_url=url, demo=False, workers=2))
    try:
        instance.initialise()
        yield instance
    finally:
        instance.close()
        for _ in urls:  # drops the PostgreSQL schema
            pass


def _ingested(platform: Platform) -> dict[int, dict[str, Any]]:
    service = IngestService(platform)
    for tenant, sip in enumerate(SIPS[:4]):
        service.run(1 + tenant % 2, service.submit(1 + tenant % 2, sip, sip.name))
    return {tenant: snapshot(platform, tenant) for tenant in (1, 2)}


def test_a_rebuild_interrupted_half_way_resumes_from_its_last_checkpoint(platform: Platform) -> None:
    before = _ingested(platform)
    with database_lost(platform) as rebuilt:
        with pytest.raises(Crash):
            rebuild(rebuilt, "offer-2", progress=_crash_after(120), batch=10)
        with rebuilt.database.unit_of_work() as session:
            logbook = OperationLog(session, 0)
            interrupted = logbook.operations(limit=1, type_="REBUILD")[0]
            checkpoints = [e for e in logbook.events(interrupted.id) if e.step == "REBUILD_CHECKPOINT"]
        assert interrupted.outcome == "FATAL" and checkpoints  # some batches are in, the rest is not
        assert snapshot(rebuilt, 1) != before[1] or snapshot(rebuilt, 2) != before[2]

        listed: list[int] = []
        report = rebuild(rebuilt, "offer-2", progress=listed.append, batch=10)
        assert report.units == sum(len(state["units"]) for state in before.values())
        for tenant in (1, 2):
            assert snapshot(rebuilt, tenant) == before[tenant]
        with rebuilt.database.unit_of_work() as session:
            resumed = OperationLog(session, 0).operations(limit=1, type_="REBUILD")[0]
            messages = [event.message for event in OperationLog(session, 0).events(resumed.id)]
        assert resumed.outcome == "OK" and f"resumes rebuild {interrupted.id}" in messages[0]
        assert listed[-1] > 120  # the keys before the checkpoint are listed again, not read


def test_a_rebuild_of_one_tenant_reads_only_its_folder(platform: Platform) -> None:
    before = _ingested(platform)
    with database_lost(platform) as rebuilt:
        report = rebuild(rebuilt, "offer-1", tenant=2)
        assert report.units == len(before[2]["units"])
        assert snapshot(rebuilt, 2) == before[2]
        with rebuilt.database.unit_of_work() as session:
            assert metadata.unit_summaries(session, 1) == []
        with pytest.raises(Conflict):
            rebuild(rebuilt, "offer-1", tenant=2)  # tenant 2 holds archives now
        rebuild(rebuilt, "offer-1", tenant=1)  # tenant 1 does not
        assert snapshot(rebuilt, 1) == before[1]


def test_a_forced_rebuild_adds_what_the_database_lacks_and_keeps_what_it_holds(platform: Platform) -> None:
    before = _ingested(platform)
    with pytest.raises(Conflict):
        rebuild(platform, "offer-2")
    report = rebuild(platform, "offer-2", force=True)
    assert report.units == sum(len(state["units"]) for state in before.values())
    for tenant in (1, 2):
        assert snapshot(platform, tenant) == before[tenant]


def test_the_rebuild_command_prints_its_counts_refuses_a_full_database_and_adds_with_force(
    embedded: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _ingested(embedded)
    monkeypatch.setenv("ARCHIPEL_DATABASE_URL", f"sqlite:///{tmp_path / 'rebuilt.db'}")
    monkeypatch.setenv("ARCHIPEL_DEMO", "false")

    def archipel(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["archipel", "--home", str(embedded.settings.home), *args])
        with pytest.raises(SystemExit) as ended:
            main()
        captured = capsys.readouterr()
        return int(ended.value.code or 0), captured.out, captured.err

    code, out, _ = archipel("rebuild", "--offer", "offer-2", "--json")
    assert code == 0 and json.loads(out)["units"] == sum(len(state["units"]) for state in before.values())
    code, out, err = archipel("rebuild", "--offer", "offer-2", "--json")
    assert code == 1 and out == "" and "already holds archives" in err
    code, out, _ = archipel("rebuild", "--offer", "offer-2", "--force", "--json")
    assert code == 0 and json.loads(out)["units"] == sum(len(state["units"]) for state in before.values())
