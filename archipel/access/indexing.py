"""Keeping the search index (archipel.access.model) in step with the unit rows.

Every change of units calls `index_units` in the transaction that changes them, so the
index never shows what the database does not hold, nor misses what it does. The index is
derived data: `reindex_tenant` rebuilds it from the unit rows, which themselves come back
from the offers (`archipel rebuild`).

Ancestors and effective rules of a unit depend on everything above it, so a change of a
unit (its parents, its rules) is carried down to all its descendants, parents first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Select, String, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from archipel.access.fields import unit_field_rows
from archipel.access.inheritance import Declared, EffectiveRule, effective_rules
from archipel.access.model import UnitAncestor, UnitEffectiveRule, UnitField, UnitText
from archipel.access.text import unit_text_fields
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, UnitParent, UnitRule

BATCH = 500
"""Units read, and rows deleted, per statement: SQLite limits bound parameters per query."""


def index_units(
    session: Session, tenant: int, unit_ids: Iterable[str], progress: Callable[[int], None] | None = None
) -> None:
    """Indexes these units' descriptions, then their place and rules and those of all below them.

    A unit id that no longer exists (a deleted node) loses its index rows.
    """
    ids = sorted(set(unit_ids))
    scope = TenantScope(session, tenant)
    _delete_rows(session, tenant, ids, (UnitField, UnitText))
    done = 0
    for batch in _batches(ids):
        units = list(session.scalars(scope.select(ArchiveUnit).where(ArchiveUnit.id.in_(batch))))
        _index_descriptions(scope, units)
        done += len(batch)
        if progress:
            progress(done)
    refresh_tree(session, tenant, ids)


def reindex_tenant(session: Session, tenant: int, progress: Callable[[int], None] | None = None) -> int:
    """Rebuilds the whole index of a tenant from its unit rows; the number of units indexed.

    A tenant may hold millions of units, so nothing here holds them all: descriptions are
    indexed a batch at a time in id order, and the tree in waves: first the units without a
    parent, then each time the units whose parents are all indexed already, read a batch at a
    time from a temporary table (`_Waves`). Memory holds one batch and its parents' state.
    """
    for model in (UnitField, UnitAncestor, UnitEffectiveRule):
        session.execute(delete(model).where(model.tenant_id == tenant))
    session.execute(delete(UnitText).where(UnitText.tenant_id == tenant))
    scope = TenantScope(session, tenant)
    described = 0
    for batch in _id_batches(session, scope.select(ArchiveUnit).with_only_columns(ArchiveUnit.id)):
        rows = session.execute(
            scope.select(ArchiveUnit)
            .where(ArchiveUnit.id.in_(batch))
            .with_only_columns(ArchiveUnit.id, ArchiveUnit.content)
        )
        _index_descriptions(scope, list(rows))
        described += len(batch)
        if progress:
            progress(described)
    with _Waves(session, tenant) as waves:
        for _wave in waves:
            for batch in _id_batches(session, waves.members()):
                _index_tree(session, scope, _load_nodes(session, scope, set(batch)))
    return described


class _Waves:
    """The tenant's units in waves of units whose parents are all in earlier waves (the DAG has
    no cycle, so every unit is in one); each wave is a temporary table the caller reads by id."""

    def __init__(self, session: Session, tenant: int) -> None:
        self.session = session
        self.tenant = tenant
        metadata = MetaData()
        self.done = Table(
            "reindex_done", metadata, Column("unit_id", String(36), primary_key=True), prefixes=["TEMPORARY"]
        )
        self.wave = Table(
            "reindex_wave", metadata, Column("unit_id", String(36), primary_key=True), prefixes=["TEMPORARY"]
        )

    def __enter__(self) -> _Waves:
        for table in (self.done, self.wave):
            table.create(self.session.connection())
        return self

    def __exit__(self, *_: object) -> None:
        for table in (self.done, self.wave):
            table.drop(self.session.connection())

    def __iter__(self) -> Iterator[int]:
        number = 0
        while True:
            self.session.execute(delete(self.wave))
            self.session.execute(insert(self.wave).from_select(["unit_id"], self._ready()))
            if self.session.scalar(select(func.count()).select_from(self.wave)) == 0:
                return
            yield number
            self.session.execute(insert(self.done).from_select(["unit_id"], select(self.wave.c.unit_id)))
            number += 1

    def members(self) -> Select[Any]:
        return select(self.wave.c.unit_id)

    def _ready(self) -> Select[Any]:
        """Units not indexed yet whose every parent is."""
        scope = TenantScope(self.session, self.tenant)
        indexed = select(self.done.c.unit_id)
        waiting = (
            scope.select(UnitParent)
            .where(UnitParent.unit_id == ArchiveUnit.id, UnitParent.parent_id.not_in(indexed))
            .with_only_columns(UnitParent.unit_id)
        )
        return (
            scope.select(ArchiveUnit)
            .where(ArchiveUnit.id.not_in(indexed), ~waiting.exists())
            .with_only_columns(ArchiveUnit.id)
        )


def _id_batches(session: Session, ids: Select[Any]) -> Iterator[list[str]]:
    """The ids a statement selects (its only column), BATCH at a time in id order, by keyset."""
    column = ids.selected_columns[0]
    last: str | None = None
    while True:
        page = ids.order_by(column).limit(BATCH)
        if last is not None:
            page = page.where(column > last)
        batch = list(session.scalars(page))
        if not batch:
            return
        yield batch
        last = batch[-1]


def _index_descriptions(scope: TenantScope, units: Sequence[Any]) -> None:
    """Fields and words of these units (rows or objects with `id` and `content`)."""
    fields: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    for unit in units:
        content = unit.content or {}
        for seq, row in enumerate(unit_field_rows(content)):
            fields.append({**row, "unit_id": unit.id, "seq": seq})
        for field, text in unit_text_fields(content).items():
            texts.append({"tenant_id": scope.tenant, "unit_id": unit.id, "field": field, "text": text})
    scope.insert_many(UnitField, fields)
    if texts:  # UnitText's key is its own id, not the tenant: stamped above
        scope.session.execute(insert(UnitText), texts)


# -- the tree: ancestors and effective rules ------------------------------------------------


@dataclass
class _Node:
    parents: list[str]
    declared: Declared


def refresh_tree(session: Session, tenant: int, unit_ids: Iterable[str]) -> None:
    """Recomputes ancestors and effective rules of these units and of every unit below them."""
    scope = TenantScope(session, tenant)
    roots = set(unit_ids)
    affected = set(roots)
    for batch in _batches(sorted(roots)):
        query = scope.select(UnitAncestor).where(UnitAncestor.ancestor_id.in_(batch))
        affected.update(session.scalars(query.with_only_columns(UnitAncestor.unit_id)))
    nodes = _load_nodes(session, scope, affected)
    affected = set(nodes)
    gone = roots - affected
    _delete_rows(session, tenant, sorted(gone | affected), (UnitAncestor, UnitEffectiveRule))
    _index_tree(session, scope, nodes)


def _index_tree(session: Session, scope: TenantScope, nodes: dict[str, _Node]) -> None:
    """Ancestors and effective rules of these units, from those indexed above them, inserted."""
    affected = set(nodes)
    outside = {parent for node in nodes.values() for parent in node.parents} - affected
    ancestors, rules = _known_state(session, scope, outside)
    for unit_id in _parents_first(nodes):
        node = nodes[unit_id]
        ancestors[unit_id] = _ancestors_of(node.parents, ancestors)
        rules[unit_id] = effective_rules(unit_id, node.declared, [rules.get(p, []) for p in node.parents])
    scope.insert_many(
        UnitAncestor,
        [
            {"unit_id": unit_id, "ancestor_id": ancestor, "depth": depth}
            for unit_id in affected
            for ancestor, depth in ancestors[unit_id].items()
        ],
    )
    scope.insert_many(
        UnitEffectiveRule,
        [
            {
                "unit_id": unit_id,
                "category": rule.category,
                "rule_id": rule.rule_id,
                "origin_id": rule.origin_id,
                "start_date": rule.start_date,
                "end_date": rule.end_date,
            }
            for unit_id in affected
            for rule in rules[unit_id]
        ],
    )


def _load_nodes(session: Session, scope: TenantScope, unit_ids: set[str]) -> dict[str, _Node]:
    """Parents, management and own rules of the units that still exist."""
    nodes: dict[str, _Node] = {}
    for batch in _batches(sorted(unit_ids)):
        rows = session.execute(
            scope.select(ArchiveUnit)
            .where(ArchiveUnit.id.in_(batch))
            .with_only_columns(ArchiveUnit.id, ArchiveUnit.management)
        )
        for unit_id, management in rows:
            nodes[unit_id] = _Node([], Declared(management or {}, []))
        links = scope.select(UnitParent).where(UnitParent.unit_id.in_(batch)).order_by(UnitParent.parent_id)
        for link in session.scalars(links):
            if link.unit_id in nodes:
                nodes[link.unit_id].parents.append(link.parent_id)
        own = scope.select(UnitRule).where(UnitRule.unit_id.in_(batch))
        for rule in session.scalars(own):
            if rule.unit_id in nodes:
                nodes[rule.unit_id].declared.rules.append(
                    EffectiveRule(rule.category, rule.rule_id, rule.unit_id, rule.start_date, rule.end_date)
                )
    return nodes


def _known_state(
    session: Session, scope: TenantScope, unit_ids: set[str]
) -> tuple[dict[str, dict[str, int]], dict[str, list[EffectiveRule]]]:
    """Ancestors and effective rules, as indexed, of units above the affected ones."""
    ancestors: dict[str, dict[str, int]] = {unit_id: {} for unit_id in unit_ids}
    rules: dict[str, list[EffectiveRule]] = defaultdict(list)
    for batch in _batches(sorted(unit_ids)):
        for row in session.scalars(scope.select(UnitAncestor).where(UnitAncestor.unit_id.in_(batch))):
            ancestors[row.unit_id][row.ancestor_id] = row.depth
        query = scope.select(UnitEffectiveRule).where(UnitEffectiveRule.unit_id.in_(batch))
        for rule in session.scalars(query):
            rules[rule.unit_id].append(
                EffectiveRule(rule.category, rule.rule_id, rule.origin_id, rule.start_date, rule.end_date)
            )
    return ancestors, rules


def _ancestors_of(parents: list[str], known: dict[str, dict[str, int]]) -> dict[str, int]:
    """Every unit above, at its nearest distance: a unit reached by two paths counts once."""
    found: dict[str, int] = {}
    for parent in parents:
        found[parent] = 1
    for parent in parents:
        for ancestor, depth in known.get(parent, {}).items():
            if depth + 1 < found.get(ancestor, depth + 2):
                found[ancestor] = depth + 1
    return found


def _parents_first(nodes: dict[str, _Node]) -> Iterator[str]:
    """The affected units, each after all its affected parents (the DAG has no cycle)."""
    waiting = {unit_id: sum(1 for p in node.parents if p in nodes) for unit_id, node in nodes.items()}
    children: dict[str, list[str]] = defaultdict(list)
    for unit_id, node in nodes.items():
        for parent in node.parents:
            if parent in nodes:
                children[parent].append(unit_id)
    ready = sorted(unit_id for unit_id, count in waiting.items() if count == 0)
    while ready:
        unit_id = ready.pop()
        yield unit_id
        for child in children[unit_id]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)


def _delete_rows(session: Session, tenant: int, unit_ids: list[str], models: tuple[type[Any], ...]) -> None:
    for batch in _batches(unit_ids):
        for model in models:
            session.execute(delete(model).where(model.tenant_id == tenant, model.unit_id.in_(batch)))


def _batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]
