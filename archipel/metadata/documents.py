"""The self-contained JSON documents written to the offers for units and object groups.

The offers, not the database, hold the archives: each document carries everything needed
to understand and re-index the unit or group without the database (its parents, its
object group, the digests of its objects, its lifecycle). Every change writes a new
version under a new key; nothing is overwritten. The schema is documented in
`archipel/storage/README.txt` and `docs/storage-layout.md`.
"""

from __future__ import annotations

import json
from typing import Any

UNIT_SCHEMA = "archipel:archive-unit:1"
OBJECT_GROUP_SCHEMA = "archipel:object-group:1"


def usage_and_version(data_object_version: str) -> tuple[str, int]:
    """`BinaryMaster_2` → (`BinaryMaster`, 2); a usage without number is version 1 (SEDA 2.1 habit)."""
    usage, _, number = data_object_version.partition("_")
    return usage, int(number) if number.isdigit() else 1


def encode(document: dict[str, Any]) -> bytes:
    """Stable, human-readable UTF-8 JSON: sorted keys so equal states give equal bytes."""
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
