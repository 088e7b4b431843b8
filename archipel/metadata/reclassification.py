"""Reclassification (reclassement): attaching archive units under other parents, detaching them from some.

Units form a graph, not a tree: a unit may have several parents (a file classified in two
series, a folder under a node of the filing tree and under another folder). Archivists
reclassify as services reorganise: each call is one `RECLASSIFICATION` operation that
writes the unit's next document version, whose `parents` are what a rebuild reads back, and
then re-indexes the unit and everything below it, so their ancestors and inherited
(effective) rules follow the new place in the same commit.

Where a unit may go is the ingest's rule (`ATTACHABLE_UNDER`): archives go under nodes of
filing trees and plans and under other archives, a filing-tree node under a node, a plan's
node under a plan's. Nothing may go under itself or below itself (a cycle). A unit under
hold (gel) does not move, nor does a unit above one. Moving a
filing-tree node (`archipel.metadata.tree.move_node`) is the same change, to one parent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.access.model import UnitAncestor
from archipel.core.errors import ArchipelError, Conflict, InvalidRequest, NotFound
from archipel.db.repository import TenantScope
from archipel.ingest.workflow import ATTACHABLE_UNDER, UNIT_TYPES
from archipel.lifecycle.holds import refuse_if_held
from archipel.metadata.model import ArchiveUnit, UnitParent
from archipel.metadata.repository import UnitRepository
from archipel.metadata.versioning import Document, UnitEdit, change_unit, next_version

if TYPE_CHECKING:
    from archipel.platform import Platform

OPERATION = "RECLASSIFICATION"
LIFECYCLE_EVENT = "LFC.RECLASSIFICATION"
EVENT_CODE = "UNIT_GRAPH_UPDATE"
WORKFLOW_OF: dict[str, str] = {unit_type: workflow for workflow, unit_type in UNIT_TYPES.items()}
"""The workflow that makes each unit type: it says where a unit of that type may go."""

PlaceCheck = Callable[[Session, ArchiveUnit], None]
"""Refuses a change of place by raising; run in step 1 and again in the final transaction."""


class ReclassificationRefused(InvalidRequest):
    """The request itself cannot be done: nothing to do, a parent the unit has not (or has
    already), a parent its type may not go under. A cycle is a Conflict, an unknown unit a NotFound."""

    code = "RECLASSIFICATION_REFUSED"


@dataclass(frozen=True)
class Reclassification:
    """What a reclassification did: the operation that logged it and the unit's parents now."""

    operation_id: str
    unit_id: str
    version: int
    parents: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_id,
            "parents": self.parents,
            "operation_id": self.operation_id,
            "version": self.version,
        }


def reclassify(
    platform: Platform,
    tenant: int,
    unit_id: str,
    attach: Iterable[str] = (),
    detach: Iterable[str] = (),
    agent: str | None = None,
) -> Reclassification:
    """Attaches the unit under `attach` and detaches it from `detach`, in one operation.

    Refused, leaving no trace: a unit or parent not in this tenant (NotFound, whoever
    holds it), a request with nothing to do or naming a parent on both sides, detaching a
    parent the unit does not have or attaching one it has (ReclassificationRefused), a
    parent the unit's type may not go under (ReclassificationRefused), a parent that is
    the unit or below it (Conflict). Detaching every parent makes the unit a root.
    """
    attaching, detaching = _distinct(attach), _distinct(detach)
    if not attaching and not detaching:
        raise ReclassificationRefused("nothing to do: name at least one parent to attach or detach")
    both = [parent for parent in attaching if parent in detaching]
    if both:
        raise ReclassificationRefused(f"{', '.join(both)}: named both to attach and to detach")

    def check(session: Session, unit: ArchiveUnit) -> None:
        for parent_id in [*attaching, *detaching]:
            _existing(session, tenant, parent_id)
        for parent_id in attaching:
            check_place(session, tenant, unit, parent_id, ReclassificationRefused)
        refuse_held_branch(session, tenant, unit.id, OPERATION.lower())

    def editor(session: Session, unit: ArchiveUnit, document: Document, operation_id: str) -> UnitEdit:
        check(session, unit)
        before = current_parents(session, tenant, unit.id)
        missing = [parent for parent in detaching if parent not in before]
        if missing:
            raise ReclassificationRefused(
                f"unit {unit.id} is not under {', '.join(missing)}: cannot detach it"
            )
        present = [parent for parent in attaching if parent in before]
        if present:
            raise ReclassificationRefused(f"unit {unit.id} is already under {', '.join(present)}")
        after = sorted({*before, *attaching} - set(detaching))
        detail = json.dumps({"parents_before": before, "parents_after": after})
        return parents_edit(tenant, document, operation_id, after, check, EVENT_CODE, detail, LIFECYCLE_EVENT)

    operation_id, document = change_unit(platform, tenant, OPERATION, unit_id, editor, agent)
    return Reclassification(operation_id, unit_id, document["version"], list(document["parents"]))


def _distinct(ids: Iterable[str]) -> list[str]:
    """The ids stripped, each once, in the order given; an empty one is refused."""
    found: list[str] = []
    for raw in ids:
        unit_id = raw.strip()
        if not unit_id:
            raise ReclassificationRefused("a parent id cannot be empty")
        if unit_id not in found:
            found.append(unit_id)
    return found


def _existing(session: Session, tenant: int, unit_id: str) -> ArchiveUnit:
    unit = UnitRepository(session, tenant).find_unit(unit_id)
    if unit is None:
        raise NotFound(f"archive unit {unit_id} not found in tenant {tenant}")
    return unit


# -- shared with the moves of filing-tree nodes -------------------------------------------------


def refuse_held_branch(session: Session, tenant: int, unit_id: str, action: str) -> None:
    """A unit under hold is not moved, nor is a unit above one: the move would change the
    held unit's place and the rules it inherits (`UnitHeld`, a Conflict)."""
    below = (
        TenantScope(session, tenant)
        .select(UnitAncestor)
        .where(UnitAncestor.ancestor_id == unit_id)
        .with_only_columns(UnitAncestor.unit_id)
    )
    refuse_if_held(session, tenant, [unit_id, *session.scalars(below)], action)


def current_parents(session: Session, tenant: int, unit_id: str) -> list[str]:
    return UnitRepository(session, tenant).parents_of([unit_id]).get(unit_id, [])


def check_place(
    session: Session,
    tenant: int,
    unit: ArchiveUnit,
    parent_id: str,
    wrong_type: type[ArchipelError],
) -> None:
    """Refuses a parent not in this tenant (NotFound), one the unit's type may not go under
    (`wrong_type`: the tree's commands say Conflict, as they always have), and the unit
    itself or a unit below it (Conflict: a cycle)."""
    repository = UnitRepository(session, tenant)
    parent = _existing(session, tenant, parent_id)
    workflow = WORKFLOW_OF[unit.unit_type]
    allowed = ATTACHABLE_UNDER[workflow]
    if parent.unit_type not in allowed:
        kind = "an archive" if unit.unit_type == "INGEST" else f"a {unit.unit_type} node"
        raise wrong_type(
            f"{kind} cannot go under a {parent.unit_type} unit ({parent_id}): "
            f"a {workflow} transfer attaches only under {' or '.join(allowed)} units"
        )
    if parent_id == unit.id or unit.id in _ancestors(repository, parent_id):
        raise Conflict(f"unit {parent_id} is {unit.id} itself or below it: the change would make a cycle")


def _ancestors(repository: UnitRepository, unit_id: str) -> set[str]:
    found: set[str] = set()
    frontier = [unit_id]
    while frontier:
        parents = repository.parents_of(frontier)
        frontier = [p for ps in parents.values() for p in ps if p not in found]
        found.update(frontier)
    return found


def parents_edit(
    tenant: int,
    document: Document,
    operation_id: str,
    parents: list[str],
    check: PlaceCheck,
    code: str,
    detail: str,
    event: str,
) -> UnitEdit:
    """The edit that gives a unit these parents, in its document and in its `unit_parents` rows.

    The former `Management/UpdateOperation`, which named the unit's first place, is
    dropped: `parents` says where it is, the lifecycle where it was (and the first version
    stays on the offers). `check` runs again in the final transaction: a new parent deleted
    or moved below the unit meanwhile refuses the change there.
    """
    changed = next_version(document, operation_id, event, detail)
    changed["parents"] = parents
    management = dict(changed.get("management") or {})
    management.pop("UpdateOperation", None)
    changed["management"] = management

    def index(session: Session, row: ArchiveUnit) -> None:
        check(session, row)
        scope = TenantScope(session, tenant)
        for link in session.scalars(scope.select(UnitParent).where(UnitParent.unit_id == row.id)):
            session.delete(link)
        session.flush()
        scope.insert_many(UnitParent, [{"unit_id": row.id, "parent_id": parent} for parent in parents])
        row.management = management
        row.version = changed["version"]

    return UnitEdit(changed, index, code, detail)
