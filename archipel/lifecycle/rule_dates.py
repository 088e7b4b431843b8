"""The end dates of a unit's own rules, where they are kept: its document, its `Management`, its rows.

Ingest computes each rule's end date once (`archipel.ingest.rule_checks`) and keeps it in
three places that must agree: the `EndDate` of the rule's entry in the unit's
`Management`, the `rules` list of the unit's document on the offers (what a rebuild reads
back: `archipel.metadata.rebuild` does not recompute dates), and the `unit_rules` rows the
index derives effective rules from. A mass update adding a rule and a recompute after a
rule's duration changed both change all three, through these helpers.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from archipel.db.repository import TenantScope
from archipel.ingest.rule_checks import parse_start
from archipel.metadata.model import UnitRule
from archipel.referential.rules import ManagementRule, RuleType
from archipel.referential.service import visible_documents

Document = dict[str, Any]


def tenant_rules(session: Session, tenant: int) -> dict[str, ManagementRule]:
    """The tenant's rules referential as it stands, by rule id."""
    return {
        rule_id: ManagementRule.from_document(document)
        for rule_id, document in visible_documents(session, tenant, "rules").items()
    }


def entry_end(rule: ManagementRule, category: str, entry: Document) -> date | None:
    """The end date of one rule entry of a `Management` block, as ingest computes it: its
    `StartDate` plus the rule's duration, or a hold's own `HoldEndDate` when it gives one."""
    if category == RuleType.HOLD and entry.get("HoldEndDate"):
        return parse_start(entry.get("HoldEndDate"))
    start = parse_start(entry.get("StartDate"))
    return rule.end_date(start) if start else None


def iso_day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def rule_label(category: str, rule_id: str) -> str:
    """How a change detail names a rule: `AccessRule ACC-00003`."""
    return f"{category} {rule_id}"


def change_detail(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A lifecycle entry's detail: what the change touched, before and after, as sorted JSON."""
    return json.dumps({"before": before, "after": after}, ensure_ascii=False, sort_keys=True)


def replace_unit_rules(session: Session, tenant: int, unit_id: str, rules: list[Document]) -> None:
    """The unit's `unit_rules` rows made again from its document's `rules` list (as a rebuild
    would), one row per (category, rule): a rule named twice keeps its first start, as at ingest."""
    session.execute(delete(UnitRule).where(UnitRule.tenant_id == tenant, UnitRule.unit_id == unit_id))
    rows: dict[tuple[str, str], Document] = {}
    for rule in rules:
        rows.setdefault(
            (rule["category"], rule["rule_id"]),
            {
                "unit_id": unit_id,
                "category": rule["category"],
                "rule_id": rule["rule_id"],
                "start_date": _day(rule.get("start_date")),
                "end_date": _day(rule.get("end_date")),
            },
        )
    TenantScope(session, tenant).insert_many(UnitRule, list(rows.values()))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
