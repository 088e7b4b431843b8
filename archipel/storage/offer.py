"""What a storage offer promises, whatever holds the bytes (a folder today, S3 later).

An offer holds a full copy of the archives; the database is only an index rebuilt from
the offers. Hence the promises every implementation keeps, and that
`tests/storage/test_offer_conformance.py` checks once for all of them:

- a write is verified: the stored copy is read back and its SHA-512 compared with the one
  the caller computed; a copy that does not match is removed and `IntegrityFault` raised;
- nothing is overwritten: a key, once written, keeps its bytes. Writing it again with the
  same bytes is an idempotent retry; with other bytes it is refused. A new version of a
  document takes a new key (see `archipel.storage.layout`). The one exception is `restore`,
  an audit's repair: it puts back the bytes the archive recorded over a copy found damaged,
  and never touches a copy that matches them;
- keys are plain relative paths of `/`-separated segments, the same on a filesystem and
  on S3, so an offer can be copied from one kind to the other and read by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from archipel.core.errors import ArchipelError, NotFound

MAX_KEY_BYTES = 1024
"""S3's limit on a key, so every key is portable to an object store."""

MAX_SEGMENT_BYTES = 255
"""The usual limit on a file name (ext4, XFS, ZFS, NTFS)."""

README = "README.txt"
"""Written by each offer at its root to explain the layout; not an archive object."""

_SHA512 = re.compile(r"^[0-9a-f]{128}$")


class OfferError(ArchipelError):
    """An offer could not do what was asked (I/O error, refused overwrite, bad key)."""

    code = "OFFER_ERROR"


class InvalidKey(OfferError):
    """A key that is not a plain relative path: a bug in whoever built it, never stored."""

    code = "INVALID_KEY"


class ObjectMissing(NotFound, OfferError):
    """The offer holds nothing under this key."""


class OfferEntry(NamedTuple):
    """One stored object as a listing sees it."""

    key: str
    size: int


class Offer(Protocol):
    """A place that holds a full copy of the archives, addressed by key."""

    name: str

    def put(self, key: str, source: Path | bytes, sha512: str) -> None:
        """Stores `source` under `key` and verifies the stored copy against `sha512`.

        Raises `IntegrityFault` (after removing the bad copy) when the copy read back does
        not match, and `OfferError` when `key` already holds different bytes.
        """
        ...

    def restore(self, key: str, source: Path | bytes | BinaryIO, sha512: str) -> bool:
        """Makes `key` hold the bytes `sha512` names again, over a missing or damaged copy.

        `put` refuses to replace a key's bytes, and must: keys are immutable. But a copy that
        no longer matches its recorded SHA-512 is not the key's content any more, it is damage,
        and an audit repairing it from a healthy copy on another offer needs to replace it.
        Returns False, touching nothing, when the key already holds matching bytes (a healthy
        copy is never rewritten). Otherwise the new copy is verified before it takes the key,
        in one atomic step, so the key never holds a partial file; `IntegrityFault` when the
        source's bytes do not match `sha512` (the damaged copy is then left as it was).
        """
        ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The stored bytes as a stream; `ObjectMissing` when there is nothing under `key`."""
        ...

    def digest(self, key: str) -> str:
        """The SHA-512 of the stored bytes, recomputed now (a fixity check), in lower-case hex."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Removes the object; deleting a key that holds nothing is not an error (recovery retries)."""
        ...

    def list(self, prefix: str = "") -> Iterator[OfferEntry]:
        """Objects whose key starts with `prefix` (a plain string prefix, as on S3), sorted by key.

        Streams: a listing of millions of keys never sits in memory. Sorting by key sorts by
        creation time within a folder, since ids are time-ordered (UUIDv7).
        """
        ...

    def clean_temporary(self) -> int:
        """Removes what writes interrupted by a crash left behind; returns how many were removed.

        Must not disturb writes in progress in other processes sharing the offer.
        """
        ...


def validate_key(key: str) -> str:
    """Returns `key` when it is a plain relative path of `/`-separated segments; raises `InvalidKey`.

    Refused: absolute keys, backslashes, empty, `.` or `..` segments, control characters,
    text that is not encodable in UTF-8, keys or segments too long for S3 or a file name.
    Segments starting with a dot are refused too: offers keep their own housekeeping there
    (`.tmp`), and many copy tools skip hidden files, which would silently lose archives.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"invalid offer key {key!r}: empty")
    _check_characters(key)
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"invalid offer key {key!r}: longer than {MAX_KEY_BYTES} bytes")
    for segment in key.split("/"):
        if not segment:
            raise InvalidKey(f"invalid offer key {key!r}: absolute, or with an empty segment")
        if segment.startswith("."):
            raise InvalidKey(f"invalid offer key {key!r}: segment {segment!r} starts with a dot")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidKey(f"invalid offer key {key!r}: a segment is longer than {MAX_SEGMENT_BYTES} bytes")
    if key == README:
        raise InvalidKey(f"invalid offer key {key!r}: reserved for the offer's own description")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or the beginning of a valid key (it may end inside a segment)."""
    if prefix:
        _check_characters(prefix)
        *folders, last = prefix.split("/")
        if any(not folder or folder.startswith(".") for folder in folders) or last.startswith("."):
            raise InvalidKey(f"invalid listing prefix {prefix!r}: no valid key starts so")
    return prefix


def validate_sha512(sha512: str) -> str:
    """The digest in the lower-case hex form `hashlib` gives, so comparisons are plain equality."""
    normalised = sha512.strip().lower()
    if not _SHA512.match(normalised):
        raise OfferError(f"not a SHA-512 hex digest: {sha512!r}")
    return normalised


def _check_characters(text: str) -> None:
    if "\\" in text:
        raise InvalidKey(f"invalid offer key {text!r}: backslash")
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidKey(f"invalid offer key {text!r}: control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidKey(f"invalid offer key {text!r}: not encodable in UTF-8") from error
