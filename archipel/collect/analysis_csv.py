"""The per-file CSV of an analysis, written row by row as the walk produces them.

One row a file, so a folder of a million files never sits in memory: `CsvReport` is the
`on_file` callback of `archipel.collect.analysis.analyse`. UTF-8 with a byte order mark,
because archivists open it in a spreadsheet, which otherwise reads it as Windows-1252.
Several problems in one cell are separated by `|` (commas and semicolons are what
spreadsheets split on).
"""

from __future__ import annotations

import csv
from pathlib import Path

from archipel.collect.analysis import FileRecord

COLUMNS = ("path", "size", "sha256", "puid", "modified", "problems")
PROBLEM_SEPARATOR = "|"


class CsvReport:
    """Opens `path` for writing (replacing it); `write` one record at a time, then `close`
    (or use it in `contextlib.closing`)."""

    def __init__(self, path: Path) -> None:
        self._stream = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._stream)
        self._writer.writerow(COLUMNS)

    def close(self) -> None:
        self._stream.close()

    def write(self, record: FileRecord) -> None:
        self._writer.writerow(
            (
                record.path,
                record.size,
                record.sha256 or "",
                record.puid or "",
                record.modified or "",
                PROBLEM_SEPARATOR.join(record.problems),
            )
        )
