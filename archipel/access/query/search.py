"""Running a search request: results, total, facets and the scroll cursor, all in SQL.

`search_units` and `search_objects` are the entry points for the API, the command line and
the access-contract code. The caller's `where` (what its access contract lets it see) is
ANDed into every statement — results, total and facets — so no count ever reveals a unit
the caller may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session

from archipel.access.query.compile import Compiler
from archipel.access.query.cursor import Cursor, Ordering, SortColumn, fingerprint
from archipel.access.query.facets import facet_buckets
from archipel.access.query.nodes import Page, Tree
from archipel.access.query.parse import MAX_WINDOW, SCROLL_START, parse_request
from archipel.access.query.projection import BATCH, OBJECTS, UNITS, Projector
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

    def condition(compiler: Compiler) -> ColumnElement[bool]:
        conditions = [compiler.condition(parsed.query), where if where is not None else true()]
        if parsed.tree is not None:
            conditions.append(collection.in_tree(compiler, parsed.tree))
        return and_(*conditions)

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
    pages = _Pages(
        context,
        collection,
        condition(compiler),
        lambda: condition(replace(compiler, context=context.row_by_row())),
        ordering,
        parsed.page,
        annotations,
    )
    if cursor:
        rows, total, exact = pages.after(cursor), cursor.total, cursor.exact
    else:
        rows, total, exact = pages.first()

    keys = len(ordering.keys)
    records = pages.records([row[0] for row in rows])
    results = collection.projector.results(context.scope, records, fields)
    for result, record in zip(results, records, strict=True):
        result.update((name, record._mapping[name]) for name in annotations)
    scroll_id = None
    if rows and len(rows) == parsed.page.limit:
        last = rows[-1]
        scroll_id = Cursor(bound_to, tuple(last[1 : 1 + keys]), last[0], total, exact).encode()
    return SearchResult(
        total=total,
        total_exact=exact,
        results=results,
        facets={
            facet.name: facet_buckets(compiler, pages.matching, collection.identity, facet)
            for facet in parsed.facets
        },
        scroll_id=scroll_id,
    )


@dataclass(frozen=True)
class _Pages:
    """The statements that read a page of matches and count them.

    A page row is the id and the sort values (for the next cursor), not the whole row: the
    database sorts every match, and reading each one's description before keeping a hundred
    would cost more than the search itself. `records` then reads the page's rows, with their
    annotations.
    """

    context: Context
    collection: Collection
    condition: ColumnElement[bool]
    """What the search asks of a row of the tenant (criteria, tree, restriction)."""
    row_by_row: Callable[[], ColumnElement[bool]]
    """The same condition, compiled to be tested on each row in turn (`Context.row_by_row`)."""
    ordering: Ordering
    page: Page
    annotations: Mapping[str, ColumnElement[Any]]

    @property
    def matching(self) -> Select[Any]:
        """The collection's rows the search selects (tenant, criteria, tree, restriction)."""
        return self.context.scope.select(self.collection.model).where(self.condition)

    def first(self) -> tuple[list[Any], int, bool]:
        """The page and the number of matches, counted up to the window (10,000) unless
        `$track_total_hits` (as in the reference system: past the window only a scroll reads
        on, and counting a million matches would cost more than the page).

        One statement finds the matches (at most one more than the window) and sorts the page
        out of them, so a search is evaluated once; only when there are more matches than the
        window, those found are not all of them and the page is read again from every match.
        """
        identity = self.collection.identity
        found = self.matching.with_only_columns(identity.label("id"))
        if not self.page.exact_total:
            found = found.limit(MAX_WINDOW + 1)
        matches = found.cte("matches")
        counted = select(func.count()).select_from(matches).scalar_subquery().label("matches")
        if self.ordering.keys:  # sort values are read from the matching rows
            within = self.context.scope.select(self.collection.model).join(matches, identity == matches.c.id)
            rows = self._read(within, counted)
        else:  # by id alone: the matches found hold it
            rows = self._read(select(matches.c.id), counted, identity=matches.c.id)
        if rows:
            total = rows[0][-1]
        elif self.page.offset == 0 and self.page.limit > 0:
            total = 0
        else:  # no page asked, or one beyond the last: count on its own
            total = self.context.scope.session.scalar(select(func.count()).select_from(found.subquery())) or 0
        if self.page.exact_total or total <= MAX_WINDOW:
            return rows, total, True
        return self._read(self._dense()), MAX_WINDOW, False

    def _dense(self) -> Select[Any]:
        """The matching rows, when there are more than the window: so many that on PostgreSQL,
        for a page by id, walking the rows in id order and testing each one finds the page
        sooner than finding every match and sorting them.

        PostgreSQL turns an EXISTS of the condition into a join with every match, or hashes
        every match first (a full-text search: a heap page read per match, 20,000 for a
        subject among 600,000 units). Compiled row by row, and under `IS TRUE` (which no
        planner pulls up into a join), it is a test of each row, and the walk on the primary
        key stops after the page (5,000 rows for that subject). SQLite, and sorts by other
        keys, read every match as before.
        """
        if not self.context.postgres or self.ordering.keys:
            return self.matching
        return self.context.scope.select(self.collection.model).where(self.row_by_row().is_(True))

    def after(self, cursor: Cursor) -> list[Any]:
        """The page following a scroll cursor."""
        return self._read(self.matching.where(self.ordering.after(cursor.values, cursor.last_id)))

    def _read(
        self, rows: Select[Any], *extra: ColumnElement[Any], identity: ColumnElement[str] | None = None
    ) -> list[Any]:
        """Ids and sort values of the page out of `rows` (by default the collection's id)."""
        ordering = self.ordering if identity is None else replace(self.ordering, identity=identity)
        query = (
            rows.with_only_columns(ordering.identity, *(key.expression for key in ordering.keys), *extra)
            .order_by(*ordering.clauses())
            .offset(self.page.offset)
            .limit(self.page.limit)
        )
        return list(self.context.scope.session.execute(query))

    def records(self, ids: list[str]) -> list[Any]:
        """The whole rows of these ids, in this order, with their annotations (computed for
        the page's rows only, not for every match). Plain rows, not ORM objects: nothing
        here is changed, and a page may hold 10,000 of them."""
        model, identity = self.collection.model, self.collection.identity
        annotations = [expression.label(name) for name, expression in self.annotations.items()]
        query = self.context.scope.select(model).with_only_columns(*model.__table__.columns, *annotations)
        found: dict[str, Any] = {}
        for start in range(0, len(ids), BATCH):
            batch = query.where(identity.in_(ids[start : start + BATCH]))
            found.update((row.id, row) for row in self.context.scope.session.execute(batch))
        return [found[item] for item in ids]


def _order(request: dict[str, Any]) -> Any:
    filters = request.get("$filter")
    return filters.get("$orderby") if isinstance(filters, dict) else None
