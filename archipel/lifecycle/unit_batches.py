"""Changing many archive units as one operation: batches that each commit whole.

A mass update or a recompute of end dates may touch a hundred thousand units; one
transaction holding them all would lock the index for minutes and lose everything to one
bad copy. So the operation goes through its units `BATCH` at a time, each batch the three
atomic steps of `archipel.metadata.versioning.change_batch`: new document versions on
every offer, then one commit of the index rows, the lifecycle entries and the events.

What that gives (and what it does not): each unit is either at its old version or at its
new one, never between; the units of a batch that committed stay changed if a later batch
fails or the process dies, and the operation's events name each of them (one event per
unit, `UPDATED` or `REFUSED`), so the logbook says exactly which units changed. A crash is
rolled back by recovery at the next start for the batch in flight only; the operation is
then closed FATAL. The operation as a whole is not all or nothing: running it again
changes what is left (both callers are idempotent: a unit with nothing to change is left alone).

A unit the change cannot apply to (the editor raises a refusal) is refused alone, with its
reason: the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.access.indexing import index_units
from archipel.core.errors import ArchipelError
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome, ko
from archipel.logbook.closing import close_operation
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit
from archipel.metadata.versioning import (
    Document,
    UnitEdit,
    UnitsChange,
    change_batch,
    locked_at_version,
    read_unit_document,
    version_entry,
)
from archipel.storage import layout
from archipel.storage.journal import writes_in_flight

if TYPE_CHECKING:
    from archipel.platform import Platform

BATCH = 500
"""Units per batch: one commit each, and the bound-parameter limit of SQLite's `IN` lists."""
REFUSED = "REFUSED"

BatchEditor = Callable[[Session, ArchiveUnit, Document, str], UnitEdit | None]
"""Given a unit's locked row, its document at that version and the operation id: its edit,
None when there is nothing to change for it, or a refusal raised (for this unit only)."""

Progress = Callable[[int, int], None]
"""(units gone through, units selected)."""


@dataclass
class BatchedChange:
    """What an operation over many units did, unit by unit."""

    operation_id: str
    selected: int = 0
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    """Units that already were as asked: no new version."""
    refused: list[tuple[str, str]] = field(default_factory=list)
    """(unit, reason)."""

    @property
    def outcome(self) -> Outcome:
        """OK when every unit is as asked; WARNING when some were refused; KO when all were."""
        if self.refused and not self.updated and not self.unchanged:
            return Outcome.KO
        return Outcome.WARNING if self.refused else Outcome.OK

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.selected} unit(s) selected, {len(self.updated)} updated, "
            f"{len(self.unchanged)} already as asked, {len(self.refused)} refused"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "selected": self.selected,
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "refused": [{"unit": unit, "reason": reason} for unit, reason in self.refused],
        }


def change_in_batches(
    platform: Platform,
    tenant: int,
    operation_type: str,
    operation_id: str,
    unit_ids: Sequence[str],
    editor: BatchEditor,
    progress: Progress = lambda done, total: None,
    batch: int = BATCH,
) -> BatchedChange:
    """Applies `editor` to each unit, `batch` units per commit, in the running operation; its
    report. A batch that fails is rolled back and the operation closed; the error is raised."""
    done = BatchedChange(operation_id, selected=len(unit_ids))
    for start in range(0, len(unit_ids), batch):
        ids = list(unit_ids[start : start + batch])
        outcome = _BatchOutcome()
        kept = (
            f"this batch's {len(ids)} units unchanged; the {len(done.updated)} units updated "
            "by earlier batches stay so (their UPDATED events name them)"
        )
        prepare = _batch(platform, tenant, operation_type, ids, editor, outcome, done)
        change_batch(platform, tenant, operation_type, operation_id, prepare, kept)
        done.updated += outcome.updated
        done.unchanged += outcome.unchanged
        done.refused += outcome.refused
        progress(start + len(ids), len(unit_ids))
    return done


@dataclass
class _BatchOutcome:
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def _batch(
    platform: Platform,
    tenant: int,
    operation_type: str,
    ids: list[str],
    editor: BatchEditor,
    outcome: _BatchOutcome,
    done: BatchedChange,
) -> Callable[[Session, str], UnitsChange]:
    def prepare(session: Session, operation_id: str) -> UnitsChange:
        scope = TenantScope(session, tenant)
        query = scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(ids)).order_by(ArchiveUnit.id)
        units = {unit.id: unit for unit in session.scalars(query.with_for_update())}
        busy = writes_in_flight(
            session, [layout.unit_key(tenant, u.id, u.version + 1) for u in units.values()]
        )
        edits: dict[str, tuple[int, UnitEdit]] = {}
        for unit_id in ids:
            unit = units.get(unit_id)
            if unit is None:
                outcome.refused.append((unit_id, "no longer in the tenant"))
                continue
            other = busy.get(layout.unit_key(tenant, unit_id, unit.version + 1))
            if other is not None:
                outcome.refused.append((unit_id, f"being changed by operation {other}: try again later"))
                continue
            try:
                document = read_unit_document(platform.storage, tenant, unit_id, unit.version)
                edit = editor(session, unit, document, operation_id)
            except ArchipelError as refusal:
                outcome.refused.append((unit_id, refusal.message))
                continue
            if edit is None:
                outcome.unchanged.append(unit_id)
            else:
                edits[unit_id] = (unit.version, edit)
        outcome.updated = list(edits)

        def apply(session: Session) -> list[Finding]:
            for unit_id, (seen, edit) in edits.items():
                edit.index(session, locked_at_version(session, tenant, unit_id, seen))
            session.flush()
            if edits:
                index_units(session, tenant, list(edits))
            logbook = OperationLog(session, tenant)
            operation = logbook.get(operation_id)
            operation.units = len(done.updated) + len(edits)
            gone_through = len(done.updated) + len(done.unchanged) + len(done.refused) + len(ids)
            operation.message = f"running: {gone_through} of {done.selected} units gone through"
            return [
                *(
                    Finding(operation_type, Outcome.OK, f"unit {unit_id}: {edit.detail}", edit.code, unit_id)
                    for unit_id, (_, edit) in edits.items()
                ),
                *(
                    ko(operation_type, f"unit {unit_id}: {reason}", REFUSED, unit_id)
                    for unit_id, reason in outcome.refused
                ),
            ]

        documents = dict(version_entry(tenant, edit.document) for _, edit in edits.values())
        return UnitsChange(documents, apply, "")

    return prepare


def change_and_close(
    platform: Platform,
    tenant: int,
    operation_type: str,
    operation_id: str,
    unit_ids: Sequence[str],
    editor: BatchEditor,
    report_step: str,
    progress: Progress,
    batch: int = BATCH,
    when_none: Outcome = Outcome.OK,
) -> BatchedChange:
    """`change_in_batches`, then the operation closed with the summary (`when_none`: its outcome
    when there was no unit to go through). A failing batch closes it itself, saying what stays."""
    report = change_in_batches(
        platform, tenant, operation_type, operation_id, unit_ids, editor, progress, batch
    )
    outcome = report.outcome if unit_ids else when_none
    close_operation(
        platform, tenant, operation_id, Finding(report_step, outcome, report.summary(operation_type))
    )
    return report
