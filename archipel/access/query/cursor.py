"""Result order and scroll cursors (keyset pagination).

Every search has a total order: the requested keys, each with the units lacking the field
last, then `#id` — so two runs, and the two engines, list the same rows in the same order.
A scroll cursor is the sort values of the last row returned; the next page is "the rows
after these values", found on the indexes at any depth, where an offset would make the
database walk every row before it. The cursor is opaque to clients (base64 of JSON) and
bound to its query: replayed with another query it is refused rather than misread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from archipel.core.errors import InvalidRequest

CURSOR_VERSION = 1


@dataclass(frozen=True)
class SortColumn:
    expression: ColumnElement[Any]
    descending: bool


@dataclass(frozen=True)
class Ordering:
    keys: tuple[SortColumn, ...]
    identity: ColumnElement[Any]
    """The row id, last key and tie-breaker: unique, so the order is total."""

    def clauses(self) -> list[Any]:
        """ORDER BY: each key with missing values last, then the id ascending."""
        clauses: list[Any] = []
        for key in self.keys:
            direction = key.expression.desc() if key.descending else key.expression.asc()
            clauses.append(direction.nulls_last())
        clauses.append(self.identity.asc())
        return clauses

    def after(self, values: Sequence[Any], last_id: str) -> ColumnElement[bool]:
        """Rows strictly after the row whose sort values are `values` and id `last_id`."""
        condition: ColumnElement[bool] = self.identity > last_id
        for key, value in reversed(list(zip(self.keys, values, strict=True))):
            column = key.expression
            if value is None:  # the row was among those without the field: only those follow
                condition = and_(column.is_(None), condition)
            else:
                beyond = column < value if key.descending else column > value
                condition = or_(beyond, column.is_(None), and_(column == value, condition))
        return condition


def fingerprint(*parts: Any) -> str:
    """What a cursor is bound to: the tenant, the collection, the criteria and the order."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Cursor:
    """Where a scroll stands: after the row with these sort values and id."""

    query: str
    """The fingerprint of the query and order the cursor belongs to."""
    values: tuple[Any, ...]
    last_id: str
    total: int
    """The total counted when the scroll started: later pages do not count again (counting a
    million matches costs more than a page), as a scroll is read as one snapshot."""
    exact: bool

    def encode(self) -> str:
        document = {
            "v": CURSOR_VERSION,
            "q": self.query,
            "k": [_encode_value(value) for value in self.values],
            "id": self.last_id,
            "n": self.total,
            "x": self.exact,
        }
        raw = json.dumps(document, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """The cursor a token holds; InvalidRequest when it is not one of ours."""
        try:
            document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(
                document["q"],
                tuple(_decode_value(value) for value in document["k"]),
                document["id"],
                document["n"],
                document["x"] is True,
            )
            valid = (
                document["v"] == CURSOR_VERSION
                and isinstance(cursor.query, str)
                and isinstance(cursor.last_id, str)
                and isinstance(cursor.total, int)
            )
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
            valid = False
        if not valid:
            raise InvalidRequest("$filter.$scrollId: not a scroll id given by this search")
        return cursor

    @classmethod
    def decode(cls, token: str, query: str, keys: int) -> Cursor:
        """The cursor of `token`, which must belong to this query and order."""
        cursor = cls.parse(token)
        if cursor.query != query or len(cursor.values) != keys:
            raise InvalidRequest("$filter.$scrollId: this scroll id belongs to another query or order")
        return cursor


def _encode_value(value: Any) -> Any:
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot keep {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        return date.fromisoformat(value["date"])
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value
    raise ValueError("bad cursor value")
