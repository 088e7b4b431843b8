"""Running a search request: results, total, facets and the scroll cursor, all in SQL.

`search_units` and `search_objects` are the entry points for the API, the command line and
the access-contract code. The caller's `where` (what its access contract lets it see) is
ANDed into every statement — results, total and facets — so no count ever reveals a unit
the caller may not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session

from archipel.access.query.compile import Compiler
from archipel.access.query.cursor import Cursor, Ordering, SortColumn, fingerprint
from archipel.access.query.facets import facet_buckets
from archipel.access.query.nodes import Request, Tree
from archipel.access.query.parse import MAX_WINDOW, SCROLL_START, parse_request
from archipel.access.query.projection import OBJECTS, UNITS, Projector
from archipel.access.query.sources import Context, Resolver, object_source, smallest, unit_source
from archipel.metadata.model import ArchiveUnit, DataObject


@dataclass
class SearchResult:
    total: int
    """Matches counted, up to 10,000 unless `$track_total_hits` (see `total_exact`)."""
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scroll_id: str | None = None
    """The cursor of the next page; None when this page is the last."""
    total_exact: bool = True
    """False when there are more matches than `total` (10,000) and they were not all counted."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "totalExact": self.total_exact,
            "results": self.results,
            "facets": self.facets,
            "scrollId": self.scroll_id,
        }


@dataclass(frozen=True)
class Collection:
    name: str
    model: Any
    identity: ColumnElement[str]
    resolve: Resolver
    projector: Projector
    full_text: bool

    def in_tree(self, compiler: Compiler, tree: Tree) -> ColumnElement[bool]:
        """Units under `$roots`; data objects of those units."""
        if self.model is ArchiveUnit:
            return compiler.tree(tree, ArchiveUnit.id)
        units = (
            compiler.context.scope.select(ArchiveUnit)
            .where(compiler.tree(tree, ArchiveUnit.id), ArchiveUnit.object_group_id.is_not(None))
            .with_only_columns(ArchiveUnit.object_group_id)
        )
        return DataObject.object_group_id.in_(units)


UNIT_COLLECTION = Collection("units", ArchiveUnit, ArchiveUnit.id, unit_source, UNITS, full_text=True)
OBJECT_COLLECTION = Collection("objects", DataObject, DataObject.id, object_source, OBJECTS, full_text=False)


def search_units(
    session: Session,
    tenant: int,
    request: dict[str, Any],
    where: ColumnElement[bool] | None = None,
    annotations: Mapping[str, ColumnElement[Any]] | None = None,
) -> SearchResult:
    """Archive units of `tenant` matching `request` (the query language of docs/query.md).

    where: an extra condition on `ArchiveUnit` (an access contract's); annotations: extra
    columns added to every result under their name (`#communicable`).
    """
    return _search(UNIT_COLLECTION, session, tenant, request, where, annotations or {})


def search_objects(
    session: Session, tenant: int, request: dict[str, Any], where: ColumnElement[bool] | None = None
) -> SearchResult:
    """Data objects of `tenant` matching `request`; `where` is an extra condition on `DataObject`."""
    return _search(OBJECT_COLLECTION, session, tenant, request, where, {})


def _search(
    collection: Collection,
    session: Session,
    tenant: int,
    request: dict[str, Any],
    where: ColumnElement[bool] | None,
    annotations: Mapping[str, ColumnElement[Any]],
) -> SearchResult:
    parsed = parse_request(request)
    context = Context.of(session, tenant)
    compiler = Compiler(context, collection.resolve, collection.full_text)
    fields = collection.projector.fields(parsed.projection)
    conditions = [compiler.condition(parsed.query), where if where is not None else true()]
    if parsed.tree is not None:
        conditions.append(collection.in_tree(compiler, parsed.tree))
    matching = context.scope.select(collection.model).where(and_(*conditions))
    ordering = Ordering(
        tuple(
            SortColumn(smallest(context, collection.resolve(context, key.field)), key.descending)
            for key in parsed.page.order
        ),
        collection.identity,
    )
    bound_to = fingerprint(
        tenant, collection.name, request.get("$roots"), request.get("$query"), _order(request)
    )
    scroll = parsed.page.scroll
    cursor = None if scroll in (None, SCROLL_START) else Cursor.decode(scroll, bound_to, len(ordering.keys))

    page = _page(matching, ordering, parsed, cursor, annotations)
    rows = list(session.execute(page))
    keys = len(ordering.keys)
    results = collection.projector.results(context.scope, [row[0] for row in rows], fields)
    for result, row in zip(results, rows, strict=True):
        for index, name in enumerate(annotations):
            result[name] = row[1 + keys + index]
    if cursor:
        total, exact = cursor.total, cursor.exact
    else:
        total, exact = _count(session, matching, collection.identity, parsed.page.exact_total)
    scroll_id = None
    if rows and len(rows) == parsed.page.limit:
        last = rows[-1]
        scroll_id = Cursor(bound_to, tuple(last[1 : 1 + keys]), last[0].id, total, exact).encode()
    return SearchResult(
        total=total,
        total_exact=exact,
        results=results,
        facets={
            facet.name: facet_buckets(compiler, matching, collection.identity, facet)
            for facet in parsed.facets
        },
        scroll_id=scroll_id,
    )


def _count(
    session: Session, matching: Select[Any], identity: ColumnElement[Any], exact: bool
) -> tuple[int, bool]:
    """The number of matches, counted up to the window (10,000) unless asked for every one.

    As in the reference system (`$track_total_hits`): past the window only a scroll can read
    on, and counting a million matches would cost more than the page itself.
    """
    if exact:
        return session.scalar(matching.with_only_columns(func.count())) or 0, True
    window = matching.with_only_columns(identity).limit(MAX_WINDOW + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(window)) or 0
    return min(counted, MAX_WINDOW), counted <= MAX_WINDOW


def _page(
    matching: Select[Any],
    ordering: Ordering,
    parsed: Request,
    cursor: Cursor | None,
    annotations: Mapping[str, ColumnElement[Any]],
) -> Select[Any]:
    """The rows of the requested page, with their sort values (for the next cursor)."""
    page = parsed.page
    query = matching if cursor is None else matching.where(ordering.after(cursor.values, cursor.last_id))
    columns = [key.expression for key in ordering.keys]
    columns += [expression.label(name) for name, expression in annotations.items()]
    return query.add_columns(*columns).order_by(*ordering.clauses()).offset(page.offset).limit(page.limit)


def _order(request: dict[str, Any]) -> Any:
    filters = request.get("$filter")
    return filters.get("$orderby") if isinstance(filters, dict) else None
