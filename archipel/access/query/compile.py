"""Criteria (archipel.access.query.nodes) → one SQLAlchemy condition on the collection's table.

The condition is evaluated by the database, on its indexes: nothing is loaded into Python
to be filtered. Multi-valued fields follow the reference system's (Elasticsearch) meaning:
a criterion holds when *one* of the values satisfies it, and its negation (`$ne`, `$nin`,
`$not`) when none does — so a unit without the field satisfies `$ne`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true
from sqlalchemy.orm import aliased

from archipel.access.fields import as_number
from archipel.access.leaves import element_prefix_length
from archipel.access.model import FIELD_VALUE_LENGTH, UnitAncestor, UnitField
from archipel.access.query import fulltext
from archipel.access.query.nodes import (
    And,
    Bound,
    Everything,
    Exists,
    In,
    Match,
    Node,
    Not,
    Or,
    Range,
    Scalar,
    SubObject,
    Tree,
    Wildcard,
)
from archipel.access.query.sources import Context, Kind, Resolver, Source, content_source
from archipel.access.text import fold
from archipel.core.errors import InvalidRequest
from archipel.metadata.model import ArchiveUnit

LIKE_ESCAPE = "\\"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Compiler:
    context: Context
    resolve: Resolver
    full_text: bool
    """Whether `$match` is available (units have a full-text index, data objects do not)."""

    def condition(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Everything):
            return true()
        combined = boolean(node, self.condition)
        if combined is not None:
            return combined
        if isinstance(node, Match):
            return self._match(node)
        if isinstance(node, SubObject):
            return self._subobject(node)
        if isinstance(node, Exists):
            return self._exists(node.field)
        source = self.resolve(self.context, node.field)  # type: ignore[attr-defined]
        return self.holds(source, value_predicate(self.context, source, node))

    def holds(self, source: Source, predicate: ColumnElement[bool]) -> ColumnElement[bool]:
        """One of the source's values satisfies `predicate`."""
        if source.single:
            return predicate
        assert source.rows is not None and source.owner is not None and source.key is not None
        return self.context.member(source.key, source.owner, source.rows.where(predicate))

    def _exists(self, field: str) -> ColumnElement[bool]:
        source = self.resolve(self.context, field)
        if source.single:
            return source.value.is_not(None)
        if source.kind is Kind.FIELDS:  # an element exists when any value below it does
            source = content_source(self.context, field, below=True)
        return self.holds(source, source.value.is_not(None))

    def _match(self, node: Match) -> ColumnElement[bool]:
        if not self.full_text:
            raise InvalidRequest(f"{node.kind.value}: full-text search is not available on this collection")
        if node.field.startswith("#"):
            raise InvalidRequest(f"{node.kind.value}.{node.field}: full text applies to description fields")
        query = fulltext.Terms.of(node.kind, node.text)
        if query is None:  # no word at all: nothing can match
            return false()
        rows = fulltext.matching_texts(self.context, node.field, query)
        return self.context.member(ArchiveUnit.id, rows.selected_columns[0], rows)

    def _subobject(self, node: SubObject) -> ColumnElement[bool]:
        """Some instance of the element satisfies every criterion of the node *within itself*.

        An instance is named by the first characters of `unit_fields.element` (see
        archipel.access.leaves). The candidate instances are the rows of the first positive
        criterion when there is one (few rows, found by index), else every value under the
        element; each criterion is then a lookup in the same unit and instance.
        """
        length = element_prefix_length(node.path)
        instance = aliased(UnitField, name="instance")
        key = func.substr(instance.element, 1, length)
        inner = _SubObjectCompiler(self.context, instance, key, length)
        driver, rest = _driver(node.query)
        if driver is not None:
            own = content_source(self.context, driver.field, instance)  # type: ignore[attr-defined]
            assert own.rows is not None
            rows = own.rows.where(value_predicate(self.context, own, driver))
            condition = and_(true(), *(inner.condition(item) for item in rest))
        else:
            whole = content_source(self.context, node.path, instance, below=True)
            assert whole.rows is not None
            rows, condition = whole.rows, inner.condition(node.query)
        return self.context.member(ArchiveUnit.id, instance.unit_id, rows.where(condition))

    def tree(self, tree: Tree, key: ColumnElement[Any]) -> ColumnElement[bool]:
        """`key` (a unit id column) is one of the units `$roots`/`$depth` select."""
        roots = list(tree.roots)
        if tree.depth == 0:
            return key.in_(roots)
        rows = self.context.scope.select(UnitAncestor).where(UnitAncestor.ancestor_id.in_(roots))
        if tree.depth is not None:
            rows = rows.where(UnitAncestor.depth <= tree.depth)
        return self.context.member(key, UnitAncestor.unit_id, rows.correlate_except(UnitAncestor))


@dataclass(frozen=True)
class _SubObjectCompiler:
    """Criteria inside a `$subobject`: each one a lookup in the same unit and instance."""

    context: Context
    instance: Any
    key: ColumnElement[str]
    length: int

    def condition(self, node: Node) -> ColumnElement[bool]:
        combined = boolean(node, self.condition)
        if combined is not None:
            return combined
        value = aliased(UnitField)
        field: str = node.field  # type: ignore[attr-defined]
        source = content_source(self.context, field, value, below=isinstance(node, Exists))
        assert source.rows is not None
        predicate = true() if isinstance(node, Exists) else value_predicate(self.context, source, node)
        same_instance = and_(
            value.unit_id == self.instance.unit_id, func.substr(value.element, 1, self.length) == self.key
        )
        return source.rows.where(predicate, same_instance).exists()


def boolean(node: Node, condition: Callable[[Node], ColumnElement[bool]]) -> ColumnElement[bool] | None:
    """`$and`, `$or`, `$not` of the conditions `condition` makes of their items; None for a leaf.

    Shared by the top-level compiler and the one inside `$subobject`, whose leaves differ.
    """
    if isinstance(node, And):
        return and_(*(condition(item) for item in node.items))
    if isinstance(node, Or):
        return or_(*(condition(item) for item in node.items))
    if isinstance(node, Not):
        return not_(or_(*(condition(item) for item in node.items)))
    return None


def _driver(query: Node) -> tuple[Node | None, tuple[Node, ...]]:
    """A positive field criterion every match must satisfy, and the other criteria."""
    items = query.items if isinstance(query, And) else (query,)
    for index, item in enumerate(items):
        if isinstance(item, In | Range | Wildcard):
            return item, items[:index] + items[index + 1 :]
    return None, items


# -- predicates on one value ----------------------------------------------------------------


def value_predicate(context: Context, source: Source, node: Node) -> ColumnElement[bool]:
    """The condition on one row of `source` for a field criterion."""
    if isinstance(node, In):
        return _in(context, source, node.values)
    if isinstance(node, Range):
        return _range(context, source, node)
    if isinstance(node, Wildcard):
        return _wildcard(context, source, node.pattern)
    raise InvalidRequest(f"{type(node).__name__}: not a field criterion")  # the parser prevents it


def _in(context: Context, source: Source, values: tuple[Scalar, ...]) -> ColumnElement[bool]:
    if source.kind is Kind.FIELDS:
        texts = [_as_text(value)[:FIELD_VALUE_LENGTH] for value in values if not _is_number(value)]
        numbers = [float(value) for value in values if _is_number(value)]
        conditions = []
        if texts:
            conditions.append(source.value.in_(texts))
        if numbers:
            conditions.append(source.row.number.in_(numbers))
        return or_(*conditions)
    if source.kind is Kind.NUMBER:
        return source.value.in_([_as_number(source, value) for value in values])
    if source.kind is Kind.DATE:
        return source.value.in_([as_date(source.name, value) for value in values])
    return source.value.in_([_as_text(value) for value in values])


def _range(context: Context, source: Source, node: Range) -> ColumnElement[bool]:
    numeric = any(_is_number(bound.value) for bound in (node.lower, node.upper) if bound)
    if source.kind is Kind.FIELDS:
        column = source.row.number if numeric else source.value
        convert: Any = float if numeric else str
    elif source.kind is Kind.NUMBER:
        column = source.value
        convert = lambda value: _as_number(source, value)  # noqa: E731
    elif source.kind is Kind.DATE:
        column = source.value
        convert = lambda value: as_date(source.name, value)  # noqa: E731
    else:
        if numeric:
            raise InvalidRequest(f"{source.name}: a text field compares with text, not numbers")
        column, convert = context.ordered(source.value), str
    conditions = []
    if node.lower:
        conditions.append(_compare(column, node.lower, convert, lower=True))
    if node.upper:
        conditions.append(_compare(column, node.upper, convert, lower=False))
    return and_(*conditions)


def _compare(column: ColumnElement[Any], bound: Bound, convert: Any, lower: bool) -> ColumnElement[bool]:
    value = convert(bound.value)
    if lower:
        return column >= value if bound.inclusive else column > value
    return column <= value if bound.inclusive else column < value


def _wildcard(context: Context, source: Source, pattern: str) -> ColumnElement[bool]:
    """`*`/`?` on the folded value (description) or the ASCII-lowered column (others).

    SQLite's LIKE ignores ASCII case and PostgreSQL's does not: both sides are lowered
    first (only ASCII: what SQLite's `lower()` and PostgreSQL's under the C collation do).
    """
    if source.kind is Kind.FIELDS:
        return source.row.folded.like(like_pattern(fold(pattern)), escape=LIKE_ESCAPE)
    if source.kind is not Kind.TEXT:
        raise InvalidRequest(f"{source.name}: $wildcard applies to text fields")
    lowered = func.lower(context.ordered(source.value))
    return lowered.like(like_pattern(pattern.translate(_ASCII_LOWER)), escape=LIKE_ESCAPE)


def like_pattern(pattern: str) -> str:
    """Vitam's wildcard → LIKE: the LIKE metacharacters of the text are escaped first."""
    escaped = (
        pattern.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return escaped.replace("*", "%").replace("?", "_")


# -- values ---------------------------------------------------------------------------------


def _is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_number(source: Source, value: Scalar) -> float:
    number = float(value) if _is_number(value) else as_number(str(value))
    if number is None:
        raise InvalidRequest(f"{source.name}: a number is expected, not {value!r}")
    return number


def as_date(field: str, value: Scalar) -> date:
    """An ISO date or a prefix of one (`1990` → 1990-01-01, `1990-06` → 1990-06-01)."""
    text = str(value)
    try:
        if len(text) == 4:
            return date(int(text), 1, 1)
        if len(text) == 7:
            return date(int(text[:4]), int(text[5:7]), 1)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidRequest(f"{field}: an ISO date is expected, not {value!r}") from None
