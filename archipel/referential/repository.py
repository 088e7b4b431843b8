"""Referential entries of one tenant, through the tenant scope like every archival table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from archipel.core.clock import utc_now
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.referential.model import ReferentialChange, ReferentialEntry, ReferentialVersion


class ReferentialRepository:
    def __init__(self, session: Session, tenant: int) -> None:
        self.scope = TenantScope(session, tenant)
        self.session = session

    def entries(self, kind: str) -> list[ReferentialEntry]:
        query = self.scope.select(ReferentialEntry).where(ReferentialEntry.kind == kind)
        return list(
            self.session.scalars(query.order_by(ReferentialEntry.position, ReferentialEntry.identifier))
        )

    def documents(self, kind: str) -> dict[str, dict[str, Any]]:
        return {entry.identifier: entry.document for entry in self.entries(kind)}

    def find(self, kind: str, identifier: str) -> ReferentialEntry | None:
        return self.scope.find(ReferentialEntry, kind=kind, identifier=identifier)

    def replace(
        self, kind: str, entries: list[ReferentialEntry], after: dict[str, dict[str, Any]], operation_id: str
    ) -> Changes:
        """Turns `entries` (the kind's entries as `entries()` read them) into the referential
        `after`, in that order, recording every change in its history.

        Entries are read once by the caller and written in bulk: the PRONOM formats are
        thousands of entries, and a query per entry made an import cost seconds.
        """
        now = utc_now()
        current = {entry.identifier: entry for entry in entries}
        changes = Changes()
        new_rows: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for position, (identifier, document) in enumerate(after.items()):
            status = document.get("Status") if isinstance(document.get("Status"), str) else None
            entry = current.get(identifier)
            if entry is None:
                new_rows.append(
                    {
                        "kind": kind,
                        "identifier": identifier,
                        "status": status,
                        "document": document,
                        "position": position,
                        "version": 1,
                        "created": now,
                        "updated": now,
                    }
                )
                changes.created.append(identifier)
                history.append(_change(kind, identifier, 1, "create", document, operation_id, now))
                continue
            entry.position = position
            if entry.document != document:
                entry.document, entry.status, entry.version, entry.updated = (
                    document,
                    status,
                    entry.version + 1,
                    now,
                )
                changes.updated.append(identifier)
                history.append(
                    _change(kind, identifier, entry.version, "update", document, operation_id, now)
                )
        for identifier, entry in current.items():
            if identifier not in after:
                changes.deleted.append(identifier)
                history.append(
                    _change(kind, identifier, entry.version + 1, "delete", None, operation_id, now)
                )
                self.session.delete(entry)
        self.scope.insert_many(ReferentialEntry, new_rows)
        self.scope.insert_many(ReferentialChange, history)
        return changes

    def history(self, kind: str, identifier: str) -> list[ReferentialChange]:
        query = self.scope.select(ReferentialChange).where(
            ReferentialChange.kind == kind, ReferentialChange.identifier == identifier
        )
        return list(self.session.scalars(query.order_by(ReferentialChange.version)))

    def version(self, kind: str) -> int:
        """The current version of the whole referential; 0 before its first import."""
        query = self.scope.select(ReferentialVersion).where(ReferentialVersion.kind == kind)
        return self.session.scalar(query.with_only_columns(func.max(ReferentialVersion.version))) or 0

    def add_version(self, kind: str, version: int, operation_id: str, sha512: str) -> None:
        self.scope.add(
            ReferentialVersion(
                kind=kind, version=version, operation_id=operation_id, sha512=sha512, created=utc_now()
            )
        )


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def _change(
    kind: str,
    identifier: str,
    version: int,
    action: str,
    document: dict[str, Any] | None,
    operation_id: str,
    changed: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "kind": kind,
        "identifier": identifier,
        "version": version,
        "action": action,
        "document": document,
        "operation_id": operation_id,
        "changed": changed,
    }
