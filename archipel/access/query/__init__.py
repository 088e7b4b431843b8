"""The archive search language (close to the reference system's DSL), compiled to SQL.

parse (JSON → nodes) → compile (nodes → SQL conditions, through sources of field values)
→ search (results, total, facets, cursor). The language is documented in docs/query.md.
"""

from archipel.access.query.search import SearchResult, search_objects, search_units

__all__ = ["SearchResult", "search_objects", "search_units"]
