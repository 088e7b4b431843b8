"""`$projection`: the fields each result carries.

Only the rows of the page are read here, after the database chose them: description fields
come from the unit's stored `Content` (as ingested, not the truncated index values), system
fields from columns, parents from one query for the whole page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from archipel.access.model import UnitAncestor
from archipel.access.query.parse import ALL_PROJECTION
from archipel.core.errors import InvalidRequest
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, UnitParent

BATCH = 500
"""Ids per statement when reading parents of a page (SQLite bounds the parameters)."""

Result = dict[str, Any]


@dataclass(frozen=True)
class Projector:
    """Turns the rows of a page into result dictionaries, for one collection."""

    default: tuple[str, ...]
    everything: tuple[str, ...]
    """The system fields `#all` adds to the whole description."""
    columns: dict[str, Callable[[Any], Any]]
    """System field → how to read it from a row."""
    lists: dict[str, Callable[[TenantScope, list[Any]], dict[str, list[str]]]]
    """System field → reads it for a whole page (row key → values)."""
    list_key: Callable[[Any], str]
    content: Callable[[Any], dict[str, Any]] | None
    """The description of a row, for description fields; None: the collection has none."""

    def fields(self, requested: tuple[str, ...] | None) -> tuple[str, ...]:
        """The fields to return, checked: an unknown system field is refused before searching."""
        if requested is None:
            return self.default
        names: list[str] = []
        for field in requested:
            expanded = (*self.everything, ALL_PROJECTION) if field == ALL_PROJECTION else (field,)
            for name in expanded:
                if name == ALL_PROJECTION:
                    names.append(name)
                    continue
                if name.startswith("#") and name not in self.columns and name not in self.lists:
                    raise InvalidRequest(f"$projection.$fields.{name}: unknown system field")
                if not name.startswith("#") and self.content is None:
                    raise InvalidRequest(f"$projection.$fields.{name}: unknown field")
                if name not in names:
                    names.append(name)
        return tuple(names)

    def results(self, scope: TenantScope, rows: Sequence[Any], fields: tuple[str, ...]) -> list[Result]:
        listed = {
            name: read(scope, [self.list_key(row) for row in rows])
            for name, read in self.lists.items()
            if name in fields
        }
        results = []
        for row in rows:
            result: Result = {}
            for name in fields:
                if name == ALL_PROJECTION:
                    result.update(self.content(row) if self.content is not None else {})
                elif name in self.columns:
                    result[name] = self.columns[name](row)
                elif name in listed:
                    result[name] = listed[name].get(self.list_key(row), [])
                elif self.content is not None:
                    found = list(values_at(self.content(row), name.split(".")))
                    if found:
                        result[name] = found[0] if len(found) == 1 else found
            results.append(result)
        return results


def values_at(node: Any, path: Sequence[str]) -> Iterator[Any]:
    """The values at a dotted path of a description, repeated elements flattened."""
    if isinstance(node, list):
        for item in node:
            yield from values_at(item, path)
    elif not path:
        yield node
    elif isinstance(node, dict) and path[0] in node:
        yield from values_at(node[path[0]], path[1:])


def _related(
    model: Any, key: ColumnElement[Any], value: ColumnElement[Any]
) -> Callable[[TenantScope, list[Any]], dict[str, list[str]]]:
    """Reads `value` for many `key`s in a few statements, values sorted for stable output."""

    def read(scope: TenantScope, keys: list[Any]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        wanted = sorted({key for key in keys if key is not None})
        for start in range(0, len(wanted), BATCH):
            query = (
                scope.select(model)
                .where(key.in_(wanted[start : start + BATCH]))
                .with_only_columns(key, value)
                .order_by(key, value)
            )
            for owner, item in scope.session.execute(query):
                found[owner].append(item)
        return found

    return read


UNIT_DEFAULT = (
    "#id",
    "Title",
    "DescriptionLevel",
    "#originating_agency",
    "#unitups",
    "#object",
    "#unitType",
    "#opi",
)

UNITS = Projector(
    default=UNIT_DEFAULT,
    everything=(*UNIT_DEFAULT, "#allunitups", "#management"),
    columns={
        "#id": lambda unit: unit.id,
        "#originating_agency": lambda unit: unit.originating_agency,
        "#opi": lambda unit: unit.operation_id,
        "#unitType": lambda unit: unit.unit_type,
        "#object": lambda unit: unit.object_group_id,
        "#management": lambda unit: unit.management or {},
    },
    lists={
        "#unitups": _related(UnitParent, UnitParent.unit_id, UnitParent.parent_id),
        "#allunitups": _related(UnitAncestor, UnitAncestor.unit_id, UnitAncestor.ancestor_id),
    },
    list_key=lambda unit: unit.id,
    content=lambda unit: unit.content or {},
)

OBJECT_DEFAULT = ("#id", "#object", "usage", "version", "puid", "mime", "size", "filename", "#unitups")

OBJECTS = Projector(
    default=OBJECT_DEFAULT,
    everything=(*OBJECT_DEFAULT, "sha512"),
    columns={
        "#id": lambda item: item.id,
        "#object": lambda item: item.object_group_id,
        "usage": lambda item: item.usage,
        "version": lambda item: item.version,
        "puid": lambda item: item.puid,
        "mime": lambda item: item.mime,
        "size": lambda item: item.size,
        "filename": lambda item: item.filename,
        "sha512": lambda item: item.sha512,
    },
    lists={"#unitups": _related(ArchiveUnit, ArchiveUnit.object_group_id, ArchiveUnit.id)},
    list_key=lambda item: item.object_group_id,
    content=None,
)
