"""Management rules as a depositor writes them by hand: `RULEID[:START]`, a final action.

The metadata CSV (`metadata_csv`) and the `--rule` option of `archipel sip build` take the
same short spelling, so it is read in one place, into the JSON shape `MetadataWriter`
writes (`{"Rules": [{"Rule": ..., "StartDate": ...}], "FinalAction": ...}`). What SEDA
itself would refuse (an appraisal rule without its final action, a start date that is not
a date) is said here, naming the value, rather than as an XSD error after the files are
copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from archipel.referential.rules import RuleType

CATEGORIES: tuple[str, ...] = tuple(
    member.value for member in RuleType if member not in (RuleType.CLASSIFICATION, RuleType.HOLD)
)
"""The categories a depositor may set this way; a classification rule needs a level and an
owner, and a hold its own fields, which this short spelling has no room for."""
FINAL_ACTIONS: dict[str, tuple[str, ...]] = {
    RuleType.APPRAISAL.value: ("Keep", "Destroy"),
    RuleType.STORAGE.value: ("RestrictAccess", "Transfer", "Copy"),
}
"""SEDA's `FinalActionAppraisalCodeType` and `FinalActionStorageCodeType`."""
SEPARATOR = ":"


class RuleSpecError(ValueError):
    """A rule written by hand that cannot be read; the message names the value and why."""


def parse_rule(text: str) -> dict[str, str]:
    """`RULEID[:START]` as one rule of a category (`{"Rule": ..., "StartDate": ...}`)."""
    rule_id, _, start = (part.strip() for part in text.strip().partition(SEPARATOR))
    if not rule_id:
        raise RuleSpecError(f"{text!r}: no rule identifier (expected RULEID[:YYYY-MM-DD])")
    rule = {"Rule": rule_id}
    if start:
        rule["StartDate"] = parse_day(start, f"start date of rule {rule_id}")
    return rule


def parse_day(text: str, what: str) -> str:
    """An ISO date (`2024-03-20`) or the French spreadsheet spelling (`20/03/2024`), as ISO."""
    value = text.strip()
    day, month, year = value.split("/") if value.count("/") == 2 else ("", "", "")
    try:
        parsed = date(int(year), int(month), int(day)) if year else date.fromisoformat(value)
    except ValueError:
        raise RuleSpecError(f"{what}: {text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
    return parsed.isoformat()


def category_block(
    category: str, rules: Iterable[Mapping[str, str]], final_action: str | None
) -> dict[str, Any]:
    """A rule category as `Management` holds it; refuses what SEDA would."""
    if category not in CATEGORIES:
        raise RuleSpecError(f"{category!r} is not a rule category here (one of {', '.join(CATEGORIES)})")
    block: dict[str, Any] = {"Rules": [dict(rule) for rule in rules]}
    actions = FINAL_ACTIONS.get(category)
    if final_action is not None:
        if actions is None:
            raise RuleSpecError(f"{category} has no final action")
        if final_action not in actions:
            raise RuleSpecError(
                f"{category} final action {final_action!r} is not one of {', '.join(actions)}"
            )
        block["FinalAction"] = final_action
    elif actions is not None:
        raise RuleSpecError(f"{category} needs a final action ({' or '.join(actions)})")
    return block
