"""Lifecycle logbooks of archive units and object groups (archipel/logbook/lifecycle.py)."""

from __future__ import annotations

import json

import pytest
from logbook_support import KO_SIP, ingest
from sqlalchemy.orm import Session

from archipel.core.errors import NotFound
from archipel.db.repository import TenantScope
from archipel.logbook import chain
from archipel.logbook.canonical import chain_link, link_hash
from archipel.logbook.lifecycle import (
    AUDIT,
    INGEST,
    LIFECYCLES_FILE,
    UNIT,
    LifecycleEvent,
    append_lifecycle,
    lifecycle,
)
from archipel.logbook.model import LifecycleEntry
from archipel.logbook.service import operation_files
from archipel.metadata.repository import UnitRepository
from archipel.metadata.tree import rename_node
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree
from archipel.storage import layout


def units_of(platform: Platform, operation_id: str) -> list[tuple[str, str | None]]:
    with platform.database.unit_of_work() as session:
        return [
            (unit.id, unit.object_group_id)
            for unit in UnitRepository(session, 1).units(operation_id=operation_id)
        ]


def test_an_ingest_opens_the_lifecycle_of_every_unit_and_object_group(platform: Platform) -> None:
    operation_id = ingest(platform)
    units = units_of(platform, operation_id)
    groups = {group for _, group in units if group}
    assert len(units) == 7 and len(groups) == 4
    with platform.database.unit_of_work() as session:
        for subject in [unit for unit, _ in units] + sorted(groups):
            history = lifecycle(session, 1, subject)["lifecycle"]
            assert [(entry["event"], entry["operation_id"], entry["outcome"]) for entry in history] == [
                (INGEST, operation_id, "OK")
            ]
            assert history[0]["chain"]["position"] >= 1
    unit_id = units[0][0]
    with platform.storage.offers[0].open(layout.unit_key(1, unit_id, 1)) as stream:
        document = json.loads(stream.read())
    with platform.database.unit_of_work() as session:
        entry = lifecycle(session, 1, unit_id)["lifecycle"][0]
    assert document["lifecycle"][0]["date"].startswith(entry["date"][:19])  # the same instant, in both


def test_a_refused_transfer_opens_no_lifecycle(platform: Platform) -> None:
    operation_id = ingest(platform, 1, KO_SIP)
    with platform.database.unit_of_work() as session:
        assert not UnitRepository(session, 1).units(operation_id=operation_id)
    with platform.database.unit_of_work() as session:
        files = dict(operation_files(session, 1, operation_id))
        assert lifecycle_count(session, operation_id) == 0
    assert LIFECYCLES_FILE not in files and "reply.xml" in files


def lifecycle_count(session: Session, operation_id: str) -> int:
    query = TenantScope(session, 1).select(LifecycleEntry).where(LifecycleEntry.operation_id == operation_id)
    return len(list(session.scalars(query)))


def test_a_change_of_a_unit_adds_to_its_lifecycle_what_its_new_version_says(platform: Platform) -> None:
    tree = "id,parent id,title,level,description\n1,,Administration générale,Series,\n"
    node = import_filing_tree(platform, 1, tree.encode(), plan=False).nodes["1"]
    change = rename_node(platform, 1, node, "Administration", agent="test")
    with platform.database.unit_of_work() as session:
        history = lifecycle(session, 1, node, UNIT)["lifecycle"]
    assert [entry["event"] for entry in history] == [INGEST, "LFC.FILING_TREE_UPDATE"]
    assert history[1]["operation_id"] == change.operation_id and "Administration" in history[1]["detail"]
    with platform.storage.offers[0].open(layout.unit_key(1, node, 2)) as stream:
        written = json.loads(stream.read())["lifecycle"][-1]
    assert (written["event"], written["detail"]) == (history[1]["event"], history[1]["detail"])


def test_other_modules_append_entries_sealed_in_the_tenants_chain(platform: Platform) -> None:
    operation_id = ingest(platform)
    unit_id = units_of(platform, operation_id)[0][0]
    with platform.database.unit_of_work() as session:
        (entry_id,) = append_lifecycle(
            session, 1, [LifecycleEvent(UNIT, unit_id, AUDIT, operation_id, "OK", "audited: 2 copies intact")]
        )
    with platform.database.unit_of_work() as session:
        entry = lifecycle(session, 1, unit_id)["lifecycle"][-1]
        head = chain.heads(session, 1)[chain.UNIT_LIFECYCLES]
    assert (entry["id"], entry["event"], entry["detail"]) == (entry_id, AUDIT, "audited: 2 copies intact")
    assert (entry["chain"]["position"], entry["chain"]["hash"]) == (head.position, head.hash)


def test_the_lifecycles_on_the_offers_let_anyone_recompute_each_hash(platform: Platform) -> None:
    operation_id = ingest(platform)
    key = layout.operation_file_key(1, operation_id, LIFECYCLES_FILE)
    with platform.storage.offers[1].open(key) as stream:
        document = json.loads(stream.read())
    assert len(document["entries"]) == 11  # 7 units, 4 object groups
    for entry in document["entries"]:
        link = entry.pop("chain")
        recomputed = link_hash(
            chain_link(1, link["kind"], link["chain"], link["position"], link["previous"], entry)
        )
        assert recomputed == link["hash"]


def test_a_lifecycle_of_another_tenant_or_of_nothing_is_not_found(platform: Platform) -> None:
    unit_id = units_of(platform, ingest(platform))[0][0]
    with platform.database.unit_of_work() as session, pytest.raises(NotFound):
        lifecycle(session, 2, unit_id)
    with platform.database.unit_of_work() as session, pytest.raises(NotFound):
        lifecycle(session, 1, "01a21295-0000-7000-8000-000000000000")
