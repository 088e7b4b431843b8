"""Building a SEDA 2.1 SIP from documents: a root unit holding one unit per document.

Used by the benchmarks and tests to make SIPs of any size, and the seed of the
`archipel sip build` command (a later issue extends it to folder trees and CSV metadata).
Binaries are streamed into the ZIP and hashed on the way, so a SIP of many gigabytes needs
no more memory than one chunk.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

SEDA21 = "fr:gouv:culture:archivesdefrance:seda:v2.1"
CHUNK = 1024 * 1024


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
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
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
) -> BuiltSip:
    """Writes a SIP ZIP whose manifest validates against the SEDA 2.1 XSD."""
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
                f'<ArchiveUnit id="U{index}"><Content><DescriptionLevel>Item</DescriptionLevel>'
                f"<Title>{escape(document.title)}</Title></Content>"
                f"<DataObjectReference><DataObjectGroupReferenceId>G{index}</DataObjectGroupReferenceId>"
                "</DataObjectReference></ArchiveUnit>"
            )
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        manifest = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ArchiveTransfer xmlns="{SEDA21}">'
            f"<Date>{now}</Date><MessageIdentifier>{escape(title)} {now}</MessageIdentifier>"
            f"<ArchivalAgreement>{escape(archival_agreement)}</ArchivalAgreement>"
            "<CodeListVersions><ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion>"
            "<MessageDigestAlgorithmCodeListVersion>MessageDigestAlgorithmCodeListVersion0"
            "</MessageDigestAlgorithmCodeListVersion>"
            "<FileFormatCodeListVersion>FileFormatCodeListVersion0</FileFormatCodeListVersion>"
            "</CodeListVersions>"
            "<DataObjectPackage>" + "".join(objects) + "<DescriptiveMetadata>"
            '<ArchiveUnit id="U0"><Content><DescriptionLevel>RecordGrp</DescriptionLevel>'
            f"<Title>{escape(title)}</Title></Content>"
            + "".join(
                f'<ArchiveUnit id="R{i}"><ArchiveUnitRefId>U{i}</ArchiveUnitRefId></ArchiveUnit>'
                for i in range(1, len(units) + 1)
            )
            + "</ArchiveUnit>"
            + "".join(units)
            + "</DescriptiveMetadata>"
            f"<ManagementMetadata><OriginatingAgencyIdentifier>{escape(originating_agency)}"
            "</OriginatingAgencyIdentifier></ManagementMetadata></DataObjectPackage>"
            f"<ArchivalAgency><Identifier>{escape(archival_agency)}</Identifier></ArchivalAgency>"
            f"<TransferringAgency><Identifier>{escape(transferring_agency)}</Identifier></TransferringAgency>"
            "</ArchiveTransfer>"
        )
        archive.writestr(
            zipfile.ZipInfo("manifest.xml", date_time=(2024, 1, 1, 0, 0, 0)), manifest.encode("utf-8")
        )
    return BuiltSip(output, units=len(units) + 1, objects=len(objects), bytes=total)
