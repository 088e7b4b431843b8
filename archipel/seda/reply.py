"""The ArchiveTransferReply (ATR): the archive's answer to every transfer, accepted or not.

It is written in the SEDA version of the request and validates against its official XSD.
As in the reference SAE's replies, an accepted transfer lists each unit, object group and
object of the manifest (by its manifest id) with the system id the archive gave it, and
`Operation` holds one `Event` per step and per finding, so a refused transfer names each
object or unit at fault and the reason (`OutcomeDetail` = `CHECK_DIGEST.KO`, ...).
A technical failure (FATAL) is answered with ReplyCode KO: SEDA's reply codes speak to
the depositor, and the FATAL outcome stays visible on the failing event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from lxml import etree

from archipel.core.clock import iso
from archipel.ingest.findings import Finding, Outcome
from archipel.seda.model import Manifest

NAMESPACES = {
    "2.1": "fr:gouv:culture:archivesdefrance:seda:v2.1",
    "2.2": "fr:gouv:culture:archivesdefrance:seda:v2.2",
    "2.3": "fr:gouv:culture:archivesdefrance:seda:v2.3",
}
UNKNOWN = "Unknown"

STEP_LABELS = {
    "STP_UPLOAD_SIP": "SIP received",
    "CHECK_CONTAINER": "Safe unpacking of the SIP",
    "MANIFEST_FILE_NAME_CHECK": "Manifest found",
    "CHECK_SEDA": "Manifest conforms to SEDA",
    "CHECK_DATAOBJECTPACKAGE": "Package structure",
    "CHECK_ATTACHEMENT": "Attachment to archived units",
    "CHECK_MANIFEST_OBJECTNUMBER": "Declared objects match the files",
    "CHECK_DIGEST": "Object digests",
    "CHECK_OBJECT_SIZE": "Object sizes",
    "OG_OBJECTS_FORMAT_CHECK": "Format identification",
    "CHECK_UNIT_SCHEMA": "Archive unit metadata",
    "STP_STORAGE": "Storage on every offer",
    "STP_INDEXATION": "Indexation",
    "ATR_NOTIFICATION": "Reply to the depositor",
}


class _Writer:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def element(
        self, parent: etree._Element | None, name: str, text: str | None = None, **attributes: str
    ) -> etree._Element:
        tag = f"{{{self.namespace}}}{name}"
        node = (
            etree.Element(tag, nsmap={None: self.namespace})
            if parent is None
            else etree.SubElement(parent, tag)
        )
        for key, value in attributes.items():
            node.set(key, value)
        if text is not None:
            node.text = _clean(text)
        return node


def _clean(text: str) -> str:
    """Text XML 1.0 can carry: control characters a manifest could smuggle in are dropped."""
    kept = "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))
    return " ".join(kept.split()) or "-"


def build_reply(
    *,
    seda_version: str,
    operation_id: str,
    reply_code: Outcome,
    date: datetime,
    manifest: Manifest | None,
    events: Sequence[Finding],
    unit_ids: Mapping[str, str] | None = None,
    group_ids: Mapping[str, str] | None = None,
    object_ids: Mapping[str, str] | None = None,
    archival_agency: str | None = None,
    transferring_agency: str | None = None,
) -> bytes:
    """The reply XML, UTF-8, deterministic for equal inputs."""
    unit_ids = unit_ids or {}
    group_ids = group_ids or {}
    object_ids = object_ids or {}
    write = _Writer(NAMESPACES.get(seda_version, NAMESPACES["2.1"]))
    root = write.element(None, "ArchiveTransferReply")
    accepted = reply_code in (Outcome.OK, Outcome.WARNING)
    if reply_code is Outcome.FATAL:
        write.element(
            root,
            "Comment",
            "Technical failure on the archive's side: nothing was archived; the transfer may be sent again.",
        )
    write.element(root, "Date", iso(date))
    write.element(root, "MessageIdentifier", operation_id)
    if manifest is not None and manifest.archival_agreement:
        write.element(root, "ArchivalAgreement", manifest.archival_agreement)
    codes = write.element(root, "CodeListVersions")
    write.element(codes, "ReplyCodeListVersion", "ReplyCodeListVersion0")
    write.element(codes, "MessageDigestAlgorithmCodeListVersion", "MessageDigestAlgorithmCodeListVersion0")
    if manifest is not None and accepted and (unit_ids or object_ids):
        _package(write, root, manifest, unit_ids, group_ids, object_ids)
    write.element(root, "ReplyCode", reply_code.value if accepted else Outcome.KO.value)
    operation = write.element(root, "Operation")
    for finding in events:
        event = write.element(operation, "Event")
        write.element(event, "EventTypeCode", finding.step)
        write.element(event, "EventType", STEP_LABELS.get(finding.step, finding.step))
        write.element(event, "EventDateTime", iso(date))
        write.element(event, "Outcome", finding.outcome.value)
        write.element(event, "OutcomeDetail", finding.key)
        write.element(event, "OutcomeDetailMessage", finding.message)
        if finding.target:
            write.element(event, "EventDetailData", finding.target)
    request = manifest.message_identifier if manifest is not None and manifest.message_identifier else UNKNOWN
    write.element(root, "MessageRequestIdentifier", request)
    if accepted:
        write.element(root, "GrantDate", iso(date))
    write.element(write.element(root, "ArchivalAgency"), "Identifier", archival_agency or UNKNOWN)
    write.element(write.element(root, "TransferringAgency"), "Identifier", transferring_agency or UNKNOWN)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _package(
    write: _Writer,
    root: etree._Element,
    manifest: Manifest,
    unit_ids: Mapping[str, str],
    group_ids: Mapping[str, str],
    object_ids: Mapping[str, str],
) -> None:
    package = write.element(root, "DataObjectPackage")
    for group_id, group in manifest.groups.items():
        # a group the archive made for an object declared without one has no manifest id of its own
        synthetic = group_id in manifest.objects
        group_node = package if synthetic else write.element(package, "DataObjectGroup", id=group_id)
        for object_id in group.object_ids:
            obj = manifest.objects[object_id]
            kind = "BinaryDataObject" if obj.kind == "binary" else "PhysicalDataObject"
            node = write.element(group_node, kind, id=object_id)
            if object_id in object_ids:
                write.element(node, "DataObjectSystemId", object_ids[object_id])
            if group_id in group_ids:
                write.element(node, "DataObjectGroupSystemId", group_ids[group_id])
            write.element(node, "DataObjectVersion", obj.version)
            if obj.kind != "binary":
                write.element(node, "PhysicalId", obj.physical_id or object_id)
    descriptive = write.element(package, "DescriptiveMetadata")
    for unit_id, unit in manifest.units.items():
        node = write.element(descriptive, "ArchiveUnit", id=unit_id)
        content = write.element(node, "Content")
        write.element(content, "Title", unit.title or unit_id)
        if unit_id in unit_ids:
            write.element(content, "SystemId", unit_ids[unit_id])
    management = write.element(package, "ManagementMetadata")
    if manifest.originating_agency:
        write.element(management, "OriginatingAgencyIdentifier", manifest.originating_agency)
