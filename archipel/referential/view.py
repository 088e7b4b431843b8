"""The referentials of one tenant as an ingest reads them: loaded once, read-only.

An ingest judges a SIP against the referentials as they stood when it started; loading
them once (they are small) keeps a long ingest consistent and out of the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from archipel.referential.contracts import IngestContract
from archipel.referential.rules import ManagementRule

Document = dict[str, Any]


@dataclass(frozen=True)
class Referentials:
    documents: dict[str, dict[str, Document]] = field(default_factory=dict)
    """Kind name → identifier → document, as `ReferentialService.entries` gives them."""

    def of(self, kind: str) -> dict[str, Document]:
        return self.documents.get(kind, {})

    @cached_property
    def rules(self) -> dict[str, ManagementRule]:
        """Read once per ingest: every rule a unit names is looked up here."""
        return {
            rule_id: ManagementRule.from_document(document) for rule_id, document in self.of("rules").items()
        }

    def rule(self, rule_id: str) -> ManagementRule | None:
        return self.rules.get(rule_id)

    def has_agency(self, identifier: str) -> bool:
        return identifier in self.of("agencies")

    def ingest_contract(self, identifier: str) -> IngestContract | None:
        document = self.of("ingest-contracts").get(identifier)
        return IngestContract.from_document(document) if document else None


def load_referentials(session: Session, tenant: int) -> Referentials:
    """Every kind the tenant sees (its own entries, and the shared ones)."""
    from archipel.referential.kinds import KINDS
    from archipel.referential.service import visible_documents

    return Referentials({name: visible_documents(session, tenant, name) for name in KINDS})
