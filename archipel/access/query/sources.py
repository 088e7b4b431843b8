"""Where the values of each searchable field live, for units and for data objects.

A field of the request (`Title`, `#originating_agency`, `#management.AccessRule.EndDate`,
`size`...) resolves to a `Source`: a column of the collection's own table (one value per
row), or rows of another table that name the row they belong to (any number of values).
Criteria, sorts and facets are then written once against a `Source`, whatever the field.

Every row source starts from `TenantScope.select`, the one place that filters the tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_
from sqlalchemy.orm import Session

from archipel.access.model import UnitAncestor, UnitEffectiveRule, UnitField
from archipel.core.errors import InvalidRequest
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, UnitParent, UnitRule
from archipel.seda.content import RULE_CATEGORIES


class Kind(Enum):
    FIELDS = "fields"
    """A description field (`unit_fields`): text in `value`, `folded`, and `number` when numeric."""
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class Source:
    name: str
    kind: Kind
    value: ColumnElement[Any]
    rows: Select[Any] | None
    """Rows holding the values (tenant and field already filtered); None: `value` is a column
    of the collection's own table."""
    owner: ColumnElement[Any] | None = None
    """In `rows`: the column naming the collection row a value belongs to."""
    key: ColumnElement[Any] | None = None
    """The collection's column `owner` refers to (its id, or the object group of an object)."""
    row: Any = None
    """The model (or alias) `rows` selects from: for description fields, `unit_fields`."""

    @property
    def single(self) -> bool:
        return self.rows is None


@dataclass(frozen=True)
class Context:
    """One search: the tenant, and the engine's few differences."""

    scope: TenantScope
    postgres: bool
    per_row: bool = False
    """PostgreSQL: each `member` test a lookup for the row at hand (see `member`)."""

    @classmethod
    def of(cls, session: Session, tenant: int) -> Context:
        return cls(TenantScope(session, tenant), session.get_bind().dialect.name == "postgresql")

    def row_by_row(self) -> Context:
        """This search, its criteria tested on each row in turn (search._Pages._dense)."""
        return replace(self, per_row=True)

    @property
    def tenant(self) -> int:
        return self.scope.tenant

    def ordered(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """Text compared by code point, as SQLite does: PostgreSQL's locale order could differ."""
        return column.collate("C") if self.postgres else column

    def member(
        self, key: ColumnElement[Any], owner: ColumnElement[Any], rows: Select[Any]
    ) -> ColumnElement[bool]:
        """`key` is named by one of `rows`.

        PostgreSQL turns a correlated EXISTS into a semi-join (anti-join under NOT) and,
        under OR, into an index probe per row; `IN (subquery)` there may become a per-row
        rescan when the planner thinks the hash would not fit in memory. SQLite runs EXISTS
        once per row (a full-text query per unit!) but computes an uncorrelated IN once.
        Same rows either way: only the plan differs.

        per_row: on PostgreSQL, `OFFSET 0` keeps the EXISTS a lookup per row; otherwise the
        planner may hash the whole subquery first (reading every match of a full-text search)
        to test rows of which a walk of the primary key reads only a few.
        """
        if self.postgres:
            probe = rows.where(owner == key).with_only_columns(owner)
            return exists(probe.offset(0) if self.per_row else probe)
        return key.in_(rows.with_only_columns(owner))


Resolver = Callable[[Context, str], Source]

UNIT_COLUMNS: dict[str, tuple[ColumnElement[Any], Kind]] = {
    "#id": (ArchiveUnit.id, Kind.TEXT),
    "#originating_agency": (ArchiveUnit.originating_agency, Kind.TEXT),
    "#opi": (ArchiveUnit.operation_id, Kind.TEXT),
    "#unitType": (ArchiveUnit.unit_type, Kind.TEXT),
    "#object": (ArchiveUnit.object_group_id, Kind.TEXT),
}
RULE_PREFIXES = {"#management": UnitRule, "#computedInheritedRules": UnitEffectiveRule}
RULE_FIELDS = {"Rule": "rule_id", "StartDate": "start_date", "EndDate": "end_date"}


def unit_source(context: Context, name: str) -> Source:
    """A field of archive units: system (`#...`) or of the description (`Content`)."""
    scope = context.scope
    if name in UNIT_COLUMNS:
        column, kind = UNIT_COLUMNS[name]
        return Source(name, kind, column, None)
    if name == "#unitups":
        rows = scope.select(UnitParent).correlate_except(UnitParent)
        return Source(name, Kind.TEXT, UnitParent.parent_id, rows, UnitParent.unit_id, ArchiveUnit.id)
    if name == "#allunitups":
        rows = scope.select(UnitAncestor).correlate_except(UnitAncestor)
        return Source(name, Kind.TEXT, UnitAncestor.ancestor_id, rows, UnitAncestor.unit_id, ArchiveUnit.id)
    prefix = name.split(".", 1)[0]
    if prefix in RULE_PREFIXES:
        return _rule_source(context, name, RULE_PREFIXES[prefix])
    if name.startswith("#"):
        raise InvalidRequest(f"{name}: unknown system field")
    return content_source(context, name, UnitField)


def content_source(context: Context, path: str, row: Any = UnitField, below: bool = False) -> Source:
    """A field of the description: its rows in `unit_fields` (or an alias of it).

    below: the values of every field under `path` too (`Keyword` → `Keyword.KeywordContent`...).
    """
    selected = within_path(row.path, path) if below else row.path == path
    rows = context.scope.select(row).where(selected).correlate_except(row)
    return Source(path, Kind.FIELDS, row.value, rows, row.unit_id, ArchiveUnit.id, row)


def within_path(path: ColumnElement[str], field: str) -> ColumnElement[bool]:
    """The path is `field` or below it: one index range in byte order (`/` follows `.`)."""
    return or_(path == field, and_(path > f"{field}.", path < f"{field}/"))


def _rule_source(context: Context, name: str, model: type[UnitRule] | type[UnitEffectiveRule]) -> Source:
    """`#management.AccessRule.Rule`, `...EndDate` (Vitam also writes `...Rules.Rule`)."""
    parts = name.split(".")
    if len(parts) == 4 and parts[2] == "Rules":
        parts = [parts[0], parts[1], parts[3]]
    if len(parts) != 3 or parts[1] not in RULE_CATEGORIES or parts[2] not in RULE_FIELDS:
        raise InvalidRequest(
            f"{name}: expected {parts[0]}.<category>.Rule, .StartDate or .EndDate, "
            f"category one of {', '.join(RULE_CATEGORIES)}"
        )
    column = getattr(model, RULE_FIELDS[parts[2]])
    kind = Kind.TEXT if parts[2] == "Rule" else Kind.DATE
    rows = context.scope.select(model).where(model.category == parts[1]).correlate_except(model)
    return Source(name, kind, column, rows, model.unit_id, ArchiveUnit.id)


OBJECT_COLUMNS: dict[str, tuple[ColumnElement[Any], Kind]] = {
    "#id": (DataObject.id, Kind.TEXT),
    "#object": (DataObject.object_group_id, Kind.TEXT),
    "usage": (DataObject.usage, Kind.TEXT),
    "version": (DataObject.version, Kind.NUMBER),
    "puid": (DataObject.puid, Kind.TEXT),
    "mime": (DataObject.mime, Kind.TEXT),
    "size": (DataObject.size, Kind.NUMBER),
    "filename": (DataObject.filename, Kind.TEXT),
    "sha512": (DataObject.sha512, Kind.TEXT),
}


def object_source(context: Context, name: str) -> Source:
    """A field of data objects; `#unitups` are the units whose object group holds it."""
    if name in OBJECT_COLUMNS:
        column, kind = OBJECT_COLUMNS[name]
        return Source(name, kind, column, None)
    if name == "#unitups":
        rows = (
            context.scope.select(ArchiveUnit)
            .where(ArchiveUnit.object_group_id.is_not(None))
            .correlate_except(ArchiveUnit)
        )
        return Source(
            name, Kind.TEXT, ArchiveUnit.id, rows, ArchiveUnit.object_group_id, DataObject.object_group_id
        )
    raise InvalidRequest(
        f"{name}: unknown field of data objects (known: {', '.join([*OBJECT_COLUMNS, '#unitups'])})"
    )


def smallest(context: Context, source: Source) -> ColumnElement[Any]:
    """The field's value for sorting: the column, or the smallest of its values (None: none)."""
    value = context.ordered(source.value) if source.kind is Kind.TEXT else source.value
    if source.single:
        return value
    assert source.rows is not None and source.owner is not None and source.key is not None
    return source.rows.where(source.owner == source.key).with_only_columns(func.min(value)).scalar_subquery()
