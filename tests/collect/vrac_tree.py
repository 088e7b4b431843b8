"""A depositor's unsorted folder ("vrac") with known contents and dates, and how to make such trees."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

PDF = b"%PDF-1.4\n" + b"0" * 991 + b"\n%%EOF\n"
LONG_PATH = "long/" + "p" * 200 + "/" + "q" * 60 + ".txt"
NFD_NAME = "noms/e\u0301te\u0301.txt"

VRAC: dict[str, tuple[bytes, str]] = {
    "rapport.pdf": (PDF, "2019-05-01T10:00:00"),
    "Copie de rapport.pdf": (PDF, "2020-02-02T00:00:00"),
    "notes.txt": (b"notes\n", "2021-03-03T00:00:00"),
    "vide.txt": (b"", "2021-04-04T00:00:00"),
    "a/b/c/d/profond.txt": (b"profond\n", "2022-01-01T00:00:00"),
    "a/b/c/d/rapport (2).pdf": (PDF, "2018-12-31T23:59:59"),
    "noms/CON.txt": (b"con\n", "2023-01-01T00:00:00"),
    "noms/bad:name?.txt": (b"bad\n", "2023-01-02T00:00:00"),
    "noms/point.": (b"dot\n", "2023-01-03T00:00:00"),
    NFD_NAME: (b"ete\n", "2023-01-04T00:00:00"),
    "noms/Readme.txt": (b"r1\n", "2023-01-05T00:00:00"),
    "noms/README.txt": (b"r2\n", "2023-01-06T00:00:00"),
    "noms/tab\there.txt": (b"tab\n", "2023-01-07T00:00:00"),
    LONG_PATH: (b"long\n", "2024-06-30T12:00:00"),
}
"""path → (bytes, modification time in UTC); plus the link `lien` and the empty folder `vide`."""


def timestamp(moment: str) -> float:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()


def make_tree(root: Path, files: dict[str, tuple[bytes, str]]) -> Path:
    for relative, (content, moment) in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, (timestamp(moment), timestamp(moment)))
    return root
