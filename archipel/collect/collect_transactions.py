"""Transactions and the units staged in them, while they are being put together.

A transaction is OPEN while the depositor adds, corrects and removes units; closing it
freezes it after checking everything a SIP of it needs; reopening undoes that. Sending
(`collect_send`) moves it on to SENDING, SENT, then ACK or KO as its ingest ends;
aborting (ABORTED) deletes what it staged. Every unit is checked as it is written, so the
depositor learns of a problem with the unit still in mind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from archipel.admin import service as admin
from archipel.collect.collect_checks import (
    UnitRules,
    binary_problems,
    received_problems,
    tree_problems,
    unit_problems,
    would_cycle,
)
from archipel.collect.collect_model import CollectTransaction, CollectUnit
from archipel.collect.collect_projects import Projects, ProjectSettings, page_of
from archipel.collect.collect_staging import Received, Staging
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict, InvalidRequest, Unprocessable
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.referential.view import load_referentials

log = logging.getLogger(__name__)

OPEN, CLOSED, SENDING, SENT, ACK, KO, ABORTED = "OPEN", "CLOSED", "SENDING", "SENT", "ACK", "KO", "ABORTED"
STATUSES = (OPEN, CLOSED, SENDING, SENT, ACK, KO, ABORTED)


@dataclass
class UnitDraft:
    """A unit as the depositor writes it (`parent`: another unit of the same transaction)."""

    content: dict[str, Any]
    management: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    """Declared binaries: `filename`, and the `size` and `sha512` expected, when known."""
    key: str | None = None
    """A name later drafts of the same batch may give as their `parent` (a tree added at once)."""


class Transactions:
    def __init__(self, session: Session, tenant: int, work_dir: Path) -> None:
        self.scope = TenantScope(session, tenant)
        self.session = session
        self.work_dir = work_dir

    # transactions

    def open(self, project_id: str, comment: str | None) -> CollectTransaction:
        admin.require_writable_tenant(self.session, self.scope.tenant)
        Projects(self.session, self.scope.tenant).get(project_id)
        now = utc_now()
        transaction = CollectTransaction(
            id=new_id(), project_id=project_id, status=OPEN, comment=comment, created=now, updated=now
        )
        self.scope.add(transaction)
        self.session.flush()
        return transaction

    def get(self, transaction_id: str, *statuses: str) -> CollectTransaction:
        """The transaction; naming `statuses` (a change is coming) refuses it (409) in any other,
        and refuses a deactivated tenant, whose holdings no longer change."""
        transaction = self.scope.get(CollectTransaction, "collect transaction", id=transaction_id)
        if statuses:
            admin.require_writable_tenant(self.session, self.scope.tenant)
        if statuses and transaction.status not in statuses:
            raise Conflict(
                f"transaction {transaction_id} is {transaction.status}: this needs it {' or '.join(statuses)}"
            )
        return transaction

    def page(
        self, status: str | None, project: str | None, limit: int, offset: int
    ) -> tuple[list[CollectTransaction], int]:
        if status is not None and status not in STATUSES:
            raise InvalidRequest(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        query = self.scope.select(CollectTransaction)
        if status is not None:
            query = query.where(CollectTransaction.status == status)
        if project is not None:
            query = query.where(CollectTransaction.project_id == project)
        query = query.order_by(CollectTransaction.created, CollectTransaction.id)
        return page_of(self.session, query, limit, offset)

    def staging(self, transaction: CollectTransaction) -> Staging:
        return Staging(self.work_dir, self.scope.tenant, transaction.id)

    def settings(self, transaction: CollectTransaction) -> ProjectSettings:
        project = Projects(self.session, self.scope.tenant).get(transaction.project_id)
        return ProjectSettings.from_document(project.settings)

    def move(self, transaction: CollectTransaction, status: str) -> CollectTransaction:
        transaction.status = status
        transaction.updated = utc_now()
        self.session.flush()
        return transaction

    def claim(self, transaction_id: str, status: str, to: str) -> CollectTransaction:
        """Moves the transaction from `status` to `to` in one conditional UPDATE, so that of two
        concurrent calls (two `send`s) exactly one wins; the other gets a 409."""
        self.get(transaction_id, status)
        claimed = self.session.execute(
            self.scope.update(CollectTransaction)
            .where(CollectTransaction.id == transaction_id, CollectTransaction.status == status)
            .values(status=to, updated=utc_now())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise Conflict(f"transaction {transaction_id} is no longer {status}")
        transaction = self.get(transaction_id)
        self.session.refresh(transaction)
        return transaction

    def close(self, transaction_id: str) -> CollectTransaction:
        """CLOSED once every unit passes every check; else every problem, in one refusal."""
        transaction = self.get(transaction_id, OPEN)
        units = self.units(transaction_id)
        rules = self._rules(transaction)
        staging = self.staging(transaction)
        problems = [] if units else ["the transaction holds no unit"]
        for unit in units:
            problems += unit_problems(unit.id, unit.content, unit.management, rules)
            problems += binary_problems(unit, staging)
        problems += tree_problems(units)
        if problems:
            raise Unprocessable(f"transaction {transaction_id} cannot be closed", problems)
        return self.move(transaction, CLOSED)

    def reopen(self, transaction_id: str) -> CollectTransaction:
        return self.move(self.get(transaction_id, CLOSED), OPEN)

    def abort(self, transaction_id: str) -> CollectTransaction:
        """Deletes every staged file and unit; what was sent already cannot be taken back."""
        transaction = self.get(transaction_id, OPEN, CLOSED)
        for unit in self.units(transaction_id):
            self.session.delete(unit)
        self.staging(transaction).remove()
        log.info("collect transaction %s of tenant %s aborted", transaction_id, self.scope.tenant)
        return self.move(transaction, ABORTED)

    def counts(self, transaction_id: str) -> dict[str, int]:
        units = self.units(transaction_id)
        declared = [declared for unit in units for declared in unit.objects]
        return {
            "units": len(units),
            "objects": len(declared),
            "received": sum("received" in declared for declared in declared),
        }

    # units

    def units(self, transaction_id: str) -> list[CollectUnit]:
        query = self.scope.select(CollectUnit).where(CollectUnit.transaction_id == transaction_id)
        return list(self.session.scalars(query.order_by(CollectUnit.position)))

    def unit(self, transaction_id: str, unit_id: str) -> CollectUnit:
        self.get(transaction_id)
        return self.scope.get(CollectUnit, "collect unit", id=unit_id, transaction_id=transaction_id)

    def add_units(self, transaction_id: str, drafts: list[UnitDraft]) -> list[CollectUnit]:
        """Adds units in order (a draft's parent may be a unit added just before it)."""
        transaction = self.get(transaction_id, OPEN)
        rules = self._rules(transaction)
        query = self.scope.select(CollectUnit).where(CollectUnit.transaction_id == transaction_id)
        position = self.session.scalar(query.with_only_columns(func.max(CollectUnit.position))) or 0
        parent_of = self._parents(transaction_id)
        added = []
        ids: dict[str, str] = {}
        for draft in drafts:
            position += 1
            draft.parent = ids.get(draft.parent or "", draft.parent)
            now = utc_now()
            unit = CollectUnit(
                id=new_id(), transaction_id=transaction_id, position=position, created=now, updated=now
            )
            self._write(unit, draft, rules, parent_of)
            self.scope.add(unit)
            added.append(unit)
            if draft.key is not None:
                ids[draft.key] = unit.id
        self.session.flush()
        return added

    def update_unit(self, transaction_id: str, unit_id: str, changes: dict[str, Any]) -> CollectUnit:
        """Changes only what `changes` names; redeclared objects keep the binary of an unchanged one."""
        self.get(transaction_id, OPEN)
        unit = self.unit(transaction_id, unit_id)
        draft = UnitDraft(unit.content, unit.management, unit.parent, unit.objects)
        for name, value in changes.items():
            setattr(draft, name, value)
        if "objects" in changes:
            draft.objects = self._keep_received(transaction_id, unit, draft.objects)
        self._write(unit, draft, self._rules(self.get(transaction_id)), self._parents(transaction_id))
        self.session.flush()
        return unit

    def delete_unit(self, transaction_id: str, unit_id: str) -> None:
        transaction = self.get(transaction_id, OPEN)
        unit = self.unit(transaction_id, unit_id)
        children = [other.id for other in self.units(transaction_id) if other.parent == unit_id]
        if children:
            raise Conflict(f"unit {unit_id} has {len(children)} child unit(s): delete or move them first")
        self.session.delete(unit)
        self.staging(transaction).discard(unit_id)
        self.session.flush()

    def declared(self, transaction_id: str, unit_id: str, name: str | None) -> tuple[int, dict[str, Any]]:
        """The declared object a binary is for: the one named, or the unit's only one."""
        objects = self.unit(transaction_id, unit_id).objects
        if name is None and len(objects) == 1:
            return 0, objects[0]
        for index, declared in enumerate(objects):
            if declared["filename"] == name:
                return index, declared
        names = ", ".join(repr(declared["filename"]) for declared in objects) or "none"
        raise InvalidRequest(f"unit {unit_id} declares no object {name!r}: name one of its objects ({names})")

    def accept_binary(
        self, transaction_id: str, unit_id: str, index: int, received: Received, announced: str | None
    ) -> None:
        """A complete upload becomes the object's binary if it is what was declared and
        announced (`X-Content-SHA512`); otherwise it is discarded, and every difference said."""
        staging = self.staging(self.get(transaction_id, OPEN))
        declared = self.unit(transaction_id, unit_id).objects[index]
        problems = received_problems(received.held, received.sha512, declared, announced)
        if problems:
            staging.discard(unit_id, str(index))
            raise Unprocessable(f"the binary of {declared['filename']!r} is refused", problems)
        staging.complete(unit_id, str(index))
        self.record_binary(transaction_id, unit_id, index, received.held, str(received.sha512))

    def record_binary(self, transaction_id: str, unit_id: str, index: int, size: int, sha512: str) -> None:
        """The binary of declared object `index` is complete on disk with this size and digest."""
        self.get(transaction_id, OPEN)
        unit = self.unit(transaction_id, unit_id)
        objects = [dict(declared) for declared in unit.objects]
        objects[index]["received"] = {"size": size, "sha512": sha512}
        unit.objects = objects
        self.session.flush()

    def _parents(self, transaction_id: str) -> dict[str, str | None]:
        """Each unit's parent: what a new parent is checked against (inside, and no cycle)."""
        query = self.scope.select(CollectUnit).where(CollectUnit.transaction_id == transaction_id)
        rows = self.session.execute(query.with_only_columns(CollectUnit.id, CollectUnit.parent))
        return {unit_id: parent for unit_id, parent in rows}

    def _write(
        self, unit: CollectUnit, draft: UnitDraft, rules: UnitRules, parent_of: dict[str, str | None]
    ) -> None:
        """Checks the draft and writes it into `unit`, keeping `parent_of` up to date."""
        problems = unit_problems(unit.id, draft.content, draft.management, rules)
        problems += _object_problems(unit.id, draft.objects)
        if draft.parent is not None:
            if draft.parent not in parent_of:
                problems.append(f"unit {unit.id}: parent {draft.parent} is not a unit of this transaction")
            elif would_cycle(unit.id, draft.parent, parent_of):
                problems.append(f"unit {unit.id}: parent {draft.parent} is below it (a cycle)")
        if problems:
            raise Unprocessable(f"unit {unit.id} is refused", problems)
        unit.content, unit.management, unit.parent = draft.content, draft.management, draft.parent
        unit.objects = draft.objects
        unit.updated = utc_now()
        parent_of[unit.id] = unit.parent

    def _keep_received(
        self, transaction_id: str, unit: CollectUnit, objects: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        staging = self.staging(self.get(transaction_id))
        kept = []
        for index, declared in enumerate(objects):
            before = unit.objects[index] if index < len(unit.objects) else None
            received = (before or {}).get("received")
            if before and before["filename"] == declared.get("filename") and _fits(received, declared):
                kept.append({**declared, "received": received})
            else:
                staging.discard(unit.id, str(index))
                kept.append(declared)
        for index in range(len(objects), len(unit.objects)):
            staging.discard(unit.id, str(index))
        return kept

    def _rules(self, transaction: CollectTransaction) -> UnitRules:
        referentials = load_referentials(self.session, self.scope.tenant)
        return UnitRules.of(referentials, self.settings(transaction).unit_profile)


def _fits(received: dict[str, Any] | None, declared: dict[str, Any]) -> bool:
    """Whether a binary already received is the one now declared."""
    if received is None:
        return False
    return all(declared.get(key) in (None, received[key]) for key in ("size", "sha512"))


def _object_problems(unit_id: str, objects: list[dict[str, Any]]) -> list[str]:
    names = [str(declared.get("filename") or "") for declared in objects]
    problems = [f"unit {unit_id}: a declared object has no filename" for name in names if not name]
    problems += [
        f"unit {unit_id}: two declared objects are named {name!r}"
        for name in dict.fromkeys(names)
        if name and names.count(name) > 1
    ]
    return problems


def transaction_json(transaction: CollectTransaction, counts: dict[str, int]) -> dict[str, Any]:
    reply = f"/api/v1/collect/transactions/{transaction.id}/reply" if transaction.operation_id else None
    return {
        "id": transaction.id,
        "project": transaction.project_id,
        "status": transaction.status,
        "comment": transaction.comment,
        "operation_id": transaction.operation_id,
        "reply": reply,
        **counts,
        "created": transaction.created.isoformat(),
        "updated": transaction.updated.isoformat(),
    }


def unit_json(unit: CollectUnit, staging: Staging) -> dict[str, Any]:
    objects = [
        {**declared, "held": staging.held(unit.id, str(index)).held}
        for index, declared in enumerate(unit.objects)
    ]
    return {
        "id": unit.id,
        "parent": unit.parent,
        "content": unit.content,
        "management": unit.management,
        "objects": objects,
    }
