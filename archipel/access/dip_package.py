"""Writing a DIP's ZIP: binaries streamed from the offers, then the manifest, then published.

Each binary comes through `open_object` (the contract is checked again, the copy read is
verified, the delivery recorded with the export's operation id) and is copied into the
ZIP chunk by chunk, never whole in memory; the bytes written are hashed on the way and
must equal the SHA-512 recorded at ingest, so the manifest's digest is the digest of what
the ZIP holds. Binaries are stored uncompressed: archives are mostly already compressed
formats, and a stored entry can be checked with any tool, byte for byte.

The manifest is written last, from what was actually written. The ZIP is built under a
temporary name beside its final one and renamed once complete and flushed to disk, so
nobody ever downloads half a package under the final name.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archipel.access.delivery import open_object
from archipel.access.dip_manifest import DipHeader, delivery_message
from archipel.access.dip_plan import DipPlan
from archipel.access.scope import AccessScope
from archipel.core.digests import CHUNK, digest_file
from archipel.core.errors import IntegrityFault
from archipel.metadata.model import DataObject
from archipel.platform import Platform
from archipel.seda.delivery import DeliveryManifest, DeliveryMessage, write_delivery

MANIFEST_NAME = "manifest.xml"
CONTENT_FOLDER = "Content"
PARTIAL_SUFFIX = ".part"
_SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,12}$")

Progress = Callable[[str, int, int], None]
"""`(phase, done, total)`: phases `objects` and `bytes`."""
ManifestWriter = Callable[[DeliveryMessage], DeliveryManifest]
"""Writes the package's message: a delivery reply for a DIP, an ArchiveTransfer for a transfer."""


@dataclass(frozen=True)
class WrittenPackage:
    path: Path
    sha512: str
    size: int
    manifest: DeliveryManifest
    objects: int
    content_bytes: int


def entry_name(obj: DataObject) -> str:
    """`Content/<object id>.<extension>`: unique, and safe whatever the producer named the file
    (its name stays in the manifest's `FileInfo/Filename`)."""
    extension = Path(obj.filename or "").suffix
    return f"{CONTENT_FOLDER}/{obj.id}{extension if _SAFE_EXTENSION.match(extension) else ''}"


def write_package(
    platform: Platform,
    scope: AccessScope,
    plan: DipPlan,
    header: DipHeader,
    target: Path,
    progress: Progress,
    write_manifest: ManifestWriter = write_delivery,
) -> WrittenPackage:
    """Writes the ZIP at `target` (atomically); raises on any failure, leaving nothing behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    stamp = header.date.timetuple()[:6]
    try:
        written: dict[str, str] = {}
        moved = _BytesMoved(progress, plan.bytes)
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            for index, obj in enumerate(plan.binaries, start=1):
                name = entry_name(obj)
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_STORED
                with open_object(platform, scope, obj.id, header.identifier) as (row, stream):
                    force_zip64 = (row.size or 0) >= zipfile.ZIP64_LIMIT
                    with archive.open(info, "w", force_zip64=force_zip64) as entry:
                        _copy_checked(stream, entry, row, moved)
                written[obj.id] = name
                progress("objects", index, len(plan.binaries))
            with platform.database.unit_of_work() as session:
                manifest = write_manifest(delivery_message(session, scope, plan, header, written))
            info = zipfile.ZipInfo(MANIFEST_NAME, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, manifest.xml)
        _flush(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return WrittenPackage(
        path=target,
        sha512=digest_file(target)["sha512"],
        size=target.stat().st_size,
        manifest=manifest,
        objects=len(written),
        content_bytes=moved.done,
    )


class _BytesMoved:
    """Bytes copied so far, reported as they go."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def __call__(self, count: int) -> None:
        self.done += count
        self.progress("bytes", self.done, self.total)


def _copy_checked(source: BinaryIO, entry: BinaryIO, obj: DataObject, moved: Callable[[int], None]) -> None:
    """Copies one binary into its ZIP entry; its SHA-512 must be the one recorded at ingest."""
    digest = hashlib.sha512()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        entry.write(chunk)
        moved(len(chunk))
    if digest.hexdigest() != obj.sha512:
        raise IntegrityFault(
            f"object {obj.id}: the bytes read for the DIP do not match the SHA-512 recorded at ingest"
        )


def _flush(path: Path) -> None:
    with path.open("rb+") as handle:
        handle.flush()
        os.fsync(handle.fileno())
