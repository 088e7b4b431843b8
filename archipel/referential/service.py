"""Importing, changing and exporting referentials: all or nothing, versioned, logged.

Each change is an operation of the tenant's logbook (type `REFERENTIAL`) whose events
name every entry created, updated or deleted, or every fault that refused it. An accepted
change bumps the referential's version and writes the whole referential at that version
to the offers, so the archive keeps what the rules said on the day units were judged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.core.clock import iso, utc_now
from archipel.core.digests import sha512_bytes
from archipel.core.errors import Forbidden, InvalidRequest, NotFound
from archipel.ingest.findings import Finding, Outcome
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.referential.guards import GUARDS
from archipel.referential.kinds import KINDS, SHARED_TENANT, ReferentialKind, kind_named
from archipel.referential.report import ImportRefused, ImportReport, LineError
from archipel.referential.repository import Changes, ReferentialRepository
from archipel.storage import layout
from archipel.storage.offer import OfferError

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

REFERENTIAL = "REFERENTIAL"
SNAPSHOT_SCHEMA = "archipel:referential:1"
Document = dict[str, Any]


class _Context:
    """What cross-checks may read: the tenant's referentials as they stand, and its units."""

    def __init__(self, session: Session, tenant: int) -> None:
        self.session = session
        self.tenant = tenant

    def entries(self, kind: str) -> Mapping[str, Document]:
        return visible_documents(self.session, self.tenant, kind)

    def unit_exists(self, unit_id: str) -> bool:
        return UnitRepository(self.session, self.tenant).find_unit(unit_id) is not None


def visible_documents(session: Session, tenant: int, kind: str) -> dict[str, Document]:
    """The entries a tenant sees: its own, and tenant 0's for a shared kind (its own win)."""
    known = KINDS.get(kind)
    documents: dict[str, Document] = {}
    if known is not None and (known.shared or known.platform_only) and tenant != SHARED_TENANT:
        documents.update(ReferentialRepository(session, SHARED_TENANT).documents(kind))
    documents.update(ReferentialRepository(session, tenant).documents(kind))
    return documents


class ReferentialService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def import_file(
        self,
        tenant: int,
        kind_name: str,
        data: bytes,
        agent: str | None = None,
        source_name: str | None = None,
    ) -> ImportReport:
        """Imports a file in the kind's layout; raises `ImportRefused` (nothing changed) on any fault."""
        kind = kind_named(kind_name)
        documents, errors = kind.parse(data)
        lines = kind.record_lines(data) if not errors else [0] * len(documents)
        return self._apply(
            tenant, kind, documents, lines, errors, agent, source_name or f"{kind.name} file", True
        )

    def put(self, tenant: int, kind_name: str, document: Document, agent: str | None = None) -> ImportReport:
        """Creates or updates one entry, checked exactly as a file holding only it would be."""
        kind = kind_named(kind_name)
        documents, errors = kind.parse(kind.export([document]))
        return self._apply(tenant, kind, documents, [1] * len(documents), errors, agent, "one entry", False)

    def attach_file(
        self, tenant: int, kind_name: str, identifier: str, data: bytes, agent: str | None = None
    ) -> ImportReport:
        """Attaches a file to an entry (the RelaxNG of an archive profile): a change like any other."""
        kind = kind_named(kind_name)
        if kind.attach is None:
            raise InvalidRequest(f"{kind.label} carry no file")
        document, errors = kind.attach(self.get(tenant, kind.name, identifier), data)
        return self._apply(tenant, kind, [document], [0], errors, agent, f"file of {identifier}", False)

    def delete(self, tenant: int, kind_name: str, identifier: str, agent: str | None = None) -> ImportReport:
        kind = kind_named(kind_name)
        self.get(tenant, kind.name, identifier)
        return self._apply(tenant, kind, [], [], [], agent, f"deletion of {identifier}", False, {identifier})

    def entries(self, tenant: int, kind_name: str) -> list[Document]:
        kind = kind_named(kind_name)
        with self.platform.database.unit_of_work() as session:
            return list(visible_documents(session, tenant, kind.name).values())

    def get(self, tenant: int, kind_name: str, identifier: str) -> Document:
        kind = kind_named(kind_name)
        with self.platform.database.unit_of_work() as session:
            document = visible_documents(session, tenant, kind.name).get(identifier)
        if document is None:
            raise NotFound(f"{kind.label}: {identifier} not found in tenant {tenant}")
        return document

    def export_file(self, tenant: int, kind_name: str) -> bytes:
        kind = kind_named(kind_name)
        return kind.export(self.entries(tenant, kind.name))

    def history(self, tenant: int, kind_name: str, identifier: str) -> list[Document]:
        kind = kind_named(kind_name)
        with self.platform.database.unit_of_work() as session:
            changes = ReferentialRepository(session, tenant).history(kind.name, identifier)
            return [
                {
                    "version": change.version,
                    "action": change.action,
                    "operation_id": change.operation_id,
                    "changed": iso(change.changed),
                    "document": change.document,
                }
                for change in changes
            ]

    def version(self, tenant: int, kind_name: str) -> int:
        kind = kind_named(kind_name)
        with self.platform.database.unit_of_work() as session:
            return ReferentialRepository(session, tenant).version(kind.name)

    def _apply(
        self,
        tenant: int,
        kind: ReferentialKind,
        documents: list[Document],
        lines: list[int],
        errors: list[LineError],
        agent: str | None,
        source: str,
        whole_file: bool,
        deletions: set[str] | None = None,
    ) -> ImportReport:
        if kind.platform_only and tenant != SHARED_TENANT:
            raise Forbidden(
                f"{kind.label} are shared by every tenant: only tenant {SHARED_TENANT} changes them"
            )
        report = ImportReport(kind.name)
        with self.platform.database.unit_of_work() as session:
            repository = ReferentialRepository(session, tenant)
            current = repository.entries(kind.name)
            before = {entry.identifier: entry.document for entry in current}
            after = _after(kind, before, documents, whole_file, deletions or set())
            line_of = {
                kind.identifier(document): line for document, line in zip(documents, lines, strict=True)
            }
            if not errors and kind.cross_check is not None:
                errors = kind.cross_check(documents, lines, _Context(session, tenant))
            guard = GUARDS.get(kind.name)
            if not errors and guard is not None:
                errors = guard(UnitRepository(session, tenant), before, after, line_of)
            logbook = OperationLog(session, tenant)
            operation = logbook.start(REFERENTIAL, agent=agent, source_name=f"{kind.name}: {source}")
            report.operation_id = operation.id
            step = f"IMPORT_{kind.name.upper().replace('-', '_')}"
            if errors:
                report.errors = errors
                logbook.record(operation.id, [_refusal(step, error) for error in errors[:1000]])
                logbook.finish(operation, Outcome.KO, f"{kind.label}: import refused, {len(errors)} fault(s)")
                snapshot = None
            else:
                changes = repository.replace(kind.name, current, after, operation.id)
                snapshot = self._store(repository, logbook, kind, changes, after, operation.id, step, report)
        self.platform.write_operation_logbook(tenant, operation.id)
        if report.errors:
            raise ImportRefused(report)
        if snapshot is not None and report.version is not None:
            self._write_snapshot(tenant, kind, report.version, snapshot)
        if kind.name == "rules" and report.updated:
            self._recompute_end_dates(tenant, report.updated, agent)
        return report

    def _recompute_end_dates(self, tenant: int, rule_ids: list[str], agent: str | None) -> None:
        """Units whose end dates came from rules just updated get them recomputed in the background,
        if a duration changed (`archipel.lifecycle.rule_recompute`). The import is done whatever
        happens here: a failure to start it is logged, and `archipel rules recompute` does it later."""
        from archipel.lifecycle.rule_recompute import RuleRecomputeService  # lifecycle builds on referentials

        try:
            RuleRecomputeService(self.platform).submit_background(tenant, rule_ids, agent)
        except Exception:
            log.exception("tenant %s: end dates of rules %s not recomputed after import", tenant, rule_ids)

    def _store(
        self,
        repository: ReferentialRepository,
        logbook: OperationLog,
        kind: ReferentialKind,
        changes: Changes,
        after: dict[str, Document],
        operation_id: str,
        step: str,
        report: ImportReport,
    ) -> bytes | None:
        """Reports and logs the change `replace` made; returns the snapshot of the new version, or
        None if nothing changed."""
        report.created, report.updated, report.deleted = changes.created, changes.updated, changes.deleted
        events = [
            Finding(step, Outcome.OK, f"{kind.label}: {identifier} {action}d", action.upper(), identifier)
            for action, identifiers in (
                ("create", changes.created),
                ("update", changes.updated),
                ("delete", changes.deleted),
            )
            for identifier in identifiers
        ]
        report.imported = len(report.created) + len(report.updated)
        changed = bool(report.created or report.updated or report.deleted)
        snapshot = None
        if changed:
            report.version = repository.version(kind.name) + 1
            snapshot = _snapshot(
                kind, repository.scope.tenant, report.version, operation_id, list(after.values())
            )
            repository.add_version(kind.name, report.version, operation_id, sha512_bytes(snapshot))
        else:
            report.version = repository.version(kind.name)
        summary = (
            f"{kind.label}: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.deleted)} deleted"
            + (f", now version {report.version}" if changed else ", nothing changed")
        )
        logbook.record(operation_id, [*events, Finding(step, Outcome.OK, summary)])
        logbook.finish(logbook.get(operation_id), Outcome.OK, summary)
        return snapshot

    def _write_snapshot(self, tenant: int, kind: ReferentialKind, version: int, snapshot: bytes) -> None:
        """The referential at its new version, on every offer, after the commit (like operation logbooks).

        An offer failing here cannot undo the committed change; the failure is logged and
        the version's digest, kept in the database, lets an offer audit write it again.
        """
        try:
            self.platform.storage.put_document(layout.referential_key(tenant, kind.name, version), snapshot)
        except OfferError:
            log.exception(
                "%s version %s of tenant %s: not written to every offer", kind.name, version, tenant
            )


def _after(
    kind: ReferentialKind,
    before: dict[str, Document],
    documents: list[Document],
    whole_file: bool,
    deletions: set[str],
) -> dict[str, Document]:
    """The referential once the change is made, in file order."""
    incoming = {kind.identifier(document): document for document in documents}
    if kind.stamp is not None:
        today = utc_now().date()
        incoming = {key: kind.stamp(before.get(key), document, today) for key, document in incoming.items()}
    if whole_file and kind.replaces:
        return incoming
    after = {identifier: document for identifier, document in before.items() if identifier not in deletions}
    after.update(incoming)
    return after


def _refusal(step: str, error: LineError) -> Finding:
    where = f"line {error.line}: " if error.line else ""
    return Finding(step, Outcome.KO, f"{where}{error.message}", "REFUSED", error.identifier)


def _snapshot(
    kind: ReferentialKind, tenant: int, version: int, operation_id: str, documents: list[Document]
) -> bytes:
    document = {
        "schema": SNAPSHOT_SCHEMA,
        "kind": kind.name,
        "tenant": tenant,
        "version": version,
        "operation_id": operation_id,
        "created": iso(utc_now()),
        "entries": documents,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
