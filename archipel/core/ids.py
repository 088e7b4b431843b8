"""Identifiers given by the archive (SEDA "SystemId").

Ids are time-ordered UUIDs (version 7 layout, RFC 9562): they sort by creation time, which
keeps database indexes and offer listings local, and they mean something outside the
database (a creation instant), which matters when the offers are read without it.
"""

from __future__ import annotations

import os
import re
import time
import uuid

_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id() -> str:
    """A fresh UUIDv7 string: 48 bits of milliseconds, then random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def is_system_id(text: str) -> bool:
    """Whether a string has the shape of an id this archive could have given."""
    return bool(_ID_PATTERN.match(text))
