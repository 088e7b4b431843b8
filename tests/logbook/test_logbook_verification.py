"""`verify` finds every change made behind the archive's back, naming the entry or file at fault."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from logbook_support import ingest, tamper

from archipel.core.digests import sha512_bytes
from archipel.logbook import chain
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.securing import secure
from archipel.logbook.tsa import LocalTsa
from archipel.logbook.verification import contents, verify_logbooks
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.storage import layout


@dataclass(frozen=True)
class Secured:
    platform: Platform
    operation_id: str
    unit_id: str
    key: str

    def copy(self, offer: int) -> Path:
        return Path(self.platform.storage.offers[offer].root) / self.key


@pytest.fixture
def secured(platform: Platform) -> Secured:
    operation_id = ingest(platform)
    secure(platform, 1)
    with platform.database.unit_of_work() as session:
        unit_id = UnitRepository(session, 1).units(operation_id=operation_id)[0].id
    return Secured(platform, operation_id, unit_id, layout.securing_key(1, 1))


def faults(platform: Platform) -> list[tuple[str, str]]:
    report = verify_logbooks(platform, 1)
    return [(fault.entry, fault.detail) for fault in report.faults]


def test_untouched_logbooks_verify(secured: Secured) -> None:
    report = verify_logbooks(secured.platform, 1)
    assert report.ok and report.securings == 1
    assert report.entries >= 12  # the ingest, its 11 lifecycle entries, the securing


def test_an_event_message_changed_by_hand_is_reported_on_its_operation(secured: Secured) -> None:
    changed = tamper(
        secured.platform,
        "UPDATE logbook_events SET message = 'nothing happened' WHERE operation_id = :id AND seq = 1",
        id=secured.operation_id,
    )
    assert changed == 1
    ((entry, detail),) = faults(secured.platform)
    assert entry == secured.operation_id and "changed since it was sealed" in detail


def test_a_deleted_event_is_reported_on_its_operation(secured: Secured) -> None:
    tamper(
        secured.platform,
        "DELETE FROM logbook_events WHERE operation_id = :id AND seq = 2",
        id=secured.operation_id,
    )
    assert [entry for entry, _ in faults(secured.platform)] == [secured.operation_id]


def test_a_lifecycle_entry_changed_by_hand_is_reported(secured: Secured) -> None:
    with secured.platform.database.unit_of_work() as session:
        entry_id = lifecycle(session, 1, secured.unit_id)["lifecycle"][0]["id"]
    tamper(secured.platform, "UPDATE lifecycle_entries SET outcome = 'KO' WHERE id = :id", id=entry_id)
    ((entry, detail),) = faults(secured.platform)
    assert entry == entry_id and "changed since it was sealed" in detail


def test_a_securing_file_changed_on_one_offer_is_reported_with_the_offer(secured: Secured) -> None:
    copy = secured.copy(1)
    document = json.loads(copy.read_bytes())
    document["entries"].pop()
    copy.chmod(0o644)
    copy.write_text(json.dumps(document))
    ((entry, detail),) = faults(secured.platform)
    assert entry == secured.key and "offer offer-2" in detail and "SHA-512" in detail


def test_a_token_replaced_on_every_offer_and_in_the_database_is_reported(secured: Secured) -> None:
    """An attacker with the TSA key cannot help it: the forged token does not cover the root."""
    document = json.loads(secured.copy(0).read_bytes())
    forged = LocalTsa(secured.platform.settings.tsa_dir).timestamp(hashlib.sha512(b"another root").digest())
    document["timestamp"]["token"] = base64.b64encode(forged).decode()
    data = json.dumps(document).encode()
    for offer in (0, 1):
        secured.copy(offer).chmod(0o644)
        secured.copy(offer).write_bytes(data)
    tamper(secured.platform, "UPDATE logbook_securings SET sha512 = :digest", digest=sha512_bytes(data))
    ((entry, detail),) = faults(secured.platform)
    assert entry == secured.key and "time-stamp token" in detail and "imprint" in detail


def test_a_chain_rewritten_from_end_to_end_is_caught_by_its_securing(secured: Secured) -> None:
    """Changing an event and recomputing every hash after it leaves a consistent chain: the
    securing file, whose root the token covers, still holds the hashes as they were."""
    platform = secured.platform
    tamper(
        platform,
        "UPDATE logbook_events SET message = 'nothing happened' WHERE operation_id = :id AND seq = 1",
        id=secured.operation_id,
    )
    with platform.database.unit_of_work() as session:
        head = chain.heads(session, 1)[chain.OPERATIONS]
        links = list(chain.walk(session, 1, head.chain))
        start = next(index for index, link in enumerate(links) if link.entry == secured.operation_id)
        found = contents(session, 1, chain.OPERATIONS, [link.entry for link in links[start:]])
    rewritten = chain.link_entries(
        1,
        chain.OPERATIONS,
        head.chain,
        links[start].position - 1,
        links[start].previous,
        [(link.entry, found[link.entry]) for link in links[start:]],
    )
    for link in rewritten:
        tamper(
            platform,
            "UPDATE chain_entries SET previous = :previous, hash = :hash "
            "WHERE chain = :chain AND position = :position",
            previous=link.previous,
            hash=link.hash,
            chain=link.chain,
            position=link.position,
        )
    tamper(
        platform,
        "UPDATE chain_heads SET hash = :hash WHERE chain = :chain",
        hash=rewritten[-1].hash,
        chain=head.chain,
    )
    reported = faults(platform)
    assert (
        secured.operation_id,
        f"its hash is not the one {secured.key} secured: the chain was rewritten",
    ) in reported
    assert (secured.key, "the Merkle root of the entries is not the root secured") in reported
    assert not any(
        "changed since it was sealed" in detail for _, detail in reported
    )  # the chain itself holds


def test_an_operation_slipped_in_without_a_seal_is_reported(secured: Secured) -> None:
    fake = "01a21295-0000-7000-8000-00000000f4e5"
    tamper(
        secured.platform,
        "INSERT INTO operations (tenant_id, id, type, status, outcome, message, started, ended, "
        "units, objects, total_bytes) "
        "VALUES (1, :id, 'INGEST', 'DONE', 'OK', 'backdated', :when, :when, 0, 0, 0)",
        id=fake,
        when="2020-01-01 00:00:00",
    )
    assert faults(secured.platform) == [(fake, "a finished operation that no chain seals")]
