"""Words as full-text search sees them: folded, split and stemmed by Archipel itself.

SQLite (FTS5) and PostgreSQL (`tsvector`) each have their own tokenisers and stemmers, and
they disagree. So Archipel does the linguistics once, in Python, for both: a field's text is
stored as its French Snowball stems of folded `[a-z0-9]+` words joined by spaces, and each
engine only has to split on spaces. Query words go through the same functions, so
"Délibérations" finds "deliberation" on both engines alike.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

import snowballstemmer

from archipel.access.leaves import content_leaves
from archipel.access.model import FIELD_PATH_LENGTH

ALL_FIELDS = "_all"
"""The pseudo-field holding the words of every text field of a unit."""

MAX_WORD_LENGTH = 200
"""Longer runs of letters and digits (digests, encoded data) are not words: PostgreSQL would
refuse to index them (2,047 bytes) where SQLite would, and nobody searches them."""
MAX_TERMS = 16_383
"""Terms kept per text field, in order: PostgreSQL numbers word positions up to 16,383 only
(a phrase beyond could not be found there) and refuses a `tsvector` over 1 MB. Kept the same
on SQLite, so both engines find the same units."""

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ĳ": "ij"})
_WORD = re.compile(r"[a-z0-9]+")
_stemmers = threading.local()


class _MarkRemover(dict[int, int | None]):
    """`str.translate` table dropping combining marks, filled as characters are met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_WITHOUT_MARKS = _MarkRemover()


def fold(text: str) -> str:
    """Lower case without accents: `Œuvre Délibérée` → `oeuvre deliberee`.

    NFKD splits accented letters into letter + combining mark (and compatibility forms such
    as `ﬁ` or `²` into plain ones); the marks are dropped. Ligatures are not decomposed by
    Unicode, so they are spelt out. Lowered again at the end: a few compatibility forms
    decompose to capitals (`ℌ` → `H`).
    """
    if text.isascii():  # most values (dates, codes, many words): nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return decomposed.translate(_WITHOUT_MARKS).lower()


def words(text: str) -> list[str]:
    """The folded words of a text: runs of `[a-z0-9]`, everything else separates."""
    return [word for word in _WORD.findall(fold(text)) if len(word) <= MAX_WORD_LENGTH]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """French Snowball stem of one folded word (`deliberations` → `deliber`)."""
    stemmer = getattr(_stemmers, "french", None)
    if stemmer is None:  # Snowball stemmers keep state between calls: one per thread
        stemmer = _stemmers.french = snowballstemmer.stemmer("french")
    return str(stemmer.stemWord(word))


def search_terms(text: str) -> list[str]:
    """The terms a text is indexed and searched by: its words, stemmed."""
    return [stem(word) for word in words(text)]


def unit_text_fields(content: dict[str, Any]) -> dict[str, str]:
    """Field path → its terms joined by spaces, plus `_all`; fields without words are left out.

    Every textual leaf counts, attributes (languages, identifiers of schemes) do not. The
    values of a repeated field follow each other in document order, up to MAX_TERMS terms.
    A field whose path is longer than FIELD_PATH_LENGTH counts in `_all` only.
    """
    fields: dict[str, list[str]] = {}
    everything: list[str] = []
    for leaf in content_leaves(content):
        if leaf.is_attribute:
            continue
        terms = search_terms(leaf.value)
        if terms:
            if len(leaf.path) <= FIELD_PATH_LENGTH:
                fields.setdefault(leaf.path, []).extend(terms)
            everything.extend(terms)
    result = {path: " ".join(terms[:MAX_TERMS]) for path, terms in fields.items()}
    if everything:
        result[ALL_FIELDS] = " ".join(everything[:MAX_TERMS])
    return result
