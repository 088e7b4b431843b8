"""Which archive units may be destroyed on a day, and why the others are kept.

A unit is destroyable when every appraisal rule that applies to it (its own or inherited,
`archipel.access.model.UnitEffectiveRule`) has ended by the day, with the final action
`Destroy` declared where the rule comes from (SEDA `AppraisalRule/FinalAction`), no hold
is in force on it (`archipel.lifecycle.holds`), every unit below it is destroyable too
(a unit never loses what it classifies: an eliminated series would orphan its files), and
its object group is held by no unit that is kept (the binaries of a kept unit stay).
The last two conditions depend on each other, so they are applied until nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from archipel.access.model import UnitAncestor, UnitEffectiveRule
from archipel.db.repository import TenantScope
from archipel.lifecycle.holds import holds_on
from archipel.metadata.model import ArchiveUnit
from archipel.referential.rules import RuleType

APPRAISAL_RULE = RuleType.APPRAISAL.value
DESTROY = "Destroy"
BATCH = 500


class Kept(StrEnum):
    """Why a unit is kept (the codes of the analysis report)."""

    NO_APPRAISAL_RULE = "NO_APPRAISAL_RULE"
    FINAL_ACTION_KEEP = "FINAL_ACTION_KEEP"
    RULE_NOT_ENDED = "RULE_NOT_ENDED"
    HOLD = "HOLD"
    KEPT_DESCENDANT = "KEPT_DESCENDANT"
    SHARED_OBJECT_GROUP = "SHARED_OBJECT_GROUP"


@dataclass(frozen=True)
class Verdict:
    unit_id: str
    kept: Kept | None = None
    """None: destroyable."""
    reason: str = ""

    @property
    def destroyable(self) -> bool:
        return self.kept is None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.unit_id, "code": self.kept.value if self.kept else None, "reason": self.reason}


@dataclass
class _Appraisal:
    rule_id: str
    origin_id: str
    end_date: date | None
    final_action: str | None


def judge(session: Session, tenant: int, unit_ids: Sequence[str], day: date) -> dict[str, Verdict]:
    """The verdict on each of these units on `day` (see the module doc), in the order given."""
    ids = list(dict.fromkeys(unit_ids))
    appraisals = _appraisals(session, tenant, ids)
    holds = holds_on(session, tenant, ids, day)
    verdicts = {unit_id: _own_verdict(unit_id, appraisals.get(unit_id, []), day) for unit_id in ids}
    for unit_id, unit_holds in holds.items():
        if verdicts[unit_id].destroyable:
            verdicts[unit_id] = Verdict(unit_id, Kept.HOLD, unit_holds[0].describe())
    descendants = _descendants(session, tenant, ids)
    groups, holders = _groups(session, tenant, ids)
    changed = True
    while changed:
        changed = False
        destroyable = {unit_id for unit_id, verdict in verdicts.items() if verdict.destroyable}
        for unit_id in sorted(destroyable):
            verdict = _kept_for_others(unit_id, destroyable, descendants, groups, holders)
            if verdict is not None:
                verdicts[unit_id] = verdict
                destroyable.discard(unit_id)
                changed = True
    return verdicts


def _own_verdict(unit_id: str, rules: list[_Appraisal], day: date) -> Verdict:
    if not rules:
        return Verdict(unit_id, Kept.NO_APPRAISAL_RULE, "no appraisal rule applies to the unit")
    for rule in rules:
        if rule.final_action != DESTROY:
            action = rule.final_action or "no final action"
            return Verdict(unit_id, Kept.FINAL_ACTION_KEEP, f"{_named(unit_id, rule)}: final action {action}")
    for rule in rules:
        if rule.end_date is None or rule.end_date > day:
            until = f"ends on {rule.end_date.isoformat()}" if rule.end_date else "has no end date"
            return Verdict(unit_id, Kept.RULE_NOT_ENDED, f"{_named(unit_id, rule)} {until}")
    return Verdict(unit_id, None, f"appraisal rule(s) {', '.join(r.rule_id for r in rules)} ended, Destroy")


def _named(unit_id: str, rule: _Appraisal) -> str:
    origin = "" if rule.origin_id == unit_id else f" inherited from unit {rule.origin_id}"
    return f"appraisal rule {rule.rule_id}{origin}"


def _kept_for_others(
    unit_id: str,
    destroyable: set[str],
    descendants: dict[str, set[str]],
    groups: dict[str, str],
    holders: dict[str, set[str]],
) -> Verdict | None:
    kept_below = sorted(descendants.get(unit_id, set()) - destroyable)
    if kept_below:
        more = f" and {len(kept_below) - 1} more" if len(kept_below) > 1 else ""
        reason = f"unit {kept_below[0]}{more} below it is kept"
        return Verdict(unit_id, Kept.KEPT_DESCENDANT, reason)
    group = groups.get(unit_id)
    sharing = sorted(holders.get(group, set()) - destroyable) if group else []
    if sharing:
        reason = f"its object group {group} is also held by unit {sharing[0]}, which is kept"
        return Verdict(unit_id, Kept.SHARED_OBJECT_GROUP, reason)
    return None


def _batches(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _appraisals(session: Session, tenant: int, ids: Sequence[str]) -> dict[str, list[_Appraisal]]:
    """The appraisal rules that apply to each unit, with the final action of the unit they come from."""
    scope = TenantScope(session, tenant)
    found: dict[str, list[_Appraisal]] = defaultdict(list)
    for batch in _batches(ids):
        query = scope.select(UnitEffectiveRule).where(
            UnitEffectiveRule.unit_id.in_(batch), UnitEffectiveRule.category == APPRAISAL_RULE
        )
        for rule in session.scalars(query.order_by(UnitEffectiveRule.rule_id)):
            found[rule.unit_id].append(_Appraisal(rule.rule_id, rule.origin_id, rule.end_date, None))
    origins = sorted({rule.origin_id for rules in found.values() for rule in rules})
    actions: dict[str, str | None] = {}
    for batch in _batches(origins):
        rows = session.execute(
            scope.select(ArchiveUnit)
            .where(ArchiveUnit.id.in_(batch))
            .with_only_columns(ArchiveUnit.id, ArchiveUnit.management)
        )
        for origin_id, management in rows:
            block = (management or {}).get(APPRAISAL_RULE)
            actions[origin_id] = (
                str(block.get("FinalAction") or "") or None if isinstance(block, dict) else None
            )
    for rules in found.values():
        for rule in rules:
            rule.final_action = actions.get(rule.origin_id)
    return found


def _descendants(session: Session, tenant: int, ids: Sequence[str]) -> dict[str, set[str]]:
    """Unit id → every unit below it, selected or not (one lookup of the ancestors index)."""
    scope = TenantScope(session, tenant)
    below: dict[str, set[str]] = defaultdict(set)
    for batch in _batches(ids):
        query = scope.select(UnitAncestor).where(UnitAncestor.ancestor_id.in_(batch))
        for row in session.scalars(query):
            below[row.ancestor_id].add(row.unit_id)
    return below


def _groups(session: Session, tenant: int, ids: Sequence[str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Each unit's object group, and every unit of the tenant holding each of those groups."""
    scope = TenantScope(session, tenant)
    groups: dict[str, str] = {}
    for batch in _batches(ids):
        query = scope.select(ArchiveUnit).where(
            ArchiveUnit.id.in_(batch), ArchiveUnit.object_group_id.is_not(None)
        )
        for unit_id, group_id in session.execute(
            query.with_only_columns(ArchiveUnit.id, ArchiveUnit.object_group_id)
        ):
            groups[unit_id] = group_id
    holders: dict[str, set[str]] = defaultdict(set)
    for batch in _batches(sorted(set(groups.values()))):
        query = scope.select(ArchiveUnit).where(ArchiveUnit.object_group_id.in_(batch))
        for unit_id, group_id in session.execute(
            query.with_only_columns(ArchiveUnit.id, ArchiveUnit.object_group_id)
        ):
            holders[group_id].add(unit_id)
    return groups, holders
