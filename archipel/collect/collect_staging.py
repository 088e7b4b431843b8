"""The files of a transaction on disk, under the instance's work folder.

Binaries of a collect can be gigabytes uploaded over hours from a depositor's office
network: they are streamed to disk as they arrive (never held whole in memory), and an
interrupted upload resumes where the bytes on disk end. The bytes on disk *are* the
upload's state — a half-received file is `<key>.partial`, a complete one `<key>` (the declared object's index)
— so a restarted server knows what it holds without a table to keep in step.
"""

from __future__ import annotations

import fcntl
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archipel.core.digests import digest_file
from archipel.core.errors import Conflict, InvalidRequest

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass(frozen=True)
class ByteRange:
    """A `Content-Range: bytes START-END/TOTAL` chunk (END inclusive, as HTTP says)."""

    start: int
    end: int
    total: int

    @classmethod
    def parse(cls, header: str) -> ByteRange:
        match = _CONTENT_RANGE.match(header.strip())
        if match is None:
            raise InvalidRequest(f"Content-Range {header!r} is not of the form 'bytes START-END/TOTAL'")
        start, end, total = (int(part) for part in match.groups())
        if start > end or end >= total:
            raise InvalidRequest(f"Content-Range {header!r}: START ≤ END < TOTAL is required")
        return cls(start, end, total)

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Received:
    """What an upload call left on disk."""

    held: int
    """Bytes on disk for this object (complete or not)."""
    complete: bool
    sha512: str | None = None
    """Digest of the complete binary, computed from the bytes on disk."""


class Staging:
    """The folder of one transaction: `<work>/collect/<tenant>/<transaction>/`."""

    def __init__(self, work_dir: Path, tenant: int, transaction_id: str) -> None:
        self.root = work_dir / "collect" / str(tenant) / transaction_id

    def binary(self, unit_id: str, key: str) -> Path:
        return self.root / "binaries" / unit_id / key

    def partial(self, unit_id: str, key: str) -> Path:
        return self.binary(unit_id, key).with_suffix(".partial")

    @property
    def uploads(self) -> Path:
        """Where bulk ZIPs are received and unpacked (their files become the binaries)."""
        return self.root / "uploads"

    @property
    def sip(self) -> Path:
        return self.root / "sip.zip"

    def held(self, unit_id: str, key: str) -> Received:
        complete = self.binary(unit_id, key)
        if complete.is_file():
            return Received(complete.stat().st_size, True)
        partial = self.partial(unit_id, key)
        return Received(partial.stat().st_size if partial.is_file() else 0, False)

    async def receive(
        self,
        unit_id: str,
        key: str,
        chunks: AsyncIterator[bytes],
        byte_range: ByteRange | None,
        limit: int,
    ) -> Received:
        """Appends one body (the whole binary, or the chunk `byte_range` names) to the partial file.

        A chunk must start exactly where the held bytes end: anything else means the client
        lost track (a chunk sent twice, or one missing), and appending would corrupt the file.
        One upload of a binary at a time: a second one while the first runs is a Conflict
        (two appends at the same offset would interleave their bytes).
        """
        partial = self.partial(unit_id, key)
        partial.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(partial.with_suffix(".lock"), f"binary {key} of unit {unit_id}"):
            if byte_range is None or byte_range.start == 0:  # a new upload replaces what was held
                partial.unlink(missing_ok=True)
                self.binary(unit_id, key).unlink(missing_ok=True)
            return await _take(partial, chunks, byte_range, limit)

    def complete(self, unit_id: str, key: str) -> None:
        """The partial file becomes the binary, once its digest has been accepted."""
        self.partial(unit_id, key).replace(self.binary(unit_id, key))

    def discard(self, unit_id: str, key: str | None = None) -> None:
        """Drops a rejected or removed binary (every binary of the unit when no key is named)."""
        if key is None:
            shutil.rmtree(self.root / "binaries" / unit_id, ignore_errors=True)
            return
        self.partial(unit_id, key).unlink(missing_ok=True)
        self.binary(unit_id, key).unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


async def _take(
    partial: Path, chunks: AsyncIterator[bytes], byte_range: ByteRange | None, limit: int
) -> Received:
    """The body appended to `partial` at the offset `byte_range` says (under the upload's lock)."""
    held = partial.stat().st_size if partial.is_file() else 0
    if byte_range is not None and byte_range.start != held:
        raise Conflict(f"chunk starts at byte {byte_range.start}, expected offset {held}")
    total = byte_range.total if byte_range is not None else None
    if (total or 0) > limit:
        raise InvalidRequest(f"a binary of {total} bytes exceeds the upload limit of {limit} bytes")
    expected = byte_range.length if byte_range is not None else None
    written = await _append(partial, chunks, limit - held if expected is None else expected)
    if expected is not None and written != expected:
        _truncate(partial, held)
        raise InvalidRequest(f"Content-Range announces {expected} bytes, the body held {written}")
    held += written
    if total is not None and held < total:
        return Received(held, False)
    return Received(held, True, digest_file(partial)["sha512"])


@contextmanager
def _exclusive(lock: Path, what: str) -> Iterator[None]:
    """Holds an exclusive lock on `lock` (every process of the host sharing the work folder
    sees it), or refuses at once: an upload waits for nobody, it is retried by its client."""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"{what}: another upload of it is in progress; retry when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def _append(path: Path, chunks: AsyncIterator[bytes], most: int) -> int:
    """Appends the body; more than `most` bytes is refused (and the extra bytes taken back)."""
    start = path.stat().st_size if path.is_file() else 0
    written = 0
    with path.open("ab") as handle:
        async for chunk in chunks:
            written += len(chunk)
            if written > most:
                break
            handle.write(chunk)
    if written > most:
        _truncate(path, start)
        raise InvalidRequest(f"the body holds more than the {most} bytes expected")
    return written


def _truncate(path: Path, size: int) -> None:
    with path.open("r+b") as handle:
        handle.truncate(size)
