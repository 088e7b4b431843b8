"""The distinct contents of an analysed folder: duplicates, and each content's format found once.

Why a temporary SQLite database rather than a dict: grouping files by SHA-256 needs every
digest seen so far, which grows with the number of distinct files (a dict of 100,000
digests, counts and paths takes tens of megabytes; a million, hundreds). SQLite keeps
them in a B-tree on disk behind a page cache of fixed size (`CACHE_KIB`), so memory stays
constant whatever the tree; inserting and looking up 100,000 rows in one transaction takes
well under a second, small beside reading the files. The database is SQLite's anonymous
temporary database (`connect("")`): a file in the temporary folder, removed when closed.

Why not "group by size first, hash only shared sizes": the CSV report promises a SHA-256
per file, and a depositor wants to check the copy they send against it; the analysis
reads every file once anyway (its head for identification), and SHA-256 runs at about
1.5 GB/s here. So every non-empty file is hashed, and the digest also serves as the key
of the format cache: the copies of a content are identified once.

Empty files are not contents: they are reported as empty, never as duplicates.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

CACHE_KIB = 2 * 1024
"""SQLite's page cache for this database, the whole of its memory use (SQLite's default
size): with 8 MiB the peak memory of an analysis grew by 13 MiB from 20,000 to 100,000
files, with 2 MiB it did not grow, and the analysis was no slower (`benchmarks/analyse.py`)."""

_SCHEMA = (
    "CREATE TABLE contents (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, puid TEXT, "
    "copies INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE paths (sha256 TEXT NOT NULL, path TEXT NOT NULL)",
)


@dataclass(frozen=True)
class DuplicateGroup:
    """Files with the same bytes: every copy but one wastes `size` bytes."""

    sha256: str
    size: int
    copies: int
    wasted_bytes: int
    paths: list[str]
    """The first copies in walk order (all of them, up to the report's sample size)."""


@dataclass(frozen=True)
class Duplicates:
    groups: int
    """Contents held by more than one file."""
    files: int
    """Files in those groups, first copies included."""
    wasted_bytes: int
    largest: list[DuplicateGroup]
    """The groups wasting most space, most first."""


class ContentStore:
    """Every non-empty file's digest, path and format, grouped by digest on demand."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._db.execute("BEGIN")

    def close(self) -> None:
        """Removes the temporary database."""
        self._db.close()

    def seen(self, sha256: str) -> tuple[bool, str | None]:
        """(whether this content was met before, the PUID it was identified as then)."""
        row = self._db.execute("SELECT puid FROM contents WHERE sha256 = ?", (sha256,)).fetchone()
        return (False, None) if row is None else (True, row[0])

    def add(self, sha256: str, size: int, path: str, puid: str | None) -> None:
        """One more file holding this content."""
        self._db.execute(
            "INSERT INTO contents VALUES (?, ?, ?, 1) ON CONFLICT (sha256) DO UPDATE SET copies = copies + 1",
            (sha256, size, puid),
        )
        self._db.execute("INSERT INTO paths VALUES (?, ?)", (sha256, path))

    def duplicates(self, groups: int, paths: int) -> Duplicates:
        """Totals over every duplicated content, and the `groups` wasting most, with up to
        `paths` paths each (the CSV's SHA-256 column holds the rest)."""
        self._db.execute("CREATE INDEX IF NOT EXISTS paths_by_content ON paths (sha256)")
        count, files, wasted = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(copies), 0), COALESCE(SUM(size * (copies - 1)), 0) "
            "FROM contents WHERE copies > 1"
        ).fetchone()
        largest = [
            DuplicateGroup(sha256, size, copies, size * (copies - 1), self._paths(sha256, paths))
            for sha256, size, copies in self._db.execute(
                "SELECT sha256, size, copies FROM contents WHERE copies > 1 "
                "ORDER BY size * (copies - 1) DESC, sha256 LIMIT ?",
                (groups,),
            ).fetchall()
        ]
        return Duplicates(count, files, wasted, largest)

    def _paths(self, sha256: str, limit: int) -> list[str]:
        rows = self._db.execute(
            "SELECT path FROM paths WHERE sha256 = ? ORDER BY rowid LIMIT ?", (sha256, limit)
        )
        return [path for (path,) in rows]
