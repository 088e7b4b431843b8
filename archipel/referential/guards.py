"""Changes refused because archives depend on them.

A rule still applied by archive units cannot disappear or get shorter: their end dates
were computed from it, and communicability or elimination would silently change. An
agency that originated archives cannot disappear either. Longer durations are allowed:
they only keep archives longer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from archipel.metadata.repository import UnitRepository
from archipel.referential.report import LineError
from archipel.referential.rules import ManagementRule

Document = dict[str, Any]
Guard = Callable[[UnitRepository, dict[str, Document], dict[str, Document], dict[str, int]], list[LineError]]
"""(units, entries before, entries after, line of each entry in the file) → refusals."""

_REFERENCE_START = date(2000, 1, 1)
"""Durations are compared by the end date they give from one fixed start."""


def _in_use(identifier: str, units: list[str], why: str, line: int) -> LineError:
    shown = ", ".join(units[:5]) + (", ..." if len(units) > 5 else "")
    return LineError(line, f"{identifier} {why}: used by archive units {shown}", identifier, tuple(units))


def guard_rules(
    units: UnitRepository, before: dict[str, Document], after: dict[str, Document], lines: dict[str, int]
) -> list[LineError]:
    touched: dict[str, str] = {}
    for rule_id, old_document in before.items():
        new_document = after.get(rule_id)
        if new_document is None:
            touched[rule_id] = "cannot be deleted"
            continue
        old, new = ManagementRule.from_document(old_document), ManagementRule.from_document(new_document)
        if old.rule_type != new.rule_type:
            touched[rule_id] = f"cannot change category from {old.rule_type} to {new.rule_type}"
        elif _shorter(old, new):
            touched[rule_id] = (
                f"cannot be shortened from {old.written_duration or 'unlimited'} {old.written_measurement} "
                f"to {new.written_duration or 'unlimited'} {new.written_measurement}".rstrip()
            )
    used = units.units_using_rules(touched) if touched else {}
    return [
        _in_use(rule_id, used[rule_id], touched[rule_id], lines.get(rule_id, 0)) for rule_id in sorted(used)
    ]


def guard_agencies(
    units: UnitRepository, before: dict[str, Document], after: dict[str, Document], lines: dict[str, int]
) -> list[LineError]:
    removed = [identifier for identifier in before if identifier not in after]
    used = units.units_of_agencies(removed) if removed else {}
    return [
        _in_use(agency, used[agency], "cannot be deleted", lines.get(agency, 0)) for agency in sorted(used)
    ]


def _shorter(old: ManagementRule, new: ManagementRule) -> bool:
    old_end, new_end = old.end_date(_REFERENCE_START), new.end_date(_REFERENCE_START)
    if new_end is None:
        return False
    return old_end is None or new_end < old_end


GUARDS: dict[str, Guard] = {"rules": guard_rules, "agencies": guard_agencies}
