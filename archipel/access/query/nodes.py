"""The parsed form of a search request: small immutable values, checked once by the parser.

The compiler and the facet and cursor code only ever see these, never the raw JSON, so a
malformed request is refused in one place (archipel.access.query.parse) with the path of
the offending key, before any SQL is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

Scalar = str | int | float | bool
"""A value a criterion compares with: JSON strings, numbers and booleans."""


class Node:
    """A criterion of `$query`."""


@dataclass(frozen=True)
class Everything(Node):
    """No criterion: every unit (of the tenant, within the restriction)."""


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    """None of the items holds (Vitam's `$not` takes a list)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class In(Node):
    """One of the field's values is one of these (`$eq` is the one-value case)."""

    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Bound:
    value: Scalar
    inclusive: bool


@dataclass(frozen=True)
class Range(Node):
    """One of the field's values lies between the bounds (numbers as numbers, text as text)."""

    field: str
    lower: Bound | None
    upper: Bound | None


@dataclass(frozen=True)
class Exists(Node):
    field: str


class MatchKind(Enum):
    ANY = "$match"
    ALL = "$match_all"
    PHRASE = "$match_phrase"
    PHRASE_PREFIX = "$match_phrase_prefix"


@dataclass(frozen=True)
class Match(Node):
    """Full-text criterion on a text field or `_all`, with the query text as written."""

    kind: MatchKind
    field: str
    text: str


@dataclass(frozen=True)
class Wildcard(Node):
    """`*` any run of characters, `?` one character; case- and accent-insensitive."""

    field: str
    pattern: str


@dataclass(frozen=True)
class SubObject(Node):
    """Criteria that must all hold within one and the same instance of the element `path`."""

    path: str
    query: Node


@dataclass(frozen=True)
class Tree:
    """`$roots` and `$depth`: units under these roots, at most `depth` levels down.

    depth None: any depth below the roots (not the roots themselves); 0: the roots only.
    """

    roots: tuple[str, ...]
    depth: int | None


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    order: tuple[SortKey, ...]
    scroll: str | None
    """None: no scroll asked; "START": the first page of a scroll; else the cursor of the next page."""
    exact_total: bool
    """`$track_total_hits`: count every match, not only up to the window (10,000)."""


class Facet:
    name: str


@dataclass(frozen=True)
class TermsFacet(Facet):
    name: str
    field: str
    size: int
    ascending: bool
    """Order of the counts: most frequent first unless asked otherwise (`$order: "ASC"`)."""


@dataclass(frozen=True)
class DateRange:
    start: str | None
    """Inclusive lower bound, an ISO date or a prefix of one (`1990`, `1990-06`)."""
    end: str | None
    """Exclusive upper bound."""

    @property
    def label(self) -> str:
        """ISO 8601 interval notation, `..` for an open end: `1990/2000`, `../1950`."""
        return f"{self.start or '..'}/{self.end or '..'}"


@dataclass(frozen=True)
class DateRangeFacet(Facet):
    name: str
    field: str
    ranges: tuple[DateRange, ...]


@dataclass(frozen=True)
class FiltersFacet(Facet):
    """Count of units matching each named query; `$exists` facets are the one-filter case."""

    name: str
    filters: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Request:
    tree: Tree | None
    query: Node
    page: Page
    projection: tuple[str, ...] | None
    """Field names to return; None: the default set of the collection."""
    facets: tuple[Facet, ...]
