"""Getting the sealed chains back from the offers, for `archipel rebuild` (`archipel.metadata.rebuild`).

What the offers hold is enough to restore every chain exactly as it was sealed:
- each operation's `logbook.json` carries its link (`chain`: kind, chain id, position,
  previous hash, hash); the operation and its events come back from the same file;
- each operation's `lifecycles.json` carries the lifecycle entries it sealed, each with
  its link;
- each securing file (`logbook-securings/NNNNNN.json`) is the securing itself: its row is
  made from it and the SHA-512 of its bytes.
The rows are restored as they were, not re-sealed: `archipel logbook verify` then
recomputes every hash from the restored content and proves the restored chains against
the securing files. A chain entry's `sealed` time is not in those files; the entry's own
date stands in for it (it is not hashed).

A database rebuilt after `archipel init` already has its own chain for tenant 0 (the
shared referentials loaded at init): the restored chain is kept beside it, with its own
id, and new entries go on the chain the head names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from archipel.core.clock import utc_now
from archipel.core.digests import sha512_bytes
from archipel.core.ids import new_id
from archipel.logbook import chain
from archipel.logbook.model import ChainEntry, ChainHead, LifecycleEntry, LogbookSecuring
from archipel.storage.layout import LayoutKey

if TYPE_CHECKING:
    from archipel.platform import Platform


LIFECYCLE_FIELDS = ("id", "subject_kind", "subject_id", "event", "operation_id", "outcome", "detail")
"""The columns of a lifecycle entry spelt as in `lifecycles.json` (its date is `created`)."""


def _chain_row(link: dict[str, Any], entry: str, when: datetime) -> dict[str, Any]:
    return {
        "chain": link["chain"],
        "position": link["position"],
        "kind": link["kind"],
        "entry": entry,
        "previous": link["previous"],
        "hash": link["hash"],
        "sealed": when,
    }


def operation_link(document: dict[str, Any]) -> dict[str, Any] | None:
    """The chain entry row of an operation from its `logbook.json` (None: not sealed, or an older file)."""
    link = document.get("chain")
    if not link:
        return None
    return _chain_row(
        link, document["id"], datetime.fromisoformat(document.get("ended") or document["started"])
    )


def lifecycle_rows(document: dict[str, Any]) -> Iterator[tuple[type[Any], dict[str, Any]]]:
    """(model, row) of each lifecycle entry and its chain entry, from a `lifecycles.json`."""
    for entry in document.get("entries", []):
        created = datetime.fromisoformat(entry["date"])
        yield LifecycleEntry, {**{field: entry[field] for field in LIFECYCLE_FIELDS}, "created": created}
        if entry.get("chain"):
            yield ChainEntry, _chain_row(entry["chain"], entry["id"], created)


def securing_row(parsed: LayoutKey, key: str, data: bytes) -> dict[str, Any]:
    """The `logbook_securings` row of a securing file read from an offer."""
    document = json.loads(data.decode("utf-8"))
    return {
        "number": parsed.version,
        "operation_id": document["operation_id"],
        "key": key,
        "sha512": sha512_bytes(data),
        "root": document["merkle"]["root"],
        "entries": len(document["entries"]),
        "ranges": document["chains"],
        "created": datetime.fromisoformat(document["created"]),
    }


def restore_heads(platform: Platform) -> None:
    """A head for every restored chain kind that has none: the chain sealed last, at its last entry."""
    with platform.database.unit_of_work() as session:
        held = set(session.execute(select(ChainHead.tenant_id, ChainHead.kind)))
        latest = (
            select(ChainEntry.tenant_id, ChainEntry.kind, ChainEntry.chain, func.max(ChainEntry.sealed))
            .group_by(ChainEntry.tenant_id, ChainEntry.kind, ChainEntry.chain)
            .order_by(func.max(ChainEntry.sealed))
        )
        current: dict[tuple[int, str], str] = {}
        for tenant, kind, chain_id, _ in session.execute(latest):
            current[(tenant, kind)] = chain_id  # ordered by last seal: the last one wins
        for (tenant, kind), chain_id in current.items():
            if (tenant, kind) in held:
                continue
            last = session.scalars(
                select(ChainEntry)
                .where(ChainEntry.tenant_id == tenant, ChainEntry.chain == chain_id)
                .order_by(ChainEntry.position.desc())
                .limit(1)
            ).one()
            _add_head(session, tenant, kind, chain_id, last.position, last.hash)
        numbers = select(LogbookSecuring.tenant_id, func.max(LogbookSecuring.number)).group_by(
            LogbookSecuring.tenant_id
        )
        for tenant, number in list(session.execute(numbers)):
            if (tenant, chain.SECURINGS) in held:
                continue
            record = session.get(LogbookSecuring, (tenant, number))
            assert record is not None
            _add_head(session, tenant, chain.SECURINGS, new_id(), number, record.sha512)


def _add_head(session: Any, tenant: int, kind: str, chain_id: str, position: int, digest: str) -> None:
    session.add(
        ChainHead(
            tenant_id=tenant, kind=kind, chain=chain_id, position=position, hash=digest, updated=utc_now()
        )
    )
