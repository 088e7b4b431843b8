"""Changing archived units: the next version of their documents on every offer, one index commit.

The offers hold the archives and the database is an index of them, so a change of a unit
(its title, its place in a tree, its deletion) is first of all a new version of its
document; earlier versions are never rewritten. The order is the ingest's
(`docs/adr/0001-atomic-ingest.md`):
1. the operation is opened and every key about to be written journaled, in one committed
   transaction, while the units concerned are locked and checked;
2. the new versions are written to every offer and verified by SHA-512;
3. one transaction changes the index, writes the logbook events, closes the operation and
   clears the journal.
A crash before 3 leaves journal rows and a RUNNING operation, which recovery rolls back at
the next start (`archipel.ingest.recovery`); a failure here rolls back at once. Nothing
half done stays visible: before 3 the index still shows the previous version.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.access.indexing import index_units
from archipel.core.clock import iso, utc_now
from archipel.core.digests import sha512_bytes
from archipel.core.errors import ArchipelError, Conflict, IntegrityFault, NotFound
from archipel.db.repository import TenantScope
from archipel.ingest.archiving import write_all
from archipel.ingest.findings import Finding, Outcome, fatal, ko
from archipel.ingest.recovery import roll_back
from archipel.logbook.lifecycle import append_lifecycle, lifecycle_of_documents
from archipel.logbook.service import OperationLog
from archipel.metadata.documents import encode
from archipel.metadata.model import ArchiveUnit
from archipel.storage import layout
from archipel.storage.journal import clear_journal, journal_writes, writes_in_flight
from archipel.storage.offer import OfferError
from archipel.storage.strategy import StorageStrategy

if TYPE_CHECKING:
    from archipel.platform import Platform

Document = dict[str, Any]


@dataclass
class UnitsChange:
    """What an operation writes (offer key → bytes) and the index change that goes with it."""

    documents: dict[str, bytes]
    apply: Callable[[Session], list[Finding]]
    """Run in the final transaction: re-checks what may have changed since step 1 (raising
    to give up), changes the index, and returns the events to log."""
    message: str
    """The operation's closing message."""


Prepare = Callable[[Session, str], UnitsChange]
"""Given the session of step 1 and the new operation's id: checks the request (raising a
refusal leaves no trace) and says what to write."""


def change_units(
    platform: Platform,
    tenant: int,
    operation_type: str,
    prepare: Prepare,
    agent: str | None = None,
    source_name: str | None = None,
) -> str:
    """Runs one change of archived units as a logged operation (see the module doc); its id."""
    with platform.database.unit_of_work() as session:
        operation_id = OperationLog(session, tenant).start(operation_type, agent, source_name).id
        change = prepare(session, operation_id)
        _journal(session, platform.storage, tenant, operation_id, change)
    _store_and_index(platform, tenant, operation_type, operation_id, change, close=True)
    platform.write_operation_logbook(tenant, operation_id)
    return operation_id


def change_batch(
    platform: Platform, tenant: int, operation_type: str, operation_id: str, prepare: Prepare, kept: str
) -> None:
    """One batch of an operation that changes more units than one transaction should hold.

    The same three steps as `change_units`, for an operation already started, which stays
    RUNNING for the next batch (the caller closes it): each batch commits whole, with its
    events, so a crash leaves each unit at its old or its new version, never between, and
    the logbook names the units of the batches that committed. On a failure the batch is
    rolled back and the operation closed, its message ending with `kept` (what earlier
    batches changed, which stays); then the error is raised.
    """
    try:
        with platform.database.unit_of_work() as session:
            change = prepare(session, operation_id)
            _journal(session, platform.storage, tenant, operation_id, change)
    except ArchipelError as refusal:
        _give_up(platform, tenant, operation_id, ko(operation_type, refusal.message), kept)
        raise
    except Exception as error:
        _give_up(platform, tenant, operation_id, fatal(operation_type, f"technical failure: {error}"), kept)
        raise
    _store_and_index(platform, tenant, operation_type, operation_id, change, close=False, kept=kept)


def _journal(
    session: Session, storage: StorageStrategy, tenant: int, operation_id: str, change: UnitsChange
) -> None:
    """End of step 1: refuses keys another operation writes or an offer already holds; journals them."""
    busy = writes_in_flight(session, change.documents)
    if busy:
        key, other = next(iter(busy.items()))
        raise Conflict(f"{key} is being written by operation {other}: try again once it has ended")
    _refuse_unknown_versions(storage, change.documents)
    journal_writes(session, tenant, operation_id, change.documents)


def _store_and_index(
    platform: Platform,
    tenant: int,
    operation_type: str,
    operation_id: str,
    change: UnitsChange,
    close: bool,
    kept: str = "nothing changed",
) -> None:
    """Steps 2 and 3: the versions on every offer, then the index commit (closing the operation if asked)."""
    writes: list[tuple[str, Path | bytes, str]] = [
        (key, data, sha512_bytes(data)) for key, data in change.documents.items()
    ]
    try:
        write_all(platform.storage, writes, lambda done: None)
    except Exception as error:
        reason = fatal("STP_STORAGE", f"technical failure while storing: {error}")
        _give_up(platform, tenant, operation_id, reason, kept)
        raise
    stored = Finding(
        "STP_STORAGE",
        Outcome.OK,
        f"{len(writes)} document version(s) written to {len(platform.storage.offers)} offers "
        "and verified by SHA-512",
    )
    try:
        with platform.database.unit_of_work() as session:
            events = change.apply(session)
            append_lifecycle(session, tenant, lifecycle_of_documents(operation_id, change.documents))
            logbook = OperationLog(session, tenant)
            logbook.record(operation_id, [*events, stored])
            if close:
                logbook.finish(logbook.get(operation_id), Outcome.OK, change.message)
            clear_journal(session, operation_id)
    except ArchipelError as refusal:  # the state changed since step 1 (a concurrent change)
        _give_up(platform, tenant, operation_id, ko(operation_type, refusal.message), kept)
        raise
    except Exception as error:
        _give_up(platform, tenant, operation_id, fatal("STP_INDEXATION", f"technical failure: {error}"), kept)
        raise


def _refuse_unknown_versions(storage: StorageStrategy, keys: Iterable[str]) -> None:
    """A version the index does not know must not be there: never overwrite nor roll it back.

    Only an unfinished rollback can leave one, and it is journaled (caught just before);
    anything else is for an audit to look at, not for this change to erase.
    """
    for key in keys:
        holders = [offer.name for offer in storage.offers if offer.exists(key)]
        if holders:
            raise IntegrityFault(
                f"{key} already exists on {', '.join(holders)} though the index does not know that version: "
                "nothing changed; an offer audit must look at it"
            )


def _give_up(
    platform: Platform, tenant: int, operation_id: str, reason: Finding, kept: str = "nothing changed"
) -> None:
    """Deletes what the operation journaled and closes it with the reason, index untouched since
    its last commit (`kept` says what that commit holds: nothing, for a one-step change)."""
    left = roll_back(platform, operation_id)
    undone = kept if not left else f"{kept}; {left} writes left, deleted at next start"
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        logbook.record(operation_id, [reason])
        logbook.finish(logbook.get(operation_id), reason.outcome, f"{reason.message} ({undone})")
    platform.write_operation_logbook(tenant, operation_id)


def lock_unit(session: Session, tenant: int, unit_id: str) -> ArchiveUnit | None:
    """The unit's index row, locked until the transaction ends (PostgreSQL; SQLite writes one at a time)."""
    query = TenantScope(session, tenant).select(ArchiveUnit).where(ArchiveUnit.id == unit_id)
    return session.scalars(query.with_for_update()).one_or_none()


def lock_existing_unit(session: Session, tenant: int, unit_id: str) -> ArchiveUnit:
    """The unit's index row, locked; NotFound when this tenant has no such unit (another tenant's too)."""
    unit = lock_unit(session, tenant, unit_id)
    if unit is None:
        raise NotFound(f"archive unit {unit_id} not found in tenant {tenant}")
    return unit


def locked_at_version(session: Session, tenant: int, unit_id: str, version: int) -> ArchiveUnit:
    """The unit as step 1 saw it, or a Conflict if it changed or went away since."""
    unit = lock_unit(session, tenant, unit_id)
    if unit is None or unit.version != version:
        raise Conflict(f"unit {unit_id} was changed by another operation meanwhile: nothing done, try again")
    return unit


def read_unit_document(storage: StorageStrategy, tenant: int, unit_id: str, version: int) -> Document:
    """A version of a unit's document, from the first offer holding a readable copy of it.

    Unit documents have no digest in the index to check them against; a copy is taken as
    good when it parses and names this unit and version.
    """
    return read_document(
        storage,
        layout.unit_key(tenant, unit_id, version),
        lambda document: document.get("id") == unit_id and document.get("version") == version,
        "another unit or version",
    )


def read_document(
    storage: StorageStrategy, key: str, names_it: Callable[[Document], bool], otherwise: str
) -> Document:
    """A JSON document from the first offer whose copy parses and, by `names_it`, is the one
    wanted (the copy of a document the index keeps no digest of); IntegrityFault naming each
    offer's problem when none is (`otherwise`: what a wrong copy names instead)."""
    problems = []
    for offer in storage.offers:
        try:
            with offer.open(key) as stream:
                document = json.loads(stream.read().decode("utf-8"))
        except (OfferError, OSError, ValueError) as error:
            problems.append(f"offer {offer.name}: {error}")
            continue
        if isinstance(document, dict) and names_it(document):
            return document
        problems.append(f"offer {offer.name}: the copy names {otherwise}")
    raise IntegrityFault(f"{key}: no offer holds a readable copy ({'; '.join(problems)})")


def next_version(document: Document, operation_id: str, event: str, detail: str) -> Document:
    """The document's next version: a copy, numbered one more, with the change in its lifecycle."""
    changed = copy.deepcopy(document)
    changed["version"] = int(document["version"]) + 1
    changed["updated"] = iso(utc_now())
    lifecycle = list(changed.get("lifecycle") or [])
    lifecycle.append(
        {
            "event": event,
            "operation_id": operation_id,
            "outcome": "OK",
            "date": changed["updated"],
            "detail": detail,
        }
    )
    changed["lifecycle"] = lifecycle
    return changed


def tombstone(document: Document, operation_id: str, event: str, detail: str) -> Document:
    """The version that records a deletion: who the unit was, its history, and that it is gone.

    Earlier versions stay on the offers (what the archive held is never erased by an
    index change); a rebuild skips a unit whose last version is a tombstone.
    """
    final = next_version(document, operation_id, event, detail)
    kept = ("schema", "tenant", "id", "version", "manifest_id", "operation_id", "created", "updated")
    gone = {key: final[key] for key in kept if key in final}
    gone.update(
        deleted=True,
        deleted_by=operation_id,
        title=document.get("title"),
        unit_type=document.get("unit_type"),
        parents=document.get("parents", []),
        lifecycle=final["lifecycle"],
    )
    return gone


def version_entry(tenant: int, document: Document) -> tuple[str, bytes]:
    """(offer key, bytes) of a unit document version."""
    return layout.unit_key(tenant, document["id"], document["version"]), encode(document)


@dataclass
class UnitEdit:
    """One unit's change: its next document version, and the matching change of its index rows."""

    document: Document
    index: Callable[[Session, ArchiveUnit], None]
    """Called in the final transaction with the unit's row locked at the version the edit was made from."""
    code: str
    """The event's code in the operation logbook (`FILING_TREE_UPDATE.MOVE.OK`)."""
    detail: str


UnitEditor = Callable[[Session, ArchiveUnit, Document, str], UnitEdit]
"""Given the unit's locked row, its document at that version and the operation's id: the edit,
or a refusal raised (which leaves no trace)."""

UnitLocator = Callable[[Session, int, str], ArchiveUnit]
"""Finds and locks the unit in step 1, refusing one this kind of change does not apply to."""


def change_unit(
    platform: Platform,
    tenant: int,
    operation_type: str,
    unit_id: str,
    editor: UnitEditor,
    agent: str | None = None,
    locate: UnitLocator = lock_existing_unit,
) -> tuple[str, Document]:
    """Runs one unit's change as an operation of `change_units`; its id and the unit's new document.

    The unit is re-indexed in the final transaction with everything below it, because its
    place or its rules decide the ancestors and inherited rules of its descendants.
    """
    made: list[UnitEdit] = []

    def prepare(session: Session, operation_id: str) -> UnitsChange:
        unit = locate(session, tenant, unit_id)
        seen = unit.version
        document = read_unit_document(platform.storage, tenant, unit_id, seen)
        edit = editor(session, unit, document, operation_id)
        made.append(edit)

        def apply(session: Session) -> list[Finding]:
            edit.index(session, locked_at_version(session, tenant, unit_id, seen))
            session.flush()
            index_units(session, tenant, [unit_id])
            return [Finding(operation_type, Outcome.OK, f"unit {unit_id}: {edit.detail}", edit.code, unit_id)]

        key, data = version_entry(tenant, edit.document)
        return UnitsChange({key: data}, apply, f"unit {unit_id}: {edit.detail}")

    operation_id = change_units(platform, tenant, operation_type, prepare, agent, source_name=unit_id)
    return operation_id, made[0].document
