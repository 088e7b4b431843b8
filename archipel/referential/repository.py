"""Referential entries of one tenant, through the tenant scope like every archival table."""

from __future__ import annotations

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

    def put(
        self, kind: str, identifier: str, document: dict[str, Any], position: int, operation_id: str
    ) -> str:
        """Creates or updates an entry and records the change; returns `create`, `update` or `same`."""
        now = utc_now()
        entry = self.find(kind, identifier)
        status = document.get("Status") if isinstance(document.get("Status"), str) else None
        if entry is None:
            entry = ReferentialEntry(
                kind=kind,
                identifier=identifier,
                status=status,
                document=document,
                position=position,
                version=1,
                created=now,
                updated=now,
            )
            self.scope.add(entry)
            action = "create"
        elif entry.document == document:
            entry.position = position
            return "same"
        else:
            entry.document, entry.status, entry.position = document, status, position
            entry.version += 1
            entry.updated = now
            action = "update"
        self._record(kind, identifier, entry.version, action, document, operation_id)
        return action

    def delete(self, kind: str, identifier: str, operation_id: str) -> None:
        entry = self.find(kind, identifier)
        if entry is not None:
            self._record(kind, identifier, entry.version + 1, "delete", None, operation_id)
            self.session.delete(entry)

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

    def _record(
        self,
        kind: str,
        identifier: str,
        version: int,
        action: str,
        document: dict[str, Any] | None,
        operation_id: str,
    ) -> None:
        self.scope.add(
            ReferentialChange(
                id=new_id(),
                kind=kind,
                identifier=identifier,
                version=version,
                action=action,
                document=document,
                operation_id=operation_id,
                changed=utc_now(),
            )
        )
