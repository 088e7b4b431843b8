"""UNITS_RULES_COMPUTE and CHECK_CLASSIFICATION_LEVEL: the management rules of each unit.

Every rule a unit names must exist in the tenant's rules referential, in the category it
is used in; its end date is its `StartDate` plus the rule's duration, computed here once
and stored with the unit (SEDA 2.x `Management`, the reference system's `EndDate`).
Inheritance down the tree is the lifecycle's business; here each unit's own rules count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Finding, ko
from archipel.referential.rules import RuleType

STEP = "UNITS_RULES_COMPUTE"
CATEGORIES = {member.value for member in RuleType}


@dataclass(frozen=True)
class ComputedRule:
    category: str
    rule_id: str
    start: date | None
    end: date | None


def text_of(value: Any) -> str:
    """A rule id as the manifest gives it: plain text, or `{"#text": ..., "@id": ...}`."""
    if isinstance(value, dict):
        value = value.get("#text", "")
    return str(value or "").strip()


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_start(value: Any) -> date | None:
    """`StartDate` is an `xsd:date`, possibly with a zone (`2016-09-26Z`): the date part counts."""
    text = text_of(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def rule_blocks(management: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for category, block in management.items():
        if category in CATEGORIES and isinstance(block, dict):
            yield category, block


def compute_rules(ctx: IngestContext) -> list[Finding]:
    assert ctx.manifest is not None
    if ctx.referentials is None:
        return []
    findings, _ = _unit_rules(ctx, ctx.manifest.management_metadata, "ManagementMetadata")
    for manifest_id, unit in ctx.manifest.units.items():
        unit_findings, ctx.unit_rules[manifest_id] = _unit_rules(ctx, unit.management, manifest_id)
        findings += unit_findings
    return findings


def _unit_rules(
    ctx: IngestContext, management: dict[str, Any], target: str
) -> tuple[list[Finding], list[ComputedRule]]:
    """The faults of the rule ids a `Management` names, and its rules with their end dates.

    End dates are also written into the management itself (`EndDate`), as the archive
    computed them; a unit with faults is refused, so what is computed for it is never kept.
    """
    assert ctx.referentials is not None
    findings: list[Finding] = []
    computed: list[ComputedRule] = []
    for category, block in rule_blocks(management):
        for entry in as_list(block.get("Rules")):
            rule_id = text_of(entry.get("Rule")) if isinstance(entry, dict) else ""
            if not rule_id:
                continue
            rule = ctx.referentials.rule(rule_id)
            if rule is None:
                message = (
                    f"{target}: {category} {rule_id} is not in the rules referential of tenant {ctx.tenant}"
                )
                findings.append(ko(STEP, message, "UNKNOWN", target))
            elif rule.rule_type != category:
                message = f"{target}: rule {rule_id} is a {rule.rule_type}, used as a {category}"
                findings.append(ko(STEP, message, "CONSISTENCY", target))
            else:
                start = parse_start(entry.get("StartDate"))
                end = rule.end_date(start) if start else None
                if category == RuleType.HOLD and entry.get("HoldEndDate"):
                    end = parse_start(entry.get("HoldEndDate"))
                if end is not None:
                    entry["EndDate"] = end.isoformat()
                computed.append(ComputedRule(category, rule_id, start, end))
        for reference in as_list(block.get("RefNonRuleId")):
            rule_id = text_of(reference)
            rule = ctx.referentials.rule(rule_id) if rule_id else None
            if rule_id and rule is None:
                message = f"{target}: {category} RefNonRuleId {rule_id} is not in the rules referential"
                findings.append(ko(STEP, message, "UNKNOWN", target))
            elif rule is not None and rule.rule_type != category:
                message = (
                    f"{target}: {category} RefNonRuleId {rule_id} names a {rule.rule_type}: "
                    "only a rule of the same category can be excluded from inheritance"
                )
                findings.append(ko(STEP, message, "REF_INCONSISTENCY", target))
    return findings, computed


def check_classification_level(ctx: IngestContext) -> list[Finding]:
    """A classification level outside the platform's list could not be protected as it requires."""
    assert ctx.manifest is not None
    allowed = ctx.settings.classification_levels
    findings = []
    sources = [("ManagementMetadata", ctx.manifest.management_metadata)]
    sources += [(manifest_id, unit.management) for manifest_id, unit in ctx.manifest.units.items()]
    for target, management in sources:
        block = management.get(RuleType.CLASSIFICATION.value)
        if not isinstance(block, dict):
            continue
        level = text_of(block.get("ClassificationLevel"))
        if level and level not in allowed:
            message = f"{target}: classification level {level!r} is not one of {', '.join(allowed)}"
            findings.append(ko("CHECK_CLASSIFICATION_LEVEL", message, None, target))
    return findings
