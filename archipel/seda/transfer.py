"""The ArchiveTransfer an archive writes to hand units on to another archive (transfert).

When a commune's intermediate archives hand files on to the departmental archives, the
package they send is an ordinary SEDA SIP: the receiving archive ingests it like any other
and answers with its ArchiveTransferReply. Its `DataObjectPackage` is the one a DIP holds
(`archipel.seda.delivery`: units nested as in the tree, their `Content` and declared
`Management`, the objects with SHA-512 digests and paths in the ZIP), so both are written
by the same code; only the header differs: who sends (`TransferringAgency`, this archive),
who receives (`ArchivalAgency`), and under which of the receiver's ingest contracts
(`ArchivalAgreement`).

Each unit keeps its system id here in `Content/SystemId`, and the receiver's reply names
the units by the manifest ids written here (`AU-<system id>`): either way the reply
leads back to the units it accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from archipel.seda.content_xml import MetadataWriter
from archipel.seda.delivery import (
    CODE_LIST_VERSIONS,
    VERSION_PREFERENCE,
    DeliveryManifest,
    DeliveryMessage,
    message_head,
    package_document,
    write_message,
)

ROOT = "ArchiveTransfer"


@dataclass(frozen=True)
class TransferHeader:
    """The parties of a transfer; the units and objects come in a `DeliveryMessage`, whose
    identifier, date and comment are the transfer's (its requester and agency are not used)."""

    archival_agency: str
    """The receiving archive's identifier, as its referential of agencies knows it."""
    transferring_agency: str
    """This archive, as the receiver's referential of agencies knows it."""
    archival_agreement: str | None = None
    """The receiver's ingest contract the transfer is made under."""
    submission_agency: str | None = None
    """`ManagementMetadata/SubmissionAgencyIdentifier`, when the receiver wants one."""


def build_transfer(message: DeliveryMessage, header: TransferHeader, version: str) -> bytes:
    """The ArchiveTransfer as UTF-8 XML in one SEDA version (not validated: see `write_transfer`)."""
    root = MetadataWriter(version).document(ROOT, _transfer_document(message, header))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_transfer(
    message: DeliveryMessage, header: TransferHeader, versions: Sequence[str] = VERSION_PREFERENCE
) -> DeliveryManifest:
    """The transfer in the first SEDA version whose official XSD accepts it (see `write_message`)."""
    return write_message(lambda version: build_transfer(message, header, version), versions)


def _transfer_document(message: DeliveryMessage, header: TransferHeader) -> dict[str, Any]:
    document = message_head(message)
    if header.archival_agreement:
        document["ArchivalAgreement"] = header.archival_agreement
    package = package_document(message)
    if header.submission_agency:
        package["ManagementMetadata"]["SubmissionAgencyIdentifier"] = header.submission_agency
    document.update(
        {
            "CodeListVersions": dict(CODE_LIST_VERSIONS),
            "DataObjectPackage": package,
            "ArchivalAgency": {"Identifier": header.archival_agency},
            "TransferringAgency": {"Identifier": header.transferring_agency},
        }
    )
    return document
