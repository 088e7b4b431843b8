"""The write journal (`pending_writes`), for every operation that writes to the offers.

An operation journals each key in a committed transaction before writing it, and deletes
the rows in the transaction that commits its index change; rows left behind name the
writes of an operation that never committed, which recovery deletes from every offer
(`archipel.ingest.recovery`). See `archipel.storage.model.PendingWrite` and
`docs/adr/0001-atomic-ingest.md`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from archipel.storage.model import PendingWrite

BATCH = 500


def journal_writes(session: Session, tenant: int, operation_id: str, keys: Iterable[str]) -> None:
    """Records the keys the operation is about to write (the caller commits before writing)."""
    rows = [{"operation_id": operation_id, "key": key, "tenant_id": tenant} for key in keys]
    if rows:
        session.execute(insert(PendingWrite), rows)


def clear_journal(session: Session, operation_id: str) -> None:
    """Forgets the operation's journal: call it in the transaction that commits its index change."""
    session.execute(delete(PendingWrite).where(PendingWrite.operation_id == operation_id))


def writes_in_flight(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Key → operation id, for the keys another operation has journaled and not yet committed.

    A document version is written once; two operations writing the same key would each
    believe the write theirs, and the rollback of one would delete the other's.
    """
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        query = select(PendingWrite.key, PendingWrite.operation_id).where(
            PendingWrite.key.in_(wanted[start : start + BATCH])
        )
        found.update({key: operation_id for key, operation_id in session.execute(query)})
    return found
