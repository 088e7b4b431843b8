"""Building a SEDA 2.1 SIP from documents: a root unit holding one unit per document.

Used by the benchmarks and tests to make SIPs of any size, and the seed of the
`archipel sip build` command (a later issue extends it to folder trees and CSV metadata).
Binaries are streamed into the ZIP and hashed on the way, so a SIP of many gigabytes needs
no more memory than one chunk.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

SEDA21 = "fr:gouv:culture:archivesdefrance:seda:v2.1"
CHUNK = 1024 * 1024
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
"""A fixed date for ZIP entries: the same content gives the same ZIP bytes."""
CODE_LIST_VERSIONS = (
    "<CodeListVersions><ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion>"
    "<MessageDigestAlgorithmCodeListVersion>MessageDigestAlgorithmCodeListVersion0"
    "</MessageDigestAlgorithmCodeListVersion>"
    "<FileFormatCodeListVersion>FileFormatCodeListVersion0</FileFormatCodeListVersion>"
    "</CodeListVersions>"
)


@dataclass(frozen=True)
class Document:
    """One document to deposit: its title and the file (or bytes) that carry it."""

    title: str
    filename: str
    source: Path | bytes


@dataclass(frozen=True)
class BuiltSip:
    path: Path
    units: int
    objects: int
    bytes: int


def _copy_hashing(
    source: Path | bytes, target: zipfile.ZipFile, name: str, compress: bool
) -> tuple[str, int]:
    digest = hashlib.sha512()
    size = 0
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with target.open(info, "w", force_zip64=True) as sink:
        if isinstance(source, bytes):
            digest.update(source)
            sink.write(source)
            size = len(source)
        else:
            with source.open("rb") as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
                    size += len(chunk)
    return digest.hexdigest(), size


def unit_element(
    unit_id: str,
    title: str,
    level: str,
    *,
    identifier: str | None = None,
    description: str | None = None,
    parent_system_id: str | None = None,
    children: Sequence[tuple[str, str]] = (),
    tail: str = "",
) -> str:
    """One SEDA 2.1 `ArchiveUnit`, its elements in the order the XSD sets.

    `identifier` is the archives' own id of the unit (`ArchivalAgencyArchiveUnitIdentifier`);
    `parent_system_id` attaches the unit under a unit already archived
    (`Management/UpdateOperation/SystemId`, the reference system's extension at SEDA's
    `OtherManagementAbstract` point); `children` are (reference element id, unit id) pairs
    placing other units of the manifest under this one by `ArchiveUnitRefId`, so a tree of
    any depth stays flat in the XML; `tail` is written last (`DataObjectReference`).
    """
    management = (
        f"<Management><UpdateOperation><SystemId>{escape(parent_system_id)}</SystemId>"
        "</UpdateOperation></Management>"
        if parent_system_id
        else ""
    )
    content = f"<DescriptionLevel>{escape(level)}</DescriptionLevel><Title>{escape(title)}</Title>"
    if identifier:
        content += (
            f"<ArchivalAgencyArchiveUnitIdentifier>{escape(identifier)}</ArchivalAgencyArchiveUnitIdentifier>"
        )
    if description:
        content += f"<Description>{escape(description)}</Description>"
    references = "".join(
        f'<ArchiveUnit id="{reference}"><ArchiveUnitRefId>{target}</ArchiveUnitRefId></ArchiveUnit>'
        for reference, target in children
    )
    body = f"{management}<Content>{content}</Content>{references}{tail}"
    return f'<ArchiveUnit id="{unit_id}">{body}</ArchiveUnit>'


def manifest_xml(
    units: str,
    *,
    message: str,
    objects: str = "",
    archival_agreement: str | None = None,
    originating_agency: str | None = None,
    archival_agency: str,
    transferring_agency: str,
    comment: str | None = None,
) -> bytes:
    """A SEDA 2.1 `ArchiveTransfer` around already written units and objects.

    `message` starts the `MessageIdentifier` (the date follows, so two transfers of the same
    title differ); an agreement or agency left out is not written (a filing plan needs none).
    """
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    management = (
        f"<OriginatingAgencyIdentifier>{escape(originating_agency)}</OriginatingAgencyIdentifier>"
        if originating_agency
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ArchiveTransfer xmlns="{SEDA21}">'
        + (f"<Comment>{escape(comment)}</Comment>" if comment else "")
        + f"<Date>{now}</Date><MessageIdentifier>{escape(message)} {now}</MessageIdentifier>"
        + (
            f"<ArchivalAgreement>{escape(archival_agreement)}</ArchivalAgreement>"
            if archival_agreement
            else ""
        )
        + CODE_LIST_VERSIONS
        + f"<DataObjectPackage>{objects}<DescriptiveMetadata>{units}</DescriptiveMetadata>"
        f"<ManagementMetadata>{management}</ManagementMetadata></DataObjectPackage>"
        f"<ArchivalAgency><Identifier>{escape(archival_agency)}</Identifier></ArchivalAgency>"
        f"<TransferringAgency><Identifier>{escape(transferring_agency)}</Identifier></TransferringAgency>"
        "</ArchiveTransfer>"
    ).encode("utf-8")


def write_manifest(archive: zipfile.ZipFile, manifest: bytes) -> None:
    """The manifest at the root of the SIP, where the reference system looks for it."""
    archive.writestr(zipfile.ZipInfo("manifest.xml", date_time=ZIP_DATE), manifest)


def build_sip(
    output: Path,
    documents: Iterable[Document],
    *,
    title: str = "Versement",
    archival_agreement: str = "ArchivalAgreement0",
    originating_agency: str = "Service_producteur",
    archival_agency: str = "Service_archives",
    transferring_agency: str = "Service_versant",
    compress: bool = False,
    attach_to: str | None = None,
) -> BuiltSip:
    """Writes a SIP ZIP whose manifest validates against the SEDA 2.1 XSD.

    `attach_to` is the system id of an archived unit (a node of a filing tree, say) the
    root unit goes under (`UpdateOperation/SystemId`); without it the root goes where the
    ingest contract says (`LinkParentId`), or at the top.
    """
    objects: list[str] = []
    units: list[str] = []
    total = 0
    with zipfile.ZipFile(output, "w", allowZip64=True) as archive:
        for index, document in enumerate(documents, start=1):
            entry = f"Content/{index:07d}_{document.filename}"
            sha512, size = _copy_hashing(document.source, archive, entry, compress)
            total += size
            objects.append(
                f'<DataObjectGroup id="G{index}"><BinaryDataObject id="O{index}">'
                f"<DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>{escape(entry)}</Uri>"
                f'<MessageDigest algorithm="SHA-512">{sha512}</MessageDigest><Size>{size}</Size>'
                f"<FileInfo><Filename>{escape(document.filename)}</Filename></FileInfo>"
                "</BinaryDataObject></DataObjectGroup>"
            )
            units.append(
                unit_element(
                    f"U{index}",
                    document.title,
                    "Item",
                    tail="<DataObjectReference><DataObjectGroupReferenceId>"
                    f"G{index}</DataObjectGroupReferenceId></DataObjectReference>",
                )
            )
        root = unit_element(
            "U0",
            title,
            "RecordGrp",
            parent_system_id=attach_to,
            children=[(f"R{i}", f"U{i}") for i in range(1, len(units) + 1)],
        )
        manifest = manifest_xml(
            root + "".join(units),
            message=title,
            objects="".join(objects),
            archival_agreement=archival_agreement,
            originating_agency=originating_agency,
            archival_agency=archival_agency,
            transferring_agency=transferring_agency,
        )
        write_manifest(archive, manifest)
    return BuiltSip(output, units=len(units) + 1, objects=len(objects), bytes=total)
