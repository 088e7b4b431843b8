"""The bytes every logbook hash is computed over, written down so anyone can recompute them.

An expert decades from now must be able to check an entry with standard tools and this
page, without Archipel. So the serialisation is plain JSON with one spelling only:

    json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

keys sorted, no whitespace, UTF-8, non-ASCII characters written as themselves (not
`\\u` escapes). Values are objects, arrays, strings, integers, booleans and null only:
never floats, whose spelling differs between languages. Dates are strings, ISO 8601 in
UTC with microseconds (`2026-11-25T10:00:00.123456+00:00`).

The hash of an entry is SHA-512, in lower-case hex, over the canonical bytes of its
*link* (`chain_link`): the entry's content together with its place in its chain — the
tenant, the kind of logbook, the chain id, its position, and the hash of the entry before
it (`GENESIS` for the first). A link therefore commits to everything before it: changing,
removing, inserting or reordering any entry changes every hash after it. See
`docs/adr/0004-secured-logbooks.md` for a worked example with `python3` and `sha512sum`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

HASH_ALGORITHM = "SHA-512"
GENESIS = "0" * 128
"""The `previous` hash of the first entry of a chain."""


class NotCanonical(TypeError):
    """A value the canonical form does not allow (a float, a date object, a non-string key)."""


def canonical_bytes(value: Any) -> bytes:
    """The one byte spelling of `value` (see the module doc); refuses what has several."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check(value: Any) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"object keys must be strings, got {key!r}")
            _check(item)
        return
    raise NotCanonical(f"{type(value).__name__} has no canonical spelling: {value!r}")


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def chain_link(
    tenant: int, kind: str, chain: str, position: int, previous: str, entry: dict[str, Any]
) -> dict[str, Any]:
    """What an entry's hash covers: its content and its place in its chain."""
    return {
        "tenant": tenant,
        "kind": kind,
        "chain": chain,
        "position": position,
        "previous": previous,
        "entry": entry,
    }


def link_hash(link: dict[str, Any]) -> str:
    """SHA-512 (hex) of the canonical bytes of a link."""
    return sha512_hex(canonical_bytes(link))


def utc_iso(moment: datetime | None) -> str | None:
    """A date as hashed: UTC, microseconds always written, so every engine gives the same text."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def operation_entry(operation: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What is sealed of a finished operation: the operation and its events, in order.

    `operation` has the columns of the `operations` table (`reply` as bytes or None, kept
    as its SHA-512 so the ArchiveTransferReply is covered too); `events` those of
    `logbook_events`. The worker that ran it is left out: it is bookkeeping for recovery.
    """
    reply = operation.get("reply")
    return {
        "id": operation["id"],
        "type": operation["type"],
        "status": operation["status"],
        "outcome": operation["outcome"],
        "message": operation["message"],
        "started": utc_iso(operation["started"]),
        "ended": utc_iso(operation["ended"]),
        "agent": operation["agent"],
        "source_name": operation["source_name"],
        "units": operation["units"],
        "objects": operation["objects"],
        "bytes": operation["total_bytes"],
        "reply_sha512": sha512_hex(bytes(reply)) if reply is not None else None,
        "events": [
            {
                "seq": event["seq"],
                "step": event["step"],
                "code": event["code"],
                "outcome": event["outcome"],
                "target": event["target"],
                "message": event["message"],
                "created": utc_iso(event["created"]),
            }
            for event in sorted(events, key=lambda event: event["seq"])
        ],
    }


def lifecycle_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What is sealed of a lifecycle entry (the columns of `lifecycle_entries`)."""
    return {
        "id": entry["id"],
        "subject_kind": entry["subject_kind"],
        "subject_id": entry["subject_id"],
        "event": entry["event"],
        "operation_id": entry["operation_id"],
        "outcome": entry["outcome"],
        "detail": entry["detail"],
        "date": utc_iso(entry["created"]),
    }
