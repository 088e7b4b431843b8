"""Writers run in other processes by test_hash_chain.py (a module, so `spawn` can import them)."""

from __future__ import annotations

from archipel.db.database import Database
from archipel.logbook import chain

TEST_KIND = "test-chain"


def content(writer: str, n: int) -> dict[str, object]:
    return {"writer": writer, "n": n}


def append_alone(url: str, writer: str, count: int) -> None:
    """`count` transactions whose first statement takes the chain's head, each appending one entry."""
    database = Database(url)
    try:
        for n in range(count):
            with database.unit_of_work() as session:
                chain.append(session, 1, TEST_KIND, [(f"{writer}-{n}", content(writer, n))])
    finally:
        database.dispose()
