"""Holds (gel, SEDA 2.2 `HoldRule`): archives frozen for a litigation, an audit, an inquiry.

A unit is under hold on a day when a HoldRule applies to it, its own or inherited down
the tree (the effective rules the index keeps, `archipel.access.model.UnitEffectiveRule`),
and has not ended by that day: a rule without an end date (no duration, no `HoldEndDate`)
holds until it is released. A held unit cannot be eliminated, transferred or modified:
every such operation asks `refuse_if_held` first, the one place the rule is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlalchemy.orm import Session

from archipel.access.model import UnitEffectiveRule
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict
from archipel.db.repository import TenantScope
from archipel.referential.rules import RuleType

HOLD_RULE = RuleType.HOLD.value
BATCH = 500
NAMED = 5
"""Held units named in a refusal; the count says how many more there are."""


@dataclass(frozen=True)
class Hold:
    """One hold on one unit: the rule, the unit that declares it, and when it ends (None: never)."""

    unit_id: str
    rule_id: str
    origin_id: str
    end_date: date | None

    def describe(self) -> str:
        origin = "its own" if self.origin_id == self.unit_id else f"inherited from unit {self.origin_id}"
        until = f"until {self.end_date.isoformat()}" if self.end_date else "with no end date"
        return f"unit {self.unit_id} is under hold {self.rule_id} ({origin}, {until})"


class UnitHeld(Conflict):
    """The operation would change or destroy units under hold: release the hold first."""

    code = "UNIT_HELD"


def holds_on(session: Session, tenant: int, unit_ids: Iterable[str], day: date) -> dict[str, list[Hold]]:
    """Unit id → the holds in force on `day`, for the units that have any."""
    ids = sorted(set(unit_ids))
    scope = TenantScope(session, tenant)
    found: dict[str, list[Hold]] = defaultdict(list)
    for start in range(0, len(ids), BATCH):
        query = scope.select(UnitEffectiveRule).where(
            UnitEffectiveRule.unit_id.in_(ids[start : start + BATCH]),
            UnitEffectiveRule.category == HOLD_RULE,
            or_(UnitEffectiveRule.end_date.is_(None), UnitEffectiveRule.end_date > day),
        )
        for rule in session.scalars(query.order_by(UnitEffectiveRule.unit_id, UnitEffectiveRule.rule_id)):
            found[rule.unit_id].append(Hold(rule.unit_id, rule.rule_id, rule.origin_id, rule.end_date))
    return dict(found)


def refuse_if_held(
    session: Session, tenant: int, unit_ids: Iterable[str], action: str, day: date | None = None
) -> None:
    """Raises `UnitHeld` naming each held unit and its hold rule when any of these units is held.

    `action` names what is refused in the message (`elimination`, `reclassification`...).
    Call it in the transaction that checks the request, and again in the one that commits
    the change, so a hold set meanwhile still stops it.
    """
    held = holds_on(session, tenant, unit_ids, day or utc_now().date())
    if not held:
        return
    described = [holds[0].describe() for _, holds in sorted(held.items())]
    more = f"; and {len(described) - NAMED} more held unit(s)" if len(described) > NAMED else ""
    raise UnitHeld(f"{action} refused: {'; '.join(described[:NAMED])}{more}: release the hold first")
