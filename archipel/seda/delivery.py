"""The ArchiveDeliveryRequestReply: the manifest of a DIP (paquet de diffusion).

SEDA answers a request for communication (`ArchiveDeliveryRequest`) with this message;
its `DataObjectPackage` holds what is delivered: the archive units with their `Content`
and `Management`, nested as in the archive's tree, and the object groups with each
binary's `Uri` in the ZIP, SHA-512 `MessageDigest`, `Size` and `FormatIdentification`,
so whoever opens the package later can check every file against the manifest alone.

The message is built as a JSON-shaped document and written by `MetadataWriter`, which puts
every element where the XSD sequence wants it. Ids (`xsd:ID`) are the archive's system ids
prefixed by the kind of thing (`AU-`, `GOT-`, `BDO-`...), since an NCName cannot start
with the digit a UUID may start with; the system ids themselves are written in
`SystemId`, `DataObjectSystemId` and `DataObjectGroupSystemId`.

Units come from transfers whose ids meant something in their own manifest only: ids
inside their metadata are made unique per unit, and references to units or objects of
their transfer (`ArchiveUnitRefId`, `DataObjectReference`, `Relationship/@target`...) are
pointed at what the DIP holds, through a `Resolver` the caller gives (see `localise`). SEDA
has no version that declares every element a unit may carry (2.3 drops `Signature`, 2.1
and 2.2 lack `PersistentIdentifier`), so the message is written in the first version of
`VERSION_PREFERENCE` whose official XSD accepts it, else in the first one, checked against
the schema with SEDA's extension points open (`check_delivery`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from archipel.core.clock import iso
from archipel.seda.content_xml import MetadataWriter
from archipel.seda.relaxed import relaxed_schema
from archipel.seda.schema import schema_lock, seda_schema

ROOT = "ArchiveDeliveryRequestReply"
VERSION_PREFERENCE = ("2.2", "2.3", "2.1")
"""2.2 declares every element of 2.1 (but `AgentAbstract`) and most of 2.3; the others are
tried in turn when a unit carries what 2.2 lacks."""
DIGEST_ALGORITHM = "SHA-512"
TRANSFER_ONLY_MANAGEMENT = frozenset({"UpdateOperation"})
"""Management elements that instructed the transfer (attach under an existing unit) and
say nothing of the unit once archived; the DIP's nesting shows where it sits."""
COMPUTED_RULE_FIELDS = frozenset({"EndDate"})
"""Fields the archive adds to each rule of a unit's `Management` at ingest (the end date it
computed from the rules referential); SEDA has no place for them in a rule category."""
MAX_REPORTED_ERRORS = 20
CODE_LIST_VERSIONS = {
    "ReplyCodeListVersion": "ReplyCodeListVersion0",
    "MessageDigestAlgorithmCodeListVersion": "MessageDigestAlgorithmCodeListVersion0",
    "FileFormatCodeListVersion": "PRONOM",
}
"""The code lists the messages this archive writes use: SEDA's reply codes, its digest
algorithm names, PRONOM for formats."""


XML_ID_PREFIXES = {"unit": "AU", "group": "GOT", "binary": "BDO", "physical": "PDO"}
"""By kind of thing: a unit, an object group, a binary or a physical object."""


def xml_id(kind: str, system_id: str) -> str:
    """The `id` of a thing in the DIP's manifest (an NCName: a UUID may start with a digit)."""
    return f"{XML_ID_PREFIXES[kind]}-{system_id}"


@dataclass(frozen=True)
class Target:
    """What a reference written in a transfer leads to, seen from the DIP."""

    system_id: str
    xml_id: str | None = None
    """The DIP element it names when the DIP holds it; None when it is only visible (the
    requester may ask for it: the reference becomes a `Repository...PID`)."""


Resolver = Callable[[str | None, str, str], Target | None]
"""`(transfer operation, kind, manifest id) → Target`, None for what the requester may not
know of; kind is `unit`, `group` or `object`."""


def resolve_nothing(_origin: str | None, _kind: str, _manifest_id: str) -> Target | None:
    return None


@dataclass(frozen=True)
class DeliveredObject:
    """A data object the DIP describes: a binary with its file in the ZIP, or a physical object."""

    system_id: str
    group_id: str
    kind: str
    """`binary` or `physical`."""
    version: str
    """`DataObjectVersion`, e.g. `BinaryMaster_1`."""
    uri: str | None = None
    """The binary's path in the ZIP (`Content/...`)."""
    sha512: str | None = None
    """Recorded at ingest; the bytes written in the ZIP were checked against it."""
    size: int | None = None
    format_id: str | None = None
    """PRONOM id as identified at ingest (`FormatIdentification/FormatId`)."""
    mime_type: str | None = None
    format_name: str | None = None
    filename: str | None = None
    """The producer's file name (`FileInfo/Filename`), kept though the ZIP names files by id."""
    physical_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """What the transfer said of the object beyond the fields above (FileInfo, Metadata...)."""
    origin: str | None = None
    """The operation that archived it: the scope of the manifest ids in `metadata`."""


@dataclass(frozen=True)
class DeliveredUnit:
    system_id: str
    content: Mapping[str, Any]
    """`Content` as stored (`archipel.seda.content`'s shape)."""
    management: Mapping[str, Any]
    """`Management` as stored, with the end dates the archive computed (left out of the XML)."""
    children: tuple[str, ...] = ()
    """Delivered units directly under this one, in order."""
    group_id: str | None = None
    """Its object group, when the DIP describes objects of it."""
    origin: str | None = None
    """The operation that archived it: the scope of the manifest ids in its metadata."""


@dataclass(frozen=True)
class DeliveryMessage:
    identifier: str
    """`MessageIdentifier`: the id of the export operation."""
    date: datetime
    request_identifier: str
    """`MessageRequestIdentifier`: the request answered (its reference, or the operation id)."""
    archival_agency: str
    requester: str
    units: Mapping[str, DeliveredUnit]
    """Every delivered unit by system id, in delivery order."""
    objects: Sequence[DeliveredObject] = ()
    comment: str | None = None
    originating_agency: str | None = None
    """`ManagementMetadata/OriginatingAgencyIdentifier` when every unit has the same."""
    resolve: Resolver = resolve_nothing


def build_delivery(message: DeliveryMessage, version: str) -> bytes:
    """The message as UTF-8 XML in one SEDA version (not validated: see `write_delivery`)."""
    root = MetadataWriter(version).document(ROOT, _message_document(message))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True)
class DeliveryManifest:
    xml: bytes
    version: str
    official: bool
    """Valid against the official XSD; otherwise valid with SEDA's extension points open."""
    errors: tuple[str, ...] = ()
    """Why the official XSD refused every version (of the version kept)."""


class InvalidDelivery(ValueError):
    """The message is invalid even with extension points open: a defect of the writer."""

    def __init__(self, version: str, errors: Sequence[str]) -> None:
        super().__init__(f"the SEDA {version} delivery message is not valid: " + "; ".join(errors))
        self.errors = tuple(errors)


def write_delivery(
    message: DeliveryMessage, versions: Sequence[str] = VERSION_PREFERENCE
) -> DeliveryManifest:
    """The message in the first version whose official XSD accepts it; else the first version,
    valid with SEDA's extension points open (a unit carries extension elements)."""
    return write_message(lambda version: build_delivery(message, version), versions)


def write_message(
    build: Callable[[str], bytes], versions: Sequence[str] = VERSION_PREFERENCE
) -> DeliveryManifest:
    """What `write_delivery` does, for any message `build` writes in a given SEDA version
    (a delivery, a transfer to another archive)."""
    first: tuple[bytes, list[str]] | None = None
    for version in versions:
        xml = build(version)
        errors = official_errors(xml, version)
        if not errors:
            return DeliveryManifest(xml, version, official=True)
        first = first or (xml, errors)
    assert first is not None
    xml, errors = first
    relaxed = relaxed_errors(xml, versions[0])
    if relaxed:
        raise InvalidDelivery(versions[0], relaxed)
    return DeliveryManifest(xml, versions[0], official=False, errors=tuple(errors))


def official_errors(xml: bytes | etree._Element, version: str) -> list[str]:
    """What the official XSD of `version` finds wrong in a message (empty: valid); the message
    as text, or as the tree it was written from (no second tree of a large manifest)."""
    schema = seda_schema(version)
    document = _tree(xml)
    with schema_lock():
        if schema.validate(document):
            return []
        return [_error_text(error) for error in list(schema.error_log)[:MAX_REPORTED_ERRORS]]


def relaxed_errors(xml: bytes, version: str) -> list[str]:
    """The same with SEDA's extension points open (`archipel.seda.relaxed`); from the text
    only, since the check rewrites a private parse of it."""
    relaxed = relaxed_schema(version)
    view = relaxed.extension_view(etree.fromstring(xml))
    with schema_lock():
        if relaxed.schema.validate(view.root):
            return []
        return [_error_text(error) for error in list(relaxed.schema.error_log)[:MAX_REPORTED_ERRORS]]


def _tree(xml: bytes | etree._Element) -> etree._Element:
    return etree.fromstring(xml) if isinstance(xml, bytes) else xml


def _error_text(error: etree._LogEntry) -> str:
    return f"line {error.line}: {error.message}"


# -- the message as a document ---------------------------------------------------------------


def message_head(message: DeliveryMessage) -> dict[str, Any]:
    """What every SEDA message this archive writes opens with: `Comment`, `Date`, `MessageIdentifier`."""
    head: dict[str, Any] = {"Comment": message.comment} if message.comment else {}
    return {**head, "Date": iso(message.date), "MessageIdentifier": message.identifier}


def _message_document(message: DeliveryMessage) -> dict[str, Any]:
    document = message_head(message)
    document.update(
        {
            "CodeListVersions": dict(CODE_LIST_VERSIONS),
            "DataObjectPackage": package_document(message),
            "ReplyCode": "OK",
            "MessageRequestIdentifier": message.request_identifier,
            "UnitIdentifier": list(message.units),
            "ArchivalAgency": {"Identifier": message.archival_agency},
            "Requester": {"Identifier": message.requester},
        }
    )
    return document


def package_document(message: DeliveryMessage) -> dict[str, Any]:
    """The `DataObjectPackage` of the message: its object groups and its units, nested."""
    groups: dict[str, list[DeliveredObject]] = {}
    for obj in message.objects:
        groups.setdefault(obj.group_id, []).append(obj)
    management: dict[str, Any] = {}
    if message.originating_agency:
        management["OriginatingAgencyIdentifier"] = message.originating_agency
    tree = _Tree(message.units, set(groups), message.resolve)
    return {
        "DataObjectGroup": [
            _group(group_id, objects, message.resolve) for group_id, objects in groups.items()
        ],
        "DescriptiveMetadata": {"ArchiveUnit": list(tree.roots())},
        "ManagementMetadata": management,
    }


def _group(group_id: str, objects: list[DeliveredObject], resolve: Resolver) -> dict[str, Any]:
    group: dict[str, Any] = {"@id": xml_id("group", group_id)}
    for obj in objects:
        kind = "BinaryDataObject" if obj.kind == "binary" else "PhysicalDataObject"
        group.setdefault(kind, []).append(_object(obj, resolve))
    return group


OBJECT_FIELDS_WRITTEN = frozenset(
    {"DataObjectSystemId", "DataObjectGroupSystemId", "DataObjectVersion", "Uri", "MessageDigest", "Size"}
)


def _object(obj: DeliveredObject, resolve: Resolver) -> dict[str, Any]:
    own_id = xml_id(obj.kind, obj.system_id)
    described = localise(
        {key: value for key, value in obj.metadata.items() if key not in OBJECT_FIELDS_WRITTEN},
        own_id,
        lambda kind, manifest_id: resolve(obj.origin, kind, manifest_id),
    )
    document: dict[str, Any] = {
        **described,
        "@id": own_id,
        "DataObjectSystemId": obj.system_id,
        "DataObjectGroupSystemId": obj.group_id,
        "DataObjectVersion": obj.version,
    }
    if obj.kind != "binary":
        document["PhysicalId"] = obj.physical_id or described.get("PhysicalId") or obj.system_id
        return document
    document.update({"Uri": obj.uri, "MessageDigest": {"@algorithm": DIGEST_ALGORITHM, "#text": obj.sha512}})
    if obj.size is not None:
        document["Size"] = obj.size
    declared = described.get("FormatIdentification")
    identified = {"FormatLitteral": obj.format_name, "MimeType": obj.mime_type, "FormatId": obj.format_id}
    formats = {
        **(declared if isinstance(declared, Mapping) else {}),
        **{key: value for key, value in identified.items() if value},
    }
    if formats:
        document["FormatIdentification"] = formats
    if obj.filename and not isinstance(described.get("FileInfo"), Mapping):
        document["FileInfo"] = {"Filename": obj.filename}
    return document


class _Tree:
    """The units nested as in the archive: a root is a unit without a delivered parent; a unit
    met again under another parent (the tree is a DAG) is referenced there, not repeated."""

    def __init__(self, units: Mapping[str, DeliveredUnit], groups: set[str], resolve: Resolver) -> None:
        self.units = units
        self.groups = groups
        self.resolve = resolve
        self.written: set[str] = set()

    def roots(self) -> Iterator[dict[str, Any]]:
        below = {child for unit in self.units.values() for child in unit.children}
        for unit_id in self.units:
            if unit_id not in below:
                yield self.unit(unit_id)
        for unit_id in self.units:  # only under units themselves unwritten: never in a DAG
            if unit_id not in self.written:
                yield self.unit(unit_id)

    def unit(self, unit_id: str) -> dict[str, Any]:
        self.written.add(unit_id)
        unit = self.units[unit_id]
        own_id = xml_id("unit", unit_id)

        def resolve(kind: str, manifest_id: str) -> Target | None:
            return self.resolve(unit.origin, kind, manifest_id)

        document: dict[str, Any] = {"@id": own_id}
        management = localise(as_declared(unit.management), own_id, resolve)
        if management:
            document["Management"] = management
        document["Content"] = {**localise(unit.content, own_id, resolve), "SystemId": unit_id}
        children = []
        for child in unit.children:
            if child not in self.units:
                continue
            if child in self.written:
                children.append({"@id": f"{own_id}-{child}", "ArchiveUnitRefId": xml_id("unit", child)})
            else:
                children.append(self.unit(child))
        if children:
            document["ArchiveUnit"] = children
        if unit.group_id is not None and unit.group_id in self.groups:
            document["DataObjectReference"] = {"DataObjectGroupReferenceId": xml_id("group", unit.group_id)}
        return document


def as_declared(management: Mapping[str, Any]) -> dict[str, Any]:
    """A unit's `Management` as SEDA has it: without what the archive computed or what only
    instructed the transfer."""
    declared: dict[str, Any] = {}
    for key, value in management.items():
        if key in TRANSFER_ONLY_MANAGEMENT:
            continue
        if isinstance(value, Mapping) and isinstance(value.get("Rules"), list):
            rules = [
                {name: item for name, item in rule.items() if name not in COMPUTED_RULE_FIELDS}
                if isinstance(rule, Mapping)
                else rule
                for rule in value["Rules"]
            ]
            value = {**value, "Rules": rules}
        declared[key] = value
    return declared


# -- references written in a transfer, pointed at the DIP -------------------------------------

_DROP = object()
OBJECT_REFERENCES = {"DataObjectReferenceId": "object", "DataObjectGroupReferenceId": "group"}
OBJECT_REFERENCE_HOLDERS = frozenset({"DataObjectReference", "CustodialHistoryFile"})


def localise(
    document: Mapping[str, Any], owner: str, resolve: Callable[[str, str], Target | None]
) -> dict[str, Any]:
    """A unit's or object's metadata with its transfer's ids made valid in the DIP.

    * an `id` attribute becomes `<owner>-<id>`: unique in the DIP, as it was in its transfer;
    * `ArchiveUnitRefId` names the unit's element in the DIP; a unit the DIP does not hold
      but the requester may see becomes `RepositoryArchiveUnitPID` (its system id);
    * `DataObjectReference` and `CustodialHistoryFile` likewise (`RepositoryObjectPID`);
    * a `Relationship` to an object the DIP does not hold is left out;
    * a reference to what the requester may not know of is left out, and an element left
      with no child by that is left out too (an empty reference is not SEDA).
    """
    localised = _localise(document, owner, resolve)
    return {} if localised is _DROP else localised


def _localise(value: Any, owner: str, resolve: Callable[[str, str], Target | None]) -> Any:
    if isinstance(value, list):
        items = [item for item in (_localise(item, owner, resolve) for item in value) if item is not _DROP]
        return items if items or not value else _DROP
    if not isinstance(value, Mapping):
        return value
    if "@target" in value:  # Relationship: to an object of the same transfer
        target = resolve("object", str(value["@target"]))
        if target is None or target.xml_id is None:
            return _DROP
        value = {**value, "@target": target.xml_id}
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "@id":
            result[key] = f"{owner}-{item}"
        elif key == "ArchiveUnitRefId":
            _unit_references(item, resolve, result)
        elif key in OBJECT_REFERENCE_HOLDERS:
            _object_references(key, item, owner, resolve, result)
        else:
            localised = _localise(item, owner, resolve)
            if localised is not _DROP:
                result[key] = localised
    had_children = any(not key.startswith(("@", "#")) for key in value)
    if had_children and not any(not key.startswith(("@", "#")) for key in result):
        return _DROP
    return result


def _unit_references(item: Any, resolve: Callable[[str, str], Target | None], result: dict[str, Any]) -> None:
    for manifest_id in item if isinstance(item, list) else [item]:
        target = resolve("unit", str(manifest_id))
        if target is None:
            continue
        if target.xml_id is not None:
            _append(result, "ArchiveUnitRefId", target.xml_id)
        else:
            _append(result, "RepositoryArchiveUnitPID", target.system_id)


def _object_references(
    key: str, item: Any, owner: str, resolve: Callable[[str, str], Target | None], result: dict[str, Any]
) -> None:
    for reference in item if isinstance(item, list) else [item]:
        if not isinstance(reference, Mapping):
            continue
        localised: dict[str, Any] = {}
        pid: str | None = None
        for name, manifest_id in reference.items():
            kind = OBJECT_REFERENCES.get(name)
            if kind is None:
                localised[name] = f"{owner}-{manifest_id}" if name == "@id" else manifest_id
                continue
            target = resolve(kind, str(manifest_id))
            if target is not None and target.xml_id is not None:
                localised[name] = target.xml_id
            elif target is not None:
                pid = target.system_id
        if any(name in OBJECT_REFERENCES for name in localised):
            _append(result, key, localised)
        elif pid is not None and key == "DataObjectReference":
            _append(result, "RepositoryObjectPID", pid)


def _append(result: dict[str, Any], key: str, value: Any) -> None:
    if key not in result:
        result[key] = value
    elif isinstance(result[key], list):
        result[key].append(value)
    else:
        result[key] = [result[key], value]
