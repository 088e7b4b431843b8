"""`$match`, `$match_all`, `$match_phrase`, `$match_phrase_prefix` on each engine's index.

Both engines search the same stored terms (archipel.access.text: folded, stemmed words
joined by spaces), so only the query syntax differs: an FTS5 expression on SQLite, a
`tsquery` on PostgreSQL. The query words are stemmed like the stored ones; the last word of
a phrase prefix is only folded, since a beginning of word has no stem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, table

from archipel.access.model import UnitText
from archipel.access.query.nodes import MatchKind
from archipel.access.query.sources import Context, within_path
from archipel.access.text import ALL_FIELDS, stem, words

FTS_TABLE = table("unit_text_fts", column("rowid"), column("unit_text_fts"))
"""SQLite's FTS5 index of `unit_text` (created by the migration, not a model)."""
ALL_WORDS = table("unit_text_fts_all", column("tenant_id"), column("unit_id"), column("tsv"))
"""PostgreSQL's copy of the `_all` vectors of `unit_text` (kept by triggers, made by the
migration 0009, not a model): a narrow row per unit, some 16 to a page, in a table a fifth
the size of `unit_text` (284 MB against 1.3 GB for 593,000 units), so the pages a search
reads stay in the caches."""


@dataclass(frozen=True)
class Terms:
    kind: MatchKind
    terms: tuple[str, ...]
    prefix: str | None
    """The folded beginning of the last word of a `$match_phrase_prefix`."""

    @classmethod
    def of(cls, kind: MatchKind, text: str) -> Terms | None:
        """The terms to look for; None when the text has no word."""
        found = words(text)
        if not found:
            return None
        if kind is MatchKind.PHRASE_PREFIX:
            return cls(kind, tuple(stem(word) for word in found[:-1]), found[-1])
        return cls(kind, tuple(stem(word) for word in found), None)

    def fts5(self) -> str:
        """FTS5 syntax; every term quoted, so no word can read as an operator (`NOT`, `NEAR`)."""
        if self.kind is MatchKind.ANY:
            return " OR ".join(f'"{term}"' for term in self.terms)
        if self.kind is MatchKind.ALL:
            return " AND ".join(f'"{term}"' for term in self.terms)
        if self.kind is MatchKind.PHRASE:
            return '"' + " ".join(self.terms) + '"'
        return '"' + " ".join((*self.terms, self.prefix or "")) + '" *'

    def tsquery(self) -> str:
        """PostgreSQL `to_tsquery` syntax (terms are `[a-z0-9]+`: nothing to escape)."""
        if self.kind is MatchKind.ANY:
            return " | ".join(self.terms)
        if self.kind is MatchKind.ALL:
            return " & ".join(self.terms)
        if self.kind is MatchKind.PHRASE:
            return " <-> ".join(self.terms)
        return " <-> ".join((*self.terms, f"{self.prefix}:*"))


def matching_texts(context: Context, field: str, terms: Terms) -> Select[Any]:
    """`unit_id` of the tenant's texts of `field` (or any field below it; `_all`) holding the terms.

    The statement's only column is the `unit_id` to compare with the unit's id.
    """
    if context.postgres and field == ALL_FIELDS:  # not a model: no TenantScope.select
        return (
            ALL_WORDS.select()
            .with_only_columns(ALL_WORDS.c.unit_id)
            .where(ALL_WORDS.c.tenant_id == context.tenant, _tsquery(ALL_WORDS.c.tsv, terms))
            .correlate_except(ALL_WORDS)
        )
    rows = context.scope.select(UnitText)  # type: ignore[type-var]
    if field == ALL_FIELDS:
        rows = rows.where(UnitText.field == ALL_FIELDS)
    else:
        rows = rows.where(within_path(context.ordered(UnitText.field), field))
    if context.postgres:
        found = _tsquery(literal_column("unit_text.tsv"), terms)
    else:
        hits = FTS_TABLE.select().with_only_columns(FTS_TABLE.c.rowid)
        found = UnitText.id.in_(hits.where(FTS_TABLE.c.unit_text_fts.match(terms.fts5())))
    return rows.where(found).with_only_columns(UnitText.unit_id).correlate_except(UnitText)


def _tsquery(vector: ColumnElement[Any], terms: Terms) -> ColumnElement[bool]:
    return vector.bool_op("@@")(func.to_tsquery("simple", terms.tsquery()))
