"""Nodes of archived trees are renamed, moved and deleted as logged operations, nothing ever lost.

Each change writes the node's next document version to every offer and changes the index
in one commit; a refused change leaves no trace; a rebuild from an offer gives back the
trees as they were changed.
"""

from __future__ import annotations

import json
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import empty_database

from archipel.collect.sip_builder import Document, build_sip
from archipel.core.digests import sha512_bytes
from archipel.core.errors import Conflict, IntegrityFault, InvalidRequest, NotFound
from archipel.core.settings import load_settings
from archipel.db import migrate
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog, OperationView
from archipel.metadata import service as metadata
from archipel.metadata.rebuild import rebuild
from archipel.metadata.repository import UnitRepository
from archipel.metadata.tree import delete_node, list_trees, move_node, rename_node, show_tree
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree
from archipel.referential.service import ReferentialService
from archipel.storage import layout
from archipel.storage.model import PendingWrite
from archipel.storage.offer import OfferError

TREE = (
    "id,parent id,title,level,description\n"
    "1,,Administration générale,Series,\n"
    "1.1,1,Conseil municipal,Subseries,\n"
    "1.1.1,1.1,Délibérations,File,\n"
    "2,,Urbanisme,Series,\n"
)


def import_tree(platform: Platform, tenant: int = 1, plan: bool = False) -> dict[str, str]:
    result = import_filing_tree(platform, tenant, TREE.encode("utf-8"), plan=plan)
    assert result.accepted
    return result.nodes


def document(platform: Platform, tenant: int, unit_id: str, version: int) -> list[dict[str, Any]]:
    """The version of a unit's document as each offer holds it."""
    copies = []
    for offer in platform.storage.offers:
        with offer.open(layout.unit_key(tenant, unit_id, version)) as stream:
            copies.append(json.loads(stream.read()))
    return copies


def state(platform: Platform, tenant: int, unit_id: str) -> tuple[str, int, list[str]]:
    with platform.database.unit_of_work() as session:
        detail = metadata.unit_detail(session, tenant, unit_id)
    return detail["title"], detail["version"], detail["parents"]


def tree_operations(platform: Platform, tenant: int) -> list[OperationView]:
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        return [
            OperationView(op, logbook.events(op.id)) for op in logbook.operations(type_="FILING_TREE_UPDATE")
        ]


def archive_under(platform: Platform, tmp_path: Path, node: str) -> str:
    sip = build_sip(tmp_path / "sip.zip", [Document("Registre", "registre.txt", b"registre")], attach_to=node)
    service = IngestService(platform)
    operation_id = service.submit(1, sip.path, "sip.zip")
    service.run(1, operation_id)
    with platform.database.unit_of_work() as session:
        return next(
            unit.id
            for unit in UnitRepository(session, 1).units(operation_id=operation_id)
            if unit.manifest_id == "U0"
        )


# -- rename ----------------------------------------------------------------------------------------


def test_renaming_a_node_writes_its_next_version_and_keeps_the_first(platform: Platform) -> None:
    nodes = import_tree(platform)
    change = rename_node(platform, 1, nodes["1.1"], "  Conseil municipal et commissions ", agent="test")
    assert (change.version, change.title) == (2, "Conseil municipal et commissions")
    assert state(platform, 1, nodes["1.1"]) == ("Conseil municipal et commissions", 2, [nodes["1"]])
    first, second = document(platform, 1, nodes["1.1"], 1), document(platform, 1, nodes["1.1"], 2)
    assert {copy["title"] for copy in first} == {"Conseil municipal"}
    assert second[0] == second[1]
    assert second[0]["content"]["Title"] == "Conseil municipal et commissions"
    assert second[0]["lifecycle"][-1]["event"] == "LFC.FILING_TREE_UPDATE"
    assert second[0]["lifecycle"][-1]["operation_id"] == change.operation_id
    [operation] = tree_operations(platform, 1)
    logged = operation.as_dict()
    assert logged["id"] == change.operation_id and logged["outcome"] == "OK" and logged["agent"] == "test"
    assert any(event["code"] == "FILING_TREE_UPDATE.RENAME.OK" for event in logged["events"])
    assert platform.storage.exists_everywhere(
        layout.operation_file_key(1, change.operation_id, "logbook.json")
    )


def test_refuses_an_empty_title(platform: Platform) -> None:
    nodes = import_tree(platform)
    with pytest.raises(InvalidRequest):
        rename_node(platform, 1, nodes["1"], "   ")
    assert state(platform, 1, nodes["1"])[1] == 1 and tree_operations(platform, 1) == []


# -- move ------------------------------------------------------------------------------------------


def test_moving_a_node_takes_everything_under_it_along(platform: Platform) -> None:
    nodes = import_tree(platform)
    change = move_node(platform, 1, nodes["1.1"], nodes["2"])
    assert change.parents == [nodes["2"]] and change.version == 2
    assert state(platform, 1, nodes["1.1"])[2] == [nodes["2"]]
    with platform.database.unit_of_work() as session:
        moved = show_tree(session, 1, nodes["2"])
        left = show_tree(session, 1, nodes["1"])
    assert [child["id"] for child in moved["children"]] == [nodes["1.1"]]
    assert [child["id"] for child in moved["children"][0]["children"]] == [nodes["1.1.1"]]
    assert left["children"] == []
    assert document(platform, 1, nodes["1.1"], 2)[0]["parents"] == [nodes["2"]]


def test_moving_a_node_to_the_top_makes_it_a_tree_of_its_own(platform: Platform) -> None:
    nodes = import_tree(platform)
    move_node(platform, 1, nodes["1.1"], None)
    with platform.database.unit_of_work() as session:
        roots = {tree["id"]: tree["nodes"] for tree in list_trees(session, 1)}
    assert roots == {nodes["1"]: 1, nodes["1.1"]: 2, nodes["2"]: 1}


@pytest.mark.parametrize("target", ["1", "1.1", "1.1.1"])
def test_refuses_a_move_that_would_make_a_cycle(platform: Platform, target: str) -> None:
    nodes = import_tree(platform)
    with pytest.raises(Conflict, match="cycle"):
        move_node(platform, 1, nodes["1"], nodes[target])
    assert state(platform, 1, nodes["1"]) == ("Administration générale", 1, [])
    assert tree_operations(platform, 1) == []


def test_refuses_a_move_under_a_unit_of_another_tenant_as_not_found(platform: Platform) -> None:
    nodes = import_tree(platform)
    elsewhere = import_tree(platform, tenant=2)
    with pytest.raises(NotFound):
        move_node(platform, 1, nodes["2"], elsewhere["1"])
    with pytest.raises(NotFound):
        move_node(platform, 2, nodes["2"], elsewhere["1"])
    assert state(platform, 1, nodes["2"])[1:] == (1, [])


def test_refuses_a_move_the_attachment_rules_forbid(platform: Platform, tmp_path: Path) -> None:
    tree = import_tree(platform)
    plan = import_tree(platform, plan=True)
    with pytest.raises(Conflict, match="HOLDING_UNIT node cannot go under a FILING_UNIT"):
        move_node(platform, 1, plan["2"], tree["1.1"])
    archive = archive_under(platform, tmp_path, tree["2"])
    with pytest.raises(Conflict, match="cannot go under a INGEST unit"):
        move_node(platform, 1, tree["1.1"], archive)
    move_node(platform, 1, tree["1"], plan["2"])  # a filing tree may go under a plan
    assert state(platform, 1, tree["1"])[2] == [plan["2"]]


# -- delete ----------------------------------------------------------------------------------------


def test_deleting_a_leaf_node_leaves_a_tombstone_version(platform: Platform) -> None:
    nodes = import_tree(platform)
    change = delete_node(platform, 1, nodes["1.1.1"])
    assert change.deleted and change.version == 2
    with platform.database.unit_of_work() as session:
        assert UnitRepository(session, 1).find_unit(nodes["1.1.1"]) is None
        assert UnitRepository(session, 1).children_of(nodes["1.1"]) == []
    assert {copy["title"] for copy in document(platform, 1, nodes["1.1.1"], 1)} == {"Délibérations"}
    tombstone = document(platform, 1, nodes["1.1.1"], 2)[0]
    assert tombstone["deleted"] is True and tombstone["deleted_by"] == change.operation_id
    assert tombstone["parents"] == [nodes["1.1"]] and tombstone["title"] == "Délibérations"


def test_refuses_deleting_a_node_with_children_naming_how_many(platform: Platform, tmp_path: Path) -> None:
    nodes = import_tree(platform)
    with pytest.raises(Conflict, match="has 1 child unit"):
        delete_node(platform, 1, nodes["1"])
    archive_under(platform, tmp_path, nodes["2"])
    with pytest.raises(Conflict, match="has 1 child unit"):
        delete_node(platform, 1, nodes["2"])
    assert state(platform, 1, nodes["2"])[1] == 1 and tree_operations(platform, 1) == []


def test_refuses_deleting_a_node_an_ingest_contract_attaches_to(platform: Platform) -> None:
    nodes = import_tree(platform)
    contract = {"Identifier": "IC-URBA", "Name": "Urbanisme", "Status": "ACTIVE", "LinkParentId": nodes["2"]}
    ReferentialService(platform).put(1, "ingest-contracts", contract)
    with pytest.raises(Conflict, match="ingest contract IC-URBA"):
        delete_node(platform, 1, nodes["2"])


# -- what may be changed ---------------------------------------------------------------------------


def test_archives_are_not_changed_as_tree_nodes(platform: Platform, tmp_path: Path) -> None:
    nodes = import_tree(platform)
    archive = archive_under(platform, tmp_path, nodes["2"])
    for change in (
        lambda: rename_node(platform, 1, archive, "Autre"),
        lambda: move_node(platform, 1, archive, nodes["1"]),
        lambda: delete_node(platform, 1, archive),
    ):
        with pytest.raises(InvalidRequest, match="archive"):
            change()
    assert state(platform, 1, archive) == ("Versement", 1, [nodes["2"]])


def test_a_node_of_another_tenant_is_not_found(platform: Platform) -> None:
    nodes = import_tree(platform)
    for change in (
        lambda: rename_node(platform, 2, nodes["1"], "Autre"),
        lambda: move_node(platform, 2, nodes["1.1"], None),
        lambda: delete_node(platform, 2, nodes["1.1.1"]),
    ):
        with pytest.raises(NotFound):
            change()


def test_a_failing_offer_leaves_the_node_as_it_was(embedded: Platform) -> None:
    nodes = import_tree(embedded)
    folder = Path(str(embedded.storage.offers[1].root)) / layout.unit_key(1, nodes["2"], 1)
    folder = folder.parent
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("a file where the unit's folder should be")  # the next version cannot go there

    with pytest.raises(OfferError):
        rename_node(embedded, 1, nodes["2"], "Aménagement")
    assert state(embedded, 1, nodes["2"]) == ("Urbanisme", 1, [])
    assert not embedded.storage.offers[0].exists(layout.unit_key(1, nodes["2"], 2))
    [operation] = tree_operations(embedded, 1)
    assert operation.operation.outcome == "FATAL"
    with embedded.database.unit_of_work() as session:
        assert session.query(PendingWrite).count() == 0


def test_a_version_the_index_does_not_know_is_never_overwritten(platform: Platform) -> None:
    nodes = import_tree(platform)
    stray = layout.unit_key(1, nodes["2"], 2)
    platform.storage.offers[1].put(stray, b"{}", sha512_bytes(b"{}"))
    with pytest.raises(IntegrityFault, match="offer-2"):
        rename_node(platform, 1, nodes["2"], "Aménagement")
    assert state(platform, 1, nodes["2"]) == ("Urbanisme", 1, [])
    assert platform.storage.offers[1].exists(stray) and tree_operations(platform, 1) == []


# -- reading and rebuilding ------------------------------------------------------------------------


def test_lists_trees_and_plans_with_their_sizes_and_shows_them_nested(
    platform: Platform, tmp_path: Path
) -> None:
    plan = import_tree(platform, plan=True)
    data = f"id,parent id,title,level,description\nA,{plan['2']},Permis,Series,\nA.1,A,2024,File,\n"
    tree = import_filing_tree(platform, 1, data.encode()).nodes
    archive_under(platform, tmp_path, tree["A.1"])
    with platform.database.unit_of_work() as session:
        trees = {t["id"]: (t["unit_type"], t["nodes"], t["parents"]) for t in list_trees(session, 1)}
        shown = show_tree(session, 1, plan["2"])
    assert trees == {
        plan["1"]: ("HOLDING_UNIT", 3, []),
        plan["2"]: ("HOLDING_UNIT", 1, []),
        tree["A"]: ("FILING_UNIT", 2, [plan["2"]]),
    }
    [permis] = shown["children"]
    assert (permis["title"], permis["archives"]) == ("Permis", 0)
    assert [(n["title"], n["archives"]) for n in permis["children"]] == [("2024", 1)]


def snapshot(platform: Platform, tenant: int) -> dict[str, Any]:
    with platform.database.unit_of_work() as session:
        units = metadata.unit_summaries(session, tenant, limit=10_000)
        trees = list_trees(session, tenant)
        logbook = OperationLog(session, tenant)
        return {
            "trees": trees,
            "shown": [show_tree(session, tenant, tree["id"]) for tree in trees],
            "units": {unit["id"]: metadata.unit_detail(session, tenant, unit["id"]) for unit in units},
            "operations": [OperationView(op, logbook.events(op.id)).as_dict() for op in logbook.operations()],
        }


def test_rebuild_after_renames_moves_and_deletions_gives_the_same_trees(
    platform: Platform, tmp_path: Path
) -> None:
    nodes = import_tree(platform)
    plan = import_tree(platform, plan=True)
    rename_node(platform, 1, nodes["1.1"], "Conseil")
    rename_node(platform, 1, nodes["1.1"], "Conseil municipal (1945-)")
    move_node(platform, 1, nodes["1.1"], nodes["2"])
    move_node(platform, 1, nodes["1"], plan["1"])
    delete_node(platform, 1, nodes["1.1.1"])
    delete_node(platform, 1, plan["2"])
    before = snapshot(platform, 1)
    assert nodes["1.1.1"] not in before["units"] and len(before["trees"]) == 3

    with ExitStack() as stack:
        fresh = stack.enter_context(empty_database(platform, tmp_path))
        rebuilt = stack.enter_context(
            _closing(Platform(load_settings(platform.settings.home, database_url=fresh)))
        )
        migrate.upgrade(rebuilt.database)  # an empty database: `initialise` would load referentials
        report = rebuild(rebuilt, offer_name="offer-2", tenant=1)
        assert report.units == len(before["units"])
        assert snapshot(rebuilt, 1) == before


@contextmanager
def _closing(instance: Platform) -> Any:
    try:
        yield instance
    finally:
        instance.close()
