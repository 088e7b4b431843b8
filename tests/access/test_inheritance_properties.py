"""The indexed ancestors and effective rules agree with a naive computation, on random DAGs,
after a first indexing, after a unit is moved (only what is below it is recomputed), and
after the whole tenant is indexed again in waves (as a rebuild does).

The naive side walks the parents by breadth-first search and applies the inheritance rules
recursively, as an archivist would by hand; the index computes them incrementally, parents
first, from what is already indexed above.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert, select
from sqlalchemy.orm import Session

from archipel.access.indexing import index_units, refresh_tree, reindex_tenant
from archipel.access.model import UnitAncestor, UnitEffectiveRule
from archipel.db.models import Base
from archipel.metadata.model import ArchiveUnit, UnitParent, UnitRule

RULES = ("ACC-1", "ACC-2", "ACC-3")
CATEGORIES = ("AccessRule", "AppraisalRule")
TENANT = 1


@st.composite
def archives(draw: st.DrawFn) -> dict[str, Any]:
    """Units 0..n-1, each under 0–2 units of smaller number (so the graph has no cycle)."""
    size = draw(st.integers(2, 9))
    units = []
    for index in range(size):
        parents = draw(st.sets(st.integers(0, index - 1), max_size=2)) if index else set()
        own = draw(st.sets(st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(RULES)), max_size=2))
        ends = {rule: draw(st.none() | st.dates(date(2000, 1, 1), date(2100, 1, 1))) for rule in own}
        prevent = draw(st.sets(st.sampled_from(CATEGORIES), max_size=1))
        refused = draw(st.sets(st.sampled_from(RULES), max_size=1))
        units.append({"parents": sorted(parents), "own": ends, "prevent": prevent, "refused": refused})
    moved = draw(st.integers(1, size - 1))
    new_parents = sorted(draw(st.sets(st.integers(0, moved - 1), max_size=2)))
    return {"units": units, "moved": moved, "new_parents": new_parents}


def management(unit: dict[str, Any]) -> dict[str, Any]:
    blocks: dict[str, Any] = {}
    for category in CATEGORIES:
        block: dict[str, Any] = {}
        if category in unit["prevent"]:
            block["PreventInheritance"] = "true"
        if unit["refused"]:
            block["RefNonRuleId"] = sorted(unit["refused"])
        if block:
            blocks[category] = block
    return blocks


def write(session: Session, archive: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    for index, unit in enumerate(archive["units"]):
        session.execute(
            insert(ArchiveUnit),
            [{"tenant_id": TENANT, "id": f"u{index}", "operation_id": "op", "title": f"u{index}",
              "content": {}, "management": management(unit), "created": now, "version": 1}],
        )  # fmt: skip
        for parent in unit["parents"]:
            session.execute(
                insert(UnitParent), [{"tenant_id": TENANT, "unit_id": f"u{index}", "parent_id": f"u{parent}"}]
            )
        for (category, rule), end in unit["own"].items():
            session.execute(
                insert(UnitRule),
                [{"tenant_id": TENANT, "unit_id": f"u{index}", "category": category, "rule_id": rule,
                  "start_date": None, "end_date": end}],
            )  # fmt: skip


def naive(archive: dict[str, Any]) -> tuple[dict[str, dict[str, int]], dict[str, set[tuple[Any, ...]]]]:
    units = archive["units"]

    def ancestors(index: int) -> dict[str, int]:
        found: dict[str, int] = {}
        queue = deque((parent, 1) for parent in units[index]["parents"])
        while queue:
            unit, depth = queue.popleft()
            if f"u{unit}" not in found:
                found[f"u{unit}"] = depth
                queue.extend((parent, depth + 1) for parent in units[unit]["parents"])
        return found

    @cache
    def effective(index: int) -> frozenset[tuple[Any, ...]]:
        unit = units[index]
        rules = {(category, rule, f"u{index}", end) for (category, rule), end in unit["own"].items()}
        for parent in unit["parents"]:
            for category, rule, origin, end in effective(parent):
                if category in unit["prevent"] or rule in unit["refused"] or (category, rule) in unit["own"]:
                    continue
                rules.add((category, rule, origin, end))
        return frozenset(rules)

    return (
        {f"u{i}": ancestors(i) for i in range(len(units))},
        {f"u{i}": set(effective(i)) for i in range(len(units))},
    )


def indexed(session: Session) -> tuple[dict[str, dict[str, int]], dict[str, set[tuple[Any, ...]]]]:
    units = session.scalars(select(ArchiveUnit.id)).all()
    ancestors: dict[str, dict[str, int]] = {unit: {} for unit in units}
    for row in session.scalars(select(UnitAncestor)):
        ancestors[row.unit_id][row.ancestor_id] = row.depth
    rules: dict[str, set[tuple[Any, ...]]] = {unit: set() for unit in units}
    for rule in session.scalars(select(UnitEffectiveRule)):
        rules[rule.unit_id].add((rule.category, rule.rule_id, rule.origin_id, rule.end_date))
    return ancestors, rules


@settings(max_examples=60, deadline=None)
@given(archives())
def test_indexed_inheritance_equals_the_naive_one_before_and_after_a_move(archive: dict[str, Any]) -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        write(session, archive)
        index_units(session, TENANT, [f"u{i}" for i in range(len(archive["units"]))])
        assert indexed(session) == naive(archive)

        moved = archive["moved"]
        session.execute(delete(UnitParent).where(UnitParent.unit_id == f"u{moved}"))
        for parent in archive["new_parents"]:
            session.execute(
                insert(UnitParent), [{"tenant_id": TENANT, "unit_id": f"u{moved}", "parent_id": f"u{parent}"}]
            )
        archive["units"][moved]["parents"] = archive["new_parents"]
        refresh_tree(session, TENANT, [f"u{moved}"])
        assert indexed(session) == naive(archive)

        reindex_tenant(session, TENANT)  # the whole tenant again, in waves (as a rebuild does)
        assert indexed(session) == naive(archive)
    engine.dispose()
