"""Message digests: the algorithms SEDA declares and the SHA-512 the archive keeps.

SEDA's `MessageDigest/@algorithm` takes the names of its `DigestAlgorithmCodeType`
(`MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`); anything else is refused, as the
reference system does (e.g. `sha512` in lower case is an invalid algorithm name).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024

SEDA_ALGORITHMS: dict[str, str] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}

ARCHIVE_ALGORITHM = "SHA-512"


def hashlib_name(seda_algorithm: str) -> str | None:
    """The hashlib name of a SEDA algorithm name, or None when SEDA does not know it."""
    return SEDA_ALGORITHMS.get(seda_algorithm)


def digest_stream(stream: BinaryIO, algorithms: Iterable[str] = ("sha512",)) -> dict[str, str]:
    """Hex digests of a stream for several hashlib algorithms in a single read."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    while chunk := stream.read(CHUNK):
        for hasher in hashers.values():
            hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def digest_file(path: Path, algorithms: Iterable[str] = ("sha512",)) -> dict[str, str]:
    """Hex digests of a file, read once."""
    with path.open("rb") as stream:
        return digest_stream(stream, algorithms)


def sha512_bytes(data: bytes) -> str:
    """SHA-512 of small in-memory documents (metadata, replies)."""
    return hashlib.sha512(data).hexdigest()
