"""Writing a SIP (SEDA `ArchiveTransfer` in a ZIP) from a planned tree of units and files.

The plan (`PlannedUnit`s holding `PlannedObject`s) says what to deposit; whoever made it
(a folder walk, a collect space, a test) need not know SEDA's XML. Why it is written so:

* the manifest is a JSON-shaped document written by `MetadataWriter`, which puts every
  element where the XSD sequence of `version` wants it: no XML is spelled out here;
* units are flat in `DescriptiveMetadata`, a parent naming each child with an
  `<ArchiveUnit><ArchiveUnitRefId>` reference (as `sip_builder` does): the ingest parses
  manifests without `huge_tree`, which stops at 256 levels of nesting, and a folder tree
  may be deep;
* the manifest is checked against the OFFICIAL XSD of `version` twice: once before a
  byte is copied (with the digests still unknown, so a refusal costs nothing), once as
  written. With `attach_to`, the roots carry `Management/UpdateOperation`, the reference
  system's extension at SEDA's `OtherManagementAbstract` point, which no official XSD
  declares: that manifest is checked with the extension points open
  (`archipel.seda.relaxed`), as the ingest checks it;
* binaries are streamed into the ZIP uncompressed (archived formats are compressed
  already, and a stored entry can be checked without inflating) in chunks, hashed on the
  way: a SIP of many gigabytes needs one chunk of memory. A digest known beforehand is
  checked against the bytes copied, so a file changed since it was planned is never
  deposited under the digest of its former content;
* entry names are `Content/<n>_<name>`: unique by the number whatever the producer's
  names (which stay in `FileInfo/Filename`), the name reduced to ASCII letters, digits,
  `.`, `-` and `_` (what every unzip and file system takes, whatever its code page) and
  cut to fit one path segment;
* the ZIP is written under a temporary name beside `target` and renamed once complete:
  after a failure, nothing half-written stands under the final name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from archipel.collect.sip_builder import CHUNK, ZIP_DATE, write_manifest
from archipel.core.clock import iso, utc_now
from archipel.core.errors import IntegrityFault, InvalidRequest
from archipel.ingest.safezip import MAX_SEGMENT_BYTES
from archipel.seda.content_xml import MetadataWriter
from archipel.seda.delivery import (
    CODE_LIST_VERSIONS,
    DIGEST_ALGORITHM,
    official_errors,
    relaxed_errors,
    xml_id,
)

ROOT = "ArchiveTransfer"
ENTRY_FOLDER = "Content"
MASTER = "BinaryMaster"
UNKNOWN_DIGEST = "0" * 128
"""Stands for a digest not computed yet in the manifest checked before copying (same type;
a size not known yet is 1)."""
MAX_EXTENSION = 16
"""A longer "extension" is part of the name (`rapport.version-finale-relue`)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]+")

Progress = Callable[[int, int], None]
"""Called as bytes are copied with (bytes done, bytes in all)."""


@dataclass(frozen=True)
class PlannedObject:
    """A file to deposit as one binary object of a unit."""

    source: Path
    """The file copied into the SIP."""
    filename: str
    """The producer's file name (`FileInfo/Filename`)."""
    size: int | None = None
    sha512: str | None = None
    """When known beforehand: the bytes copied are checked against it (`IntegrityFault`)."""
    format_id: str | None = None
    """PRONOM PUID."""
    mime_type: str | None = None
    format_name: str | None = None
    last_modified: datetime | None = None
    """`FileInfo/LastModified`."""


@dataclass
class PlannedUnit:
    """An archive unit to deposit, with the binaries of its object group and its children."""

    key: str
    """Unique in the plan (a relative path, a collect unit id): names the unit in errors."""
    content: dict[str, Any]
    """SEDA `Content` in the JSON shape of `archipel.seda.content`."""
    management: dict[str, Any] = field(default_factory=dict)
    """Rule categories, e.g. `{"AppraisalRule": {"Rules": [{"Rule": "APP-1"}], "FinalAction": "Keep"}}`."""
    objects: list[PlannedObject] = field(default_factory=list)
    """`BinaryMaster_1..n` of one object group."""
    children: list[PlannedUnit] = field(default_factory=list)


@dataclass(frozen=True)
class SipHeader:
    """Who sends the SIP to whom, under which contract: the message's header."""

    message_identifier: str
    archival_agency: str
    transferring_agency: str
    archival_agreement: str | None = None
    """The ingest contract."""
    originating_agency: str | None = None
    submission_agency: str | None = None
    comment: str | None = None
    attach_to: str | None = None
    """System id of an archived unit the roots go under (`Management/UpdateOperation/SystemId`)."""


@dataclass(frozen=True)
class WrittenSip:
    path: Path
    units: int
    objects: int
    bytes: int
    version: str


class InvalidSip(ValueError):
    """The manifest failed the official XSD; `errors` lists why."""

    def __init__(self, version: str, errors: Sequence[str]) -> None:
        super().__init__(f"the SEDA {version} manifest is not valid: " + "; ".join(errors))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class _Numbered:
    """A unit of the plan with its number (its manifest ids derive from it)."""

    number: int
    unit: PlannedUnit
    children: tuple[int, ...]
    root: bool


def write_sip(
    target: Path,
    header: SipHeader,
    roots: Sequence[PlannedUnit],
    *,
    version: str = "2.2",
    progress: Progress | None = None,
) -> WrittenSip:
    """Writes the SIP of `roots` at `target`; raises `InvalidSip` (nothing written) when the
    manifest is not valid SEDA `version`, `IntegrityFault` when a file's bytes do not match
    its planned digest, `InvalidRequest` when a file cannot be read."""
    units = _number(roots)
    objects = [(item.number, index, obj) for item in units for index, obj in enumerate(item.unit.objects)]
    manifest = _Manifest(header, units, version)
    manifest.check()
    total = sum(_planned_size(obj) for _, _, obj in objects)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        with zipfile.ZipFile(partial, "x", allowZip64=True) as archive:
            copier = _Copier(archive, total, progress)
            for number, index, obj in objects:
                sha512, size = copier.copy(obj, manifest.entries[number, index])
                manifest.record(number, index, sha512, size)
            write_manifest(archive, manifest.finish())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return WrittenSip(target, len(units), len(objects), copier.done, version)


def entry_name(number: int, filename: str) -> str:
    """`Content/<number>_<name>`: unique by its number, readable by its name, safe anywhere."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION:
        stem, extension = filename, ""
    stem, extension = _safe(stem) or "file", _safe(extension)
    head = f"{number:06d}_"
    suffix = f".{extension}" if extension else ""
    return f"{ENTRY_FOLDER}/{head}{stem[: MAX_SEGMENT_BYTES - len(head) - len(suffix)]}{suffix}"


def _safe(text: str) -> str:
    """Accents dropped (`é` is `e`), anything else not ASCII-safe replaced by `_`."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _UNSAFE.sub("_", bare).strip("._")


def _number(roots: Sequence[PlannedUnit]) -> list[_Numbered]:
    """The units in pre-order, numbered from 1, without recursion (a tree may be deep)."""
    order: list[tuple[PlannedUnit, bool]] = []
    number_of: dict[str, int] = {}
    pending: list[tuple[PlannedUnit, bool]] = [(root, True) for root in reversed(roots)]
    while pending:
        unit, root = pending.pop()
        if unit.key in number_of:
            raise InvalidRequest(f"{unit.key}: two units of the plan have this key")
        order.append((unit, root))
        number_of[unit.key] = len(order)
        pending.extend((child, False) for child in reversed(unit.children))
    return [
        _Numbered(number, unit, tuple(number_of[child.key] for child in unit.children), root)
        for number, (unit, root) in enumerate(order, start=1)
    ]


def _planned_size(obj: PlannedObject) -> int:
    if obj.size is not None:
        return obj.size
    try:
        return obj.source.stat().st_size
    except OSError as error:
        raise InvalidRequest(f"{obj.source}: cannot read the file ({error.strerror})") from None


class _Copier:
    """Streams planned files into the ZIP, hashing them and counting the bytes for `progress`."""

    def __init__(self, archive: zipfile.ZipFile, total: int, progress: Progress | None) -> None:
        self.archive = archive
        self.total = total
        self.progress = progress
        self.done = 0

    def copy(self, obj: PlannedObject, entry: str) -> tuple[str, int]:
        """The SHA-512 and size of the bytes copied from `obj` into the ZIP's `entry`."""
        info = zipfile.ZipInfo(entry, date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_STORED
        digest, size = hashlib.sha512(), 0
        try:
            stream = obj.source.open("rb")
        except OSError as error:
            raise InvalidRequest(f"{obj.source}: cannot read the file ({error.strerror})") from None
        with stream, self.archive.open(info, "w", force_zip64=True) as sink:
            for chunk in _chunks(stream):
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
                self._advance(len(chunk))
        sha512 = digest.hexdigest()
        if obj.sha512 is not None and obj.sha512.lower() != sha512:
            raise IntegrityFault(f"{obj.source}: its bytes do not match the planned SHA-512 (changed since?)")
        if self.progress and size == 0:
            self.progress(self.done, self.total)
        return sha512, size

    def _advance(self, count: int) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, max(self.total, self.done))


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


# -- the manifest ---------------------------------------------------------------------------


class _Manifest:
    """The manifest as one XML tree, built once from the plan before any file is copied.

    Building is the slow part (a few hundred microseconds a unit): the tree is written with
    the digests and sizes planned (placeholders where unknown, of the same types, so the
    first check says all the final one would say of the plan), then each binary's digest
    and size is set in place as it is copied.
    """

    def __init__(self, header: SipHeader, units: Sequence[_Numbered], version: str) -> None:
        self.header = header
        self.version = version
        self.entries: dict[tuple[int, int], str] = {}
        for item in units:
            for index, obj in enumerate(item.unit.objects):
                self.entries[item.number, index] = entry_name(len(self.entries) + 1, obj.filename)
        writer = MetadataWriter(version)
        self.root = writer.document(ROOT, self._document(units))
        digest_tag, size_tag = writer.tag("MessageDigest"), writer.tag("Size")
        self.binaries = {
            binary.get("id"): (binary.find(digest_tag), binary.find(size_tag))
            for binary in self.root.iter(writer.tag("BinaryDataObject"))
        }

    def record(self, number: int, index: int, sha512: str, size: int) -> None:
        """The digest and size of a binary as copied."""
        digest, size_element = self.binaries[_binary_id(number, index)]
        digest.text = sha512
        if size:
            size_element.text = str(size)
        else:  # SEDA's `SizeInBytesType` is a positive integer: an empty file has no Size
            size_element.getparent().remove(size_element)

    def check(self) -> None:
        """`InvalidSip` unless the XSD accepts the manifest as planned: the official XSD checks
        the tree itself, with no text of it and no second tree (a large folder makes a large
        one)."""
        self._valid(self.root)

    def finish(self) -> bytes:
        """The final manifest, checked; the tree is let go first (validation parses the text
        again, and two trees of a large manifest are most of the memory a build takes)."""
        xml = self._text()
        del self.root, self.binaries
        self._valid(xml)
        return xml

    def _text(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def _valid(self, xml: bytes | etree._Element) -> None:
        if self.header.attach_to:  # the relaxed check rewrites what it reads: it gets the text
            errors = relaxed_errors(xml if isinstance(xml, bytes) else self._text(), self.version)
        else:
            errors = official_errors(xml, self.version)
        if errors:
            raise InvalidSip(self.version, errors)

    def _document(self, units: Sequence[_Numbered]) -> dict[str, Any]:
        """The whole message; `MetadataWriter` puts the elements in the XSD's order, so the
        optional ones left empty are simply dropped."""
        header = self.header
        agencies = {
            "OriginatingAgencyIdentifier": header.originating_agency,
            "SubmissionAgencyIdentifier": header.submission_agency,
        }
        package = {
            "DataObjectGroup": [self._group(item) for item in units if item.unit.objects],
            "DescriptiveMetadata": {"ArchiveUnit": [_unit(item, header.attach_to) for item in units]},
            "ManagementMetadata": _present(agencies),
        }
        return _present(
            {
                "Comment": header.comment,
                "Date": iso(utc_now()),
                "MessageIdentifier": header.message_identifier,
                "ArchivalAgreement": header.archival_agreement,
                "CodeListVersions": dict(CODE_LIST_VERSIONS),
                "DataObjectPackage": package,
                "ArchivalAgency": {"Identifier": header.archival_agency},
                "TransferringAgency": {"Identifier": header.transferring_agency},
            }
        )

    def _group(self, item: _Numbered) -> dict[str, Any]:
        binaries = []
        for index, obj in enumerate(item.unit.objects):
            binary: dict[str, Any] = {
                "@id": _binary_id(item.number, index),
                "DataObjectVersion": f"{MASTER}_{index + 1}",
                "Uri": self.entries[item.number, index],
                "MessageDigest": {"@algorithm": DIGEST_ALGORITHM, "#text": obj.sha512 or UNKNOWN_DIGEST},
                "Size": obj.size or 1,
            }
            formats = {
                "FormatLitteral": obj.format_name,
                "MimeType": obj.mime_type,
                "FormatId": obj.format_id,
            }
            if any(formats.values()):
                binary["FormatIdentification"] = {key: value for key, value in formats.items() if value}
            binary["FileInfo"] = {"Filename": obj.filename}
            if obj.last_modified is not None:
                binary["FileInfo"]["LastModified"] = iso(obj.last_modified)
            binaries.append(binary)
        return {"@id": xml_id("group", str(item.number)), "BinaryDataObject": binaries}


def _present(elements: dict[str, Any]) -> dict[str, Any]:
    """The elements given a value (an empty string would be an empty element, which SEDA refuses)."""
    return {name: value for name, value in elements.items() if value is not None and value != ""}


def _binary_id(number: int, index: int) -> str:
    return xml_id("binary", f"{number}-{index + 1}")


def _unit(item: _Numbered, attach_to: str | None) -> dict[str, Any]:
    own_id = xml_id("unit", str(item.number))
    document: dict[str, Any] = {"@id": own_id}
    management = dict(item.unit.management)
    if item.root and attach_to:
        management["UpdateOperation"] = {"SystemId": attach_to}
    if management:
        document["Management"] = management
    document["Content"] = item.unit.content
    if item.children:
        document["ArchiveUnit"] = [
            {"@id": f"{own_id}-{child}", "ArchiveUnitRefId": xml_id("unit", str(child))}
            for child in item.children
        ]
    if item.unit.objects:
        document["DataObjectReference"] = {"DataObjectGroupReferenceId": xml_id("group", str(item.number))}
    return document
