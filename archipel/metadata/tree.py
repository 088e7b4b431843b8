"""Filing trees and classification plans once archived: read them, rename, move, delete nodes.

A tree's nodes are archive units of type FILING_UNIT or HOLDING_UNIT (made by the
FILING_SCHEME and HOLDING_SCHEME ingest workflows); transfers of archives attach under
them. Archivists reshape their trees as services reorganise, so these units, unlike
archives, may be renamed, moved and deleted here; archives change through the lifecycle
operations. Each change is one `FILING_TREE_UPDATE` operation that writes the unit's next
document version (`archipel.metadata.versioning`): a moved node carries the archives
under it along, and a deletion leaves a tombstone version, never erasing the earlier ones.

The rules of place are the ingest's (`ATTACHABLE_UNDER`): a node goes only where a
transfer of its own workflow could attach it, so moving can never put a plan under the
archives it classifies, nor make a cycle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from archipel.admin.volumetry import record_node_deleted
from archipel.core.errors import Conflict, InvalidRequest
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, UnitParent, UnitRule
from archipel.metadata.reclassification import (
    WORKFLOW_OF,
    check_place,
    current_parents,
    parents_edit,
    refuse_held_branch,
)
from archipel.metadata.repository import UnitRepository
from archipel.metadata.versioning import (
    Document,
    UnitEdit,
    UnitEditor,
    change_unit,
    lock_existing_unit,
    next_version,
    tombstone,
)
from archipel.referential.service import visible_documents

if TYPE_CHECKING:
    from archipel.platform import Platform

OPERATION = "FILING_TREE_UPDATE"
LIFECYCLE_EVENT = "LFC.FILING_TREE_UPDATE"
NODE_TYPES = ("FILING_UNIT", "HOLDING_UNIT")
ARCHIVE_TYPE = "INGEST"


@dataclass(frozen=True)
class NodeChange:
    """What a change did: the operation that logged it and the node's new version."""

    operation_id: str
    unit_id: str
    version: int
    title: str | None
    parents: list[str]
    deleted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# -- reading -----------------------------------------------------------------------------------


@dataclass
class _Forest:
    """Every node of a tenant's trees, with the links between them, read in three queries."""

    units: dict[str, ArchiveUnit]
    parents: dict[str, list[str]]
    children: dict[str, list[str]]
    archives: dict[str, int]
    """Node id → archive units attached directly under it."""

    def is_root(self, unit_id: str) -> bool:
        """A node none of whose parents is a node of its own type: the top of one tree.

        A plan attached under a node of a holding tree is still a tree of its own.
        """
        unit_type = self.units[unit_id].unit_type
        return not any(
            parent in self.units and self.units[parent].unit_type == unit_type
            for parent in self.parents.get(unit_id, [])
        )

    def descendants(self, unit_id: str, same_type: bool) -> list[str]:
        """The node and every node below it (of its type only, with `same_type`), each once."""
        unit_type = self.units[unit_id].unit_type
        seen, order, stack = {unit_id}, [unit_id], [unit_id]
        while stack:
            for child in self.children.get(stack.pop(), []):
                if child not in seen and (not same_type or self.units[child].unit_type == unit_type):
                    seen.add(child)
                    order.append(child)
                    stack.append(child)
        return order


def _forest(session: Session, tenant: int) -> _Forest:
    scope = TenantScope(session, tenant)
    query = scope.select(ArchiveUnit).where(ArchiveUnit.unit_type.in_(NODE_TYPES))
    units = {unit.id: unit for unit in session.scalars(query.order_by(ArchiveUnit.id))}
    parents = UnitRepository(session, tenant).parents_of(units)
    children: dict[str, list[str]] = defaultdict(list)
    for unit_id, unit_parents in parents.items():
        for parent in unit_parents:
            if parent in units:
                children[parent].append(unit_id)
    for siblings in children.values():  # in title order, as people look for a node
        siblings.sort(key=lambda unit_id: (units[unit_id].title.casefold(), unit_id))
    return _Forest(units, parents, children, _archives_under(session, tenant, units))


def _archives_under(session: Session, tenant: int, node_ids: Iterable[str]) -> dict[str, int]:
    archives = TenantScope(session, tenant).select(ArchiveUnit).where(ArchiveUnit.unit_type == ARCHIVE_TYPE)
    query = (
        TenantScope(session, tenant)
        .select(UnitParent)
        .where(UnitParent.unit_id.in_(archives.with_only_columns(ArchiveUnit.id)))
        .with_only_columns(UnitParent.parent_id, func.count())
        .group_by(UnitParent.parent_id)
    )
    wanted = set(node_ids)
    return {parent: count for parent, count in session.execute(query) if parent in wanted}


def list_trees(session: Session, tenant: int) -> list[dict[str, Any]]:
    """The tenant's trees and plans: each root node, where it is attached, and its size."""
    forest = _forest(session, tenant)
    return [
        {
            "id": unit.id,
            "title": unit.title,
            "level": unit.level,
            "unit_type": unit.unit_type,
            "workflow": WORKFLOW_OF[unit.unit_type],
            "operation_id": unit.operation_id,
            "parents": forest.parents.get(unit.id, []),
            "nodes": len(forest.descendants(unit.id, same_type=True)),
        }
        for unit in forest.units.values()
        if forest.is_root(unit.id)
    ]


def show_tree(session: Session, tenant: int, root_id: str) -> dict[str, Any]:
    """A node and every node under it, nested, each with the count of archives attached to it."""
    forest = _forest(session, tenant)
    if root_id not in forest.units:
        unit = UnitRepository(session, tenant).unit(root_id)  # NotFound when not in this tenant
        raise InvalidRequest(f"unit {unit.id} is {unit.unit_type}, not a node of a filing tree or plan")

    def node(unit_id: str, path: frozenset[str]) -> dict[str, Any]:
        unit = forest.units[unit_id]
        below = [child for child in forest.children.get(unit_id, []) if child not in path]
        return {
            "id": unit.id,
            "title": unit.title,
            "level": unit.level,
            "unit_type": unit.unit_type,
            "archives": forest.archives.get(unit_id, 0),
            "children": [node(child, path | {child}) for child in below],
        }

    shown = node(root_id, frozenset({root_id}))
    shown["parents"] = forest.parents.get(root_id, [])
    return shown


# -- changing ----------------------------------------------------------------------------------


def _node(session: Session, tenant: int, unit_id: str) -> ArchiveUnit:
    unit = lock_existing_unit(session, tenant, unit_id)
    if unit.unit_type not in NODE_TYPES:
        raise InvalidRequest(
            f"unit {unit_id} is an archive ({unit.unit_type}), not a node of a filing tree or plan: "
            "archives are changed by lifecycle operations"
        )
    return unit


def _change_node(
    platform: Platform, tenant: int, unit_id: str, agent: str | None, editor: UnitEditor
) -> NodeChange:
    operation_id, document = change_unit(platform, tenant, OPERATION, unit_id, editor, agent, _node)
    return NodeChange(
        operation_id,
        unit_id,
        document["version"],
        document.get("title"),
        list(document.get("parents") or []),
        bool(document.get("deleted")),
    )


def rename_node(
    platform: Platform, tenant: int, unit_id: str, title: str, agent: str | None = None
) -> NodeChange:
    """Gives a node a new title (its `Content/Title`); InvalidRequest for an empty one."""
    new_title = title.strip()
    if not new_title:
        raise InvalidRequest("a node's title cannot be empty")

    def editor(_session: Session, unit: ArchiveUnit, document: Document, operation_id: str) -> UnitEdit:
        detail = f"title {unit.title!r} → {new_title!r}"
        changed = next_version(document, operation_id, LIFECYCLE_EVENT, detail)
        changed["title"] = new_title
        changed["content"] = {**(changed.get("content") or {}), "Title": new_title}

        def index(_session: Session, row: ArchiveUnit) -> None:
            row.title = new_title
            row.content = changed["content"]
            row.version = changed["version"]

        return UnitEdit(changed, index, "RENAME", detail)

    return _change_node(platform, tenant, unit_id, agent, editor)


def move_node(
    platform: Platform, tenant: int, unit_id: str, new_parent_id: str | None, agent: str | None = None
) -> NodeChange:
    """Puts a node (and everything under it) under another unit, or at the top with None.

    Refused: a parent not in this tenant (NotFound, like a missing one), a parent the
    attachment rules forbid for the node's type, or one below the node itself (Conflict).
    The node's former `Management/UpdateOperation`, which named its first place, is dropped:
    `parents` says where it is, the lifecycle where it was.
    """
    parents = [new_parent_id] if new_parent_id else []

    def check(session: Session, unit: ArchiveUnit) -> None:
        for parent_id in parents:
            check_place(session, tenant, unit, parent_id, Conflict)
        refuse_held_branch(session, tenant, unit.id, "move")

    def editor(session: Session, unit: ArchiveUnit, document: Document, operation_id: str) -> UnitEdit:
        check(session, unit)
        before = current_parents(session, tenant, unit.id)
        detail = f"moved from {', '.join(before) or 'the top'} to {new_parent_id or 'the top'}"
        return parents_edit(tenant, document, operation_id, parents, check, "MOVE", detail, LIFECYCLE_EVENT)

    return _change_node(platform, tenant, unit_id, agent, editor)


def delete_node(platform: Platform, tenant: int, unit_id: str, agent: str | None = None) -> NodeChange:
    """Deletes a node with nothing under it and that no contract names (else Conflict).

    Its document gets a tombstone version and its index rows go; its earlier versions
    stay on the offers.
    """

    def editor(session: Session, unit: ArchiveUnit, document: Document, operation_id: str) -> UnitEdit:
        _check_deletable(session, tenant, unit)
        detail = f"node {unit.title!r} deleted"
        gone = tombstone(document, operation_id, LIFECYCLE_EVENT, detail)

        def index(session: Session, row: ArchiveUnit) -> None:
            _check_deletable(session, tenant, row)
            scope = TenantScope(session, tenant)
            for model in (UnitParent, UnitRule):
                for link in session.scalars(scope.select(model).where(model.unit_id == row.id)):
                    session.delete(link)
            session.flush()
            session.delete(row)
            record_node_deleted(session, tenant, operation_id)

        return UnitEdit(gone, index, "DELETE", detail)

    return _change_node(platform, tenant, unit_id, agent, editor)


def _check_deletable(session: Session, tenant: int, unit: ArchiveUnit) -> None:
    children = UnitRepository(session, tenant).children_of(unit.id)
    if children:
        raise Conflict(
            f"node {unit.id} has {len(children)} child unit(s) ({', '.join(children[:5])}"
            f"{'…' if len(children) > 5 else ''}): move or delete them first"
        )
    named = contracts_naming(session, tenant, unit.id)
    if named:
        raise Conflict(f"node {unit.id} is named by {', '.join(named)}: change the contract(s) first")


def contracts_naming(session: Session, tenant: int, unit_id: str) -> list[str]:
    """Contracts that point at a unit: an ingest contract's `LinkParentId`, an access contract's
    `RootUnits`/`ExcludedRootUnits`. Deleting it would break their next use."""
    named = []
    for identifier, contract in visible_documents(session, tenant, "ingest-contracts").items():
        if contract.get("LinkParentId") == unit_id:
            named.append(f"ingest contract {identifier} (LinkParentId)")
    for identifier, contract in visible_documents(session, tenant, "access-contracts").items():
        for field in ("RootUnits", "ExcludedRootUnits"):
            if unit_id in (contract.get(field) or ()):
                named.append(f"access contract {identifier} ({field})")
    return named
