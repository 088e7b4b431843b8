"""Unpacking a submitted SIP without trusting it (step `CHECK_CONTAINER`).

A SIP comes from outside: its ZIP may name files outside the work folder (`../../x`, the
"zip slip" the reference SAE refuses with `ZipFilesNameNotAllowedException`), hold links,
claim sizes it does not have, or expand a few kilobytes into terabytes. So:

* everything the central directory tells is checked *before* a byte is written, and every
  problem found is reported at once (one finding per entry and rule, `target` = the entry);
* bytes are streamed in bounded chunks and counted as they are written: declared sizes
  may lie, the counted ones cannot;
* nothing is ever written outside `dest`, files are created exclusively (never
  overwritten), and on any refusal what was extracted is removed again.

Finding codes (step `CHECK_CONTAINER`): `NOT_ZIP`, `PATH_TRAVERSAL` (absolute name, `..`,
drive letter, backslash), `INVALID_NAME` (empty or `.` segment, control character, segment
longer than a file system allows), `SYMLINK`, `TOO_MANY_ENTRIES`, `TOO_LARGE`,
`COMPRESSION_RATIO`, `DUPLICATE_ENTRY`, `ENCRYPTED`, `UNSUPPORTED_COMPRESSION`, `CORRUPT`.

Entry names are decoded as ZIP producers really write them: UTF-8 when flagged, else the
Info-ZIP Unicode Path field when present, else UTF-8 when the bytes are valid UTF-8 (macOS
and Java tools do not set the flag), else CP437 as the ZIP specification says; then NFC,
so that `Content/été.pdf` from a Mac matches the manifest's Uri.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from archipel.core.settings import ZipLimits
from archipel.ingest.findings import Finding, ko

STEP = "CHECK_CONTAINER"
CHUNK_BYTES = 1024 * 1024
RATIO_FLOOR_BYTES = 1024 * 1024
"""Below this expanded size a high ratio is harmless: a small XML manifest compresses 100:1."""
MAX_SEGMENT_BYTES = 255
"""The longest file name common file systems (ext4, XFS, NTFS, APFS) accept."""
DIRECTORY_BYTES_PER_ENTRY = 4096
"""Central directory bytes allowed per entry: a 46-byte record plus its name and extra fields."""

_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_FLAG_ENCRYPTED = 0x1
_FLAG_STRONG_ENCRYPTION = 0x40
_FLAG_UTF8 = 0x800
_UNICODE_PATH_FIELD = 0x7075
_LOCAL_HEADER_BYTES = 30
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError, RuntimeError)
"""What `zipfile` and its decompressors raise on bad data (bz2 raises a bare OSError)."""


@dataclass
class Unpacked:
    """What `unpack_sip` left in `dest`: nothing at all when `findings` is not empty."""

    files: dict[str, Path]
    """ZIP entry name (posix, NFC, as in the manifest's Uri) -> extracted file; folders are not listed."""
    findings: list[Finding]
    total_bytes: int


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    name: str
    raw_name: bytes

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")

    @property
    def segments(self) -> list[str]:
        return self.name.rstrip("/").split("/")


@dataclass
class _Extraction:
    """What has been written so far, to count it and to take it back on refusal."""

    root: Path
    limits: ZipLimits
    progress: Callable[[int], None] | None
    written: int = 0
    files: dict[str, Path] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def unpack_sip(
    zip_path: Path, dest: Path, limits: ZipLimits, progress: Callable[[int], None] | None = None
) -> Unpacked:
    """Extracts the SIP at `zip_path` into `dest` (which must not exist yet, or be empty).

    `progress(bytes_written)` is called as bytes are written, for a progress bar. A refusal
    is returned as findings, never raised; `OSError` from our own disk (full, read-only) is
    raised, as it is not the depositor's fault.
    """
    refusal = _refuse_entry_count(zip_path, limits)
    if refusal:
        return Unpacked({}, [refusal], 0)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        return Unpacked({}, [ko(STEP, f"the SIP is not a readable ZIP file ({error})", "NOT_ZIP")], 0)
    with archive:
        entries = [_decode_entry(info) for info in archive.infolist()]
        findings = _check_central_directory(entries, archive, zip_path.stat().st_size, limits)
        if findings:
            return Unpacked({}, findings, 0)
        return _extract(archive, entries, dest, limits, progress)


def _refuse_entry_count(zip_path: Path, limits: ZipLimits) -> Finding | None:
    """Reads the end record alone: a central directory of millions of entries, or of huge
    names, must be refused before `zipfile` loads it and builds an object per entry."""
    directory = _declared_directory(zip_path)
    if directory is None:
        return ko(STEP, "the SIP is not a ZIP file (no end of central directory record)", "NOT_ZIP")
    count, size = directory
    if count > limits.max_entries:
        return ko(
            STEP,
            f"the SIP has {count} entries, more than the {limits.max_entries} accepted",
            "TOO_MANY_ENTRIES",
            zip_path.name,
        )
    if size > max(count, 1) * DIRECTORY_BYTES_PER_ENTRY:
        return ko(
            STEP,
            f"the SIP's directory takes {size} bytes for {count} entries (names or fields too long)",
            "TOO_LARGE",
            zip_path.name,
        )
    return None


def _declared_directory(zip_path: Path) -> tuple[int, int] | None:
    """(entry count, central directory size) from the end records (ZIP64 aware), or None."""
    eocd_max = 22 + 0xFFFF
    with zip_path.open("rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        start = max(0, size - eocd_max)
        stream.seek(start)
        tail = stream.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        count, size = struct.unpack_from("<HI", tail, at + 10)
        locator_at = start + at - 20
        if (count != 0xFFFF and size != 0xFFFFFFFF) or locator_at < 0:
            return count, size
        stream.seek(locator_at)
        locator = stream.read(20)
        if locator[:4] != b"PK\x06\x07":
            return count, size
        (record_at,) = struct.unpack_from("<Q", locator, 8)
        stream.seek(record_at)
        record = stream.read(56)
        if record[:4] != b"PK\x06\x06" or len(record) < 56:
            return None
        count64, size64 = struct.unpack_from("<QQ", record, 32)
        return count64, size64


def entry_name(info: zipfile.ZipInfo) -> str:
    """The name `unpack_sip` lists an entry under (`Unpacked.files`): decoded, NFC."""
    return _decode_entry(info).name


def _decode_entry(info: zipfile.ZipInfo) -> _Entry:
    if info.flag_bits & _FLAG_UTF8:
        raw = info.orig_filename.encode("utf-8")
        name = info.orig_filename
    else:
        raw = info.orig_filename.encode("cp437")
        name = _unicode_path_field(info, raw) or _utf8_or_none(raw) or info.orig_filename
    return _Entry(info, unicodedata.normalize("NFC", name), raw)


def _utf8_or_none(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unicode_path_field(info: zipfile.ZipInfo, raw: bytes) -> str | None:
    """Info-ZIP's UTF-8 name (extra field 0x7075), trusted only if it names these raw bytes."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        if kind == _UNICODE_PATH_FIELD and len(body) >= 5 and body[0] == 1:
            (crc,) = struct.unpack_from("<I", body, 1)
            if crc == zlib.crc32(raw):
                return _utf8_or_none(body[5:])
        at += 4 + size
    return None


def _check_central_directory(
    entries: list[_Entry], archive: zipfile.ZipFile, zip_size: int, limits: ZipLimits
) -> list[Finding]:
    findings = [finding for entry in entries for finding in _check_entry(entry, limits)]
    findings += _check_duplicates(entries)
    findings += _check_totals(entries, zip_size, limits)
    findings += _check_overlaps(entries, archive)
    return findings


def _check_entry(entry: _Entry, limits: ZipLimits) -> Iterator[Finding]:
    info, name = entry.info, entry.name
    unsafe = _unsafe_name(name)
    if unsafe:
        code, why = unsafe
        yield ko(STEP, f"entry {name!r}: {why}", code, name)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        yield ko(
            STEP, f"entry {name!r} is a symbolic link; a SIP holds only files and folders", "SYMLINK", name
        )
    if info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        yield ko(STEP, f"entry {name!r} is encrypted; the archive cannot read or check it", "ENCRYPTED", name)
    if info.compress_type not in _SUPPORTED_METHODS:
        yield ko(
            STEP,
            f"entry {name!r} uses compression method {info.compress_type}; "
            "use Deflate (the default of every ZIP tool)",
            "UNSUPPORTED_COMPRESSION",
            name,
        )
    if info.file_size > limits.max_entry_bytes:
        yield ko(
            STEP,
            f"entry {name!r} declares {info.file_size} bytes, more than the {limits.max_entry_bytes} "
            "accepted per file",
            "TOO_LARGE",
            name,
        )
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        yield ko(
            STEP,
            f"entry {name!r} expands {info.compress_size} bytes into {info.file_size}, a ratio above "
            f"{limits.max_ratio:g} (zip bomb)",
            "COMPRESSION_RATIO",
            name,
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        yield ko(STEP, f"entry {name!r} is stored with two different sizes", "CORRUPT", name)


def _unsafe_name(name: str) -> tuple[str, str] | None:
    """(code, reason) when extracting `name` could escape the folder or would be ambiguous."""
    if "\\" in name:
        return "PATH_TRAVERSAL", "backslash in the name (a Windows separator that can hide '..')"
    if name.startswith("/"):
        return "PATH_TRAVERSAL", "absolute name"
    if _DRIVE_LETTER.match(name):
        return "PATH_TRAVERSAL", "name starts with a drive letter"
    segments = name.rstrip("/").split("/")
    if ".." in segments:
        return "PATH_TRAVERSAL", "'..' in the name would write outside the SIP folder"
    if _CONTROL_CHARACTER.search(name):
        return "INVALID_NAME", "control character in the name"
    if any(segment in ("", ".") for segment in segments):
        return "INVALID_NAME", "empty or '.' path segment"
    if any(len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES for segment in segments):
        return "INVALID_NAME", f"a path segment is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def _check_duplicates(entries: list[_Entry]) -> Iterator[Finding]:
    """Two entries with one name (after NFC), or a name that is both a file and a folder."""
    seen: set[str] = set()
    files: set[str] = set()
    folders: set[str] = set()
    for entry in entries:
        key = entry.name.rstrip("/")
        if key in seen:
            yield ko(STEP, f"entry {entry.name!r} appears more than once", "DUPLICATE_ENTRY", entry.name)
        seen.add(key)
        segments = entry.segments
        folders.update("/".join(segments[:depth]) for depth in range(1, len(segments)))
        (folders if entry.is_dir else files).add(key)
    for name in sorted(files & folders):
        yield ko(STEP, f"{name!r} is both a file and a folder", "DUPLICATE_ENTRY", name)


def _check_totals(entries: list[_Entry], zip_size: int, limits: ZipLimits) -> Iterator[Finding]:
    total = 0
    for entry in entries:
        total += entry.info.file_size
        if total > limits.max_total_bytes:
            yield ko(
                STEP,
                f"the SIP declares more than the {limits.max_total_bytes} bytes accepted in all "
                f"(reached at entry {entry.name!r})",
                "TOO_LARGE",
                entry.name,
            )
            break
    if entries and total > RATIO_FLOOR_BYTES and total > limits.max_ratio * max(zip_size, 1):
        largest = max(entries, key=lambda entry: entry.info.file_size)
        yield ko(
            STEP,
            f"the SIP expands {zip_size} bytes into {total}, a ratio above {limits.max_ratio:g} (zip bomb)",
            "COMPRESSION_RATIO",
            largest.name,
        )


def _check_overlaps(entries: list[_Entry], archive: zipfile.ZipFile) -> Iterator[Finding]:
    """Entries sharing compressed bytes: the "overlapping files" zip bomb, which defeats
    per-entry ratios. Each entry's local header and data must end before the next begins."""
    ordered = sorted(entries, key=lambda entry: entry.info.header_offset)
    ends = [
        entry.info.header_offset + _LOCAL_HEADER_BYTES + len(entry.raw_name) + entry.info.compress_size
        for entry in ordered
    ]
    central_directory = getattr(archive, "start_dir", None)
    for index, entry in enumerate(ordered):
        next_start = ordered[index + 1].info.header_offset if index + 1 < len(ordered) else central_directory
        if next_start is not None and ends[index] > next_start:
            yield ko(STEP, f"entry {entry.name!r} overlaps the next one (zip bomb)", "CORRUPT", entry.name)


def _extract(
    archive: zipfile.ZipFile,
    entries: list[_Entry],
    dest: Path,
    limits: ZipLimits,
    progress: Callable[[int], None] | None,
) -> Unpacked:
    created_dest = not dest.exists()
    if not created_dest and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty: a SIP is unpacked into a fresh folder")
    dest.mkdir(parents=True, exist_ok=True)
    state = _Extraction(dest.resolve(), limits, progress)
    try:
        for entry in sorted(entries, key=lambda entry: entry.info.header_offset):
            _extract_entry(archive, entry, state)
    except _Refused as refused:
        _take_back(dest, created_dest)
        return Unpacked({}, [refused.finding], 0)
    except BaseException:
        _take_back(dest, created_dest)
        raise
    return Unpacked(state.files, [], state.written)


def _extract_entry(archive: zipfile.ZipFile, entry: _Entry, state: _Extraction) -> None:
    target = state.root.joinpath(*entry.segments)
    if entry.is_dir:
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(state.root):  # refused by name already; belt and braces
        raise _Refused(
            ko(STEP, f"entry {entry.name!r} would be written outside", "PATH_TRAVERSAL", entry.name)
        )
    with _read_side(entry):
        source = archive.open(entry.info)
    with source, _create_exclusively(target, entry) as sink:
        _copy(source, sink, entry, state)
    state.files[entry.name] = target


def _create_exclusively(target: Path, entry: _Entry) -> IO[bytes]:
    """Never overwrites: on a case-insensitive disk `A.pdf` and `a.pdf` are one file."""
    try:
        return target.open("xb")
    except FileExistsError as error:
        message = f"entry {entry.name!r} collides with another entry on this file system"
        raise _Refused(ko(STEP, message, "DUPLICATE_ENTRY", entry.name)) from error


def _copy(source: IO[bytes], sink: IO[bytes], entry: _Entry, state: _Extraction) -> None:
    entry_bytes = 0
    limits = state.limits
    while True:
        with _read_side(entry):
            chunk = source.read(CHUNK_BYTES)
        if not chunk:
            return
        entry_bytes += len(chunk)
        state.written += len(chunk)
        if entry_bytes > entry.info.file_size or entry_bytes > limits.max_entry_bytes:
            raise _Refused(
                ko(STEP, f"entry {entry.name!r} holds more bytes than it declares", "TOO_LARGE", entry.name)
            )
        if state.written > limits.max_total_bytes:
            raise _Refused(
                ko(STEP, f"the SIP holds more than {limits.max_total_bytes} bytes", "TOO_LARGE", entry.name)
            )
        sink.write(chunk)
        if state.progress:
            state.progress(state.written)


@contextmanager
def _read_side(entry: _Entry) -> Iterator[None]:
    """Errors while reading the ZIP are the depositor's (bad CRC, truncated or garbled data);
    errors while writing are ours and propagate."""
    try:
        yield
    except _READ_ERRORS as error:
        raise _Refused(
            ko(STEP, f"entry {entry.name!r} is corrupt ({error})", "CORRUPT", entry.name)
        ) from error


def _take_back(dest: Path, created_dest: bool) -> None:
    """Removes what was extracted: `dest` was empty (or absent) when extraction began."""
    if created_dest:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
