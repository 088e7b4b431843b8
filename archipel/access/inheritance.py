"""Which management rules apply to a unit: its own, and those it inherits from above.

SEDA rules flow down the unit tree: a file under a series is ruled by the series' access
rule unless it says otherwise. A unit stops the flow for a whole category with
`PreventInheritance`, or for named rules with `RefNonRuleId`; a rule it declares itself
takes the place of the same rule inherited (its own start date counts). A unit with
several parents inherits from all of them. Each effective rule keeps the unit it comes
from, so an archivist can see why a unit is not yet communicable.

The lifecycle issue extends this (final actions, holds); here is what communicability and
the access contracts need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from archipel.ingest.rule_checks import as_list, rule_blocks, text_of


@dataclass(frozen=True)
class EffectiveRule:
    category: str
    rule_id: str
    origin_id: str
    start_date: date | None
    end_date: date | None
    """None: the rule never ends (unlimited duration) or cannot be counted (no start date)."""


@dataclass
class Declared:
    """What a unit says about rules: its `Management` block and its own rules with end dates."""

    management: dict[str, Any]
    rules: list[EffectiveRule] = field(default_factory=list)

    def blocks_category(self, category: str) -> bool:
        block = self.management.get(category)
        if not isinstance(block, dict):
            return False
        prevent = as_list(block.get("PreventInheritance"))
        return any(text_of(value).lower() in ("true", "1") for value in prevent)

    def refused_rules(self) -> dict[str, set[str]]:
        """Category → rule ids this unit refuses to inherit (`RefNonRuleId`)."""
        return {
            category: {text_of(value) for value in as_list(block.get("RefNonRuleId")) if text_of(value)}
            for category, block in rule_blocks(self.management)
        }


def effective_rules(
    unit_id: str, declared: Declared, parents_rules: Iterable[Iterable[EffectiveRule]]
) -> list[EffectiveRule]:
    """The unit's own rules, then those inherited from its parents that it lets through."""
    own = {(rule.category, rule.rule_id) for rule in declared.rules}
    refused = declared.refused_rules()
    found: dict[tuple[str, str, str], EffectiveRule] = {}
    for rule in declared.rules:
        found.setdefault((rule.category, rule.rule_id, unit_id), rule)
    for inherited in parents_rules:
        for rule in inherited:
            if (
                (rule.category, rule.rule_id) in own
                or declared.blocks_category(rule.category)
                or rule.rule_id in refused.get(rule.category, ())
            ):
                continue
            found.setdefault((rule.category, rule.rule_id, rule.origin_id), rule)
    return sorted(found.values(), key=lambda rule: (rule.category, rule.rule_id, rule.origin_id))


def communicable_on(rules: Iterable[EffectiveRule], day: date) -> bool:
    """Free to communicate on `day`: every access rule that applies has ended by then.

    A rule with no end (unlimited, or no start date to count from) keeps the unit closed:
    an archive is never opened to the public by a missing date.
    """
    return all(
        rule.end_date is not None and rule.end_date <= day for rule in rules if rule.category == "AccessRule"
    )
