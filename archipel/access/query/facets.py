"""`$facets`: counts over every row the search matches (not only the page returned).

Each facet is one GROUP BY or COUNT over the same condition as the results (tenant,
criteria, tree, the caller's restriction), so a unit the caller may not see is never
counted. A unit counts once per value however many times it carries it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func

from archipel.access.query.compile import Compiler, as_date
from archipel.access.query.nodes import DateRange, DateRangeFacet, Facet, FiltersFacet, TermsFacet
from archipel.access.query.sources import Kind, Source
from archipel.core.errors import InvalidRequest

Bucket = dict[str, Any]


def facet_buckets(
    compiler: Compiler, matching: Select[Any], identity: ColumnElement[Any], facet: Facet
) -> list[Bucket]:
    """`matching`: the collection's rows the search selects (its table, every condition)."""
    if isinstance(facet, TermsFacet):
        return _terms(compiler, matching, identity, facet)
    if isinstance(facet, DateRangeFacet):
        return _date_ranges(compiler, matching, identity, facet)
    if isinstance(facet, FiltersFacet):
        session = compiler.context.scope.session
        return [
            {"value": label, "count": session.scalar(_count(matching.where(compiler.condition(query)))) or 0}
            for label, query in facet.filters
        ]
    raise InvalidRequest(f"{facet.name}: unknown facet")  # the parser prevents it


def _terms(
    compiler: Compiler, matching: Select[Any], identity: ColumnElement[Any], facet: TermsFacet
) -> list[Bucket]:
    source = compiler.resolve(compiler.context, facet.field)
    value = compiler.context.ordered(source.value) if source.kind is Kind.TEXT else source.value
    values, owner = _values(source, matching, identity)
    count = func.count(distinct(owner))
    order = count.asc() if facet.ascending else count.desc()
    query = (
        values.with_only_columns(value, count)
        .where(value.is_not(None))
        .group_by(value)
        .order_by(order, value.asc())
        .limit(facet.size)
    )
    rows = compiler.context.scope.session.execute(query)
    return [{"value": _json(row[0]), "count": row[1]} for row in rows]


def _date_ranges(
    compiler: Compiler, matching: Select[Any], identity: ColumnElement[Any], facet: DateRangeFacet
) -> list[Bucket]:
    source = compiler.resolve(compiler.context, facet.field)
    if source.kind is Kind.NUMBER:
        raise InvalidRequest(f"$facets.{facet.name}: {facet.field} holds numbers, not dates")
    value = compiler.context.ordered(source.value) if source.kind is Kind.TEXT else source.value
    values, owner = _values(source, matching, identity)
    counts = [
        func.count(distinct(case((_in_range(source, value, date_range), owner))))
        for date_range in facet.ranges
    ]
    row = compiler.context.scope.session.execute(values.with_only_columns(*counts)).one()
    return [
        {"value": date_range.label, "count": count}
        for date_range, count in zip(facet.ranges, row, strict=True)
    ]


def _in_range(source: Source, value: ColumnElement[Any], date_range: DateRange) -> ColumnElement[bool]:
    """ISO dates compare as text (`1990-06-30` ≥ `1990`, < `1991`); rule dates as dates."""
    convert: Any = (lambda bound: as_date(source.name, bound)) if source.kind is Kind.DATE else str
    conditions = []
    if date_range.start is not None:
        conditions.append(value >= convert(date_range.start))
    if date_range.end is not None:
        conditions.append(value < convert(date_range.end))
    return and_(*conditions)


def _values(
    source: Source, matching: Select[Any], identity: ColumnElement[Any]
) -> tuple[Select[Any], ColumnElement[Any]]:
    """The field's values beside the id of the matching row they belong to.

    A column of the collection is read from the matching rows themselves; values kept in
    other rows are joined to the matching rows (their id and the key the values refer to).
    """
    if source.single:
        return matching, identity
    assert source.rows is not None and source.owner is not None and source.key is not None
    selected = matching.with_only_columns(identity.label("id"), source.key.label("key")).subquery("matching")
    return source.rows.join(selected, source.owner == selected.c.key), selected.c.id


def _count(query: Select[Any]) -> Select[Any]:
    return query.with_only_columns(func.count())


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
