"""The storage strategy: every archive object goes to every offer, and is read from a good copy.

Two offers by default (two folders, ideally on two disks or sites): one copy can rot or
vanish and the archive still serves verified bytes, and says which copy is bad so it can
be repaired. Reads never trust an offer: the bytes must match the SHA-512 the archive
recorded at ingest (kept in the database and in the object-group documents).

Serving a large object (`open_verified`) checks the copy *before* the first byte leaves:
the copy is read once through, hashing, then the same open file is rewound and served.
Streaming while hashing and complaining at the end would be one read instead of two, but
the client would already hold unverified bytes (a download cannot be recalled, a
truncated HTTP response is easily mistaken for a complete one). The cost, measured on
the development machine (SHA-512 at ~1.1 GiB/s on one core): the first byte of a 1 GiB
object leaves after 0.93 s instead of at once, and the serving pass, from the page
cache, adds 0.03 s. Memory stays at one 1 MiB chunk whatever the size.
Reading the same open file twice also means a file swapped under the key between the
check and the serving cannot be served.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archipel.core.digests import digest_stream, sha512_bytes
from archipel.core.errors import ConfigurationError, IntegrityFault
from archipel.storage.offer import ObjectMissing, Offer, OfferError, validate_key, validate_sha512

log = logging.getLogger(__name__)

FAULT_MEMORY = 10_000
"""Faults kept for the caller to collect; older ones are dropped (they were logged)."""


@dataclass(frozen=True)
class CopyFault:
    """One offer's copy of a key that could not be used: missing, unreadable, or not matching."""

    offer: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"offer {self.offer}: {self.key}: {self.problem}"


@dataclass(frozen=True)
class VerifiedCopy:
    """A verified stream of a key, the offer it comes from, and the copies found bad before it."""

    stream: BinaryIO
    offer: str
    faults: list[CopyFault]


class StorageStrategy:
    """The offers every archive object is written to, in reading preference order."""

    def __init__(self, offers: Sequence[Offer]) -> None:
        if not offers:
            raise ConfigurationError("the storage strategy needs at least one offer")
        names = [offer.name for offer in offers]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"offer names must be unique, got {names}")
        self.offers: tuple[Offer, ...] = tuple(offers)
        self._faults: deque[CopyFault] = deque(maxlen=FAULT_MEMORY)
        self._faults_lock = threading.Lock()

    # -- writing -----------------------------------------------------------------------------

    def put(self, key: str, source: Path | bytes, sha512: str) -> None:
        """Writes and verifies a copy on every offer, or leaves none of the copies this call made.

        A copy that was already there before the call (an idempotent retry) is never removed
        on failure: it may be the only good copy of an archive.
        """
        created: list[Offer] = []
        for offer in self.offers:
            try:
                existed = offer.exists(key)
                offer.put(key, source, sha512)
            except BaseException as error:
                undone = self._undo(key, created)
                if undone:
                    error.add_note(f"copies this write had made were deleted from: {', '.join(undone)}")
                raise
            if not existed:
                created.append(offer)

    def put_document(self, key: str, data: bytes) -> str:
        """Writes a small document (JSON, XML) to every offer; returns its SHA-512."""
        sha512 = sha512_bytes(data)
        self.put(key, data, sha512)
        return sha512

    def _undo(self, key: str, created: list[Offer]) -> list[str]:
        undone = []
        for offer in created:
            try:
                offer.delete(key)
                undone.append(offer.name)
            except Exception as error:  # the original failure matters more; this one is recorded
                self._fault(offer, key, f"could not remove a copy after a failed write: {error}")
        return undone

    def delete(self, key: str) -> None:
        """Removes the key from every offer (idempotent); tries them all before reporting a failure."""
        failures = []
        for offer in self.offers:
            try:
                offer.delete(key)
            except OfferError as error:
                failures.append(error.message)
        if failures:
            raise OfferError(f"{key}: not deleted everywhere: {'; '.join(failures)}")

    # -- reading -----------------------------------------------------------------------------

    def exists_everywhere(self, key: str) -> bool:
        return all(offer.exists(key) for offer in self.offers)

    def read_verified(self, key: str, sha512: str) -> bytes:
        """The bytes of a small object from the first offer whose copy matches (one read, in memory)."""
        validate_key(key)
        expected = validate_sha512(sha512)
        faults = []
        for offer in self.offers:
            try:
                with offer.open(key) as stream:
                    data = stream.read()
            except (OfferError, OSError) as error:
                faults.append(self._fault(offer, key, _problem(error)))
                continue
            actual = sha512_bytes(data)
            if actual == expected:
                return data
            faults.append(self._fault(offer, key, _mismatch(actual, expected)))
        raise _no_good_copy(key, expected, faults)

    @contextmanager
    def open_verified(self, key: str, sha512: str) -> Iterator[BinaryIO]:
        """A stream of the first copy found to match `sha512`, verified before it is handed over.

        Falls back to the next offer when a copy is missing, unreadable or does not match,
        remembering each such fault (see `drain_faults`). See the module doc for the cost.
        """
        with self.open_verified_copy(key, sha512) as copy:
            yield copy.stream

    @contextmanager
    def open_verified_copy(self, key: str, sha512: str) -> Iterator[VerifiedCopy]:
        """Like `open_verified`, also telling which offer served and which copies failed first,
        so a delivery can name its source and log the faults it met (a download is often how
        a rotten copy is first noticed)."""
        validate_key(key)
        expected = validate_sha512(sha512)
        with ExitStack() as stack:
            faults: list[CopyFault] = []
            stream, offer = self._first_good_copy(key, expected, stack, faults)
            yield VerifiedCopy(stream, offer, faults)

    def _first_good_copy(
        self, key: str, expected: str, stack: ExitStack, faults: list[CopyFault]
    ) -> tuple[BinaryIO, str]:
        for offer in self.offers:
            with ExitStack() as attempt:
                try:
                    stream = attempt.enter_context(offer.open(key))
                    actual = digest_stream(stream)["sha512"]
                except (OfferError, OSError) as error:
                    faults.append(self._fault(offer, key, _problem(error)))
                    continue
                if actual != expected:
                    faults.append(self._fault(offer, key, _mismatch(actual, expected)))
                    continue
                if stream.seekable():
                    stream.seek(0)
                else:  # an object store body: the key is immutable, a second read gives the same bytes
                    attempt.close()
                    stream = attempt.enter_context(offer.open(key))
                stack.enter_context(attempt.pop_all())
                return stream, offer.name
        raise _no_good_copy(key, expected, faults)

    # -- faults ------------------------------------------------------------------------------

    def _fault(self, offer: Offer, key: str, problem: str) -> CopyFault:
        fault = CopyFault(offer.name, key, problem)
        log.warning("storage fault: %s", fault)
        with self._faults_lock:
            self._faults.append(fault)
        return fault

    def drain_faults(self) -> list[CopyFault]:
        """The faults met since the last call (oldest first), for the caller to log or repair."""
        with self._faults_lock:
            faults = list(self._faults)
            self._faults.clear()
        return faults

    @property
    def faults(self) -> list[CopyFault]:
        """The faults met and not yet drained, without draining them."""
        with self._faults_lock:
            return list(self._faults)


def _no_good_copy(key: str, expected: str, faults: list[CopyFault]) -> IntegrityFault:
    copies = "; ".join(f"offer {fault.offer}: {fault.problem}" for fault in faults)
    return IntegrityFault(
        f"{key}: no offer holds a copy with the recorded SHA-512 {expected[:16]}… ({copies})"
    )


def _mismatch(actual: str, expected: str) -> str:
    return f"SHA-512 is {actual[:16]}…, expected {expected[:16]}…"


def _problem(error: BaseException) -> str:
    if isinstance(error, ObjectMissing):
        return "missing"
    return f"unreadable: {error}"
