"""What a SEDA `ArchiveTransfer` manifest says, as plain domain objects.

These classes hold the manifest's own identifiers (`xml:id`/`id` attributes such as
`ID7`); system ids are given later, at ingest. Descriptive and management metadata are
kept as JSON-ready dictionaries in the shape the reference system indexes them:
element local names as keys, a repeated element as a list, text as strings,
attributes as `"@name"` keys, and `xml:lang` variants as `{"Title_": {"fr": ...}}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEDA_NAMESPACES: dict[str, str] = {
    "fr:gouv:culture:archivesdefrance:seda:v2.1": "2.1",
    "fr:gouv:culture:archivesdefrance:seda:v2.2": "2.2",
    "fr:gouv:culture:archivesdefrance:seda:v2.3": "2.3",
}


@dataclass
class Digest:
    """A declared `MessageDigest`: the algorithm name exactly as written, and the value."""

    algorithm: str
    value: str


@dataclass
class DataObject:
    """A BinaryDataObject (`kind="binary"`) or PhysicalDataObject (`kind="physical"`)."""

    manifest_id: str
    kind: str
    group_id: str
    """The manifest id of its object group: the enclosing `DataObjectGroup`, or the
    2.1-style `DataObjectGroupId`/`DataObjectGroupReferenceId`, or, when none is given,
    a group made for this object alone (its id is then the object id)."""
    version: str
    """`DataObjectVersion` as written, e.g. `BinaryMaster_1` or `BinaryMaster`."""
    uri: str | None = None
    digest: Digest | None = None
    size: int | None = None
    format_id: str | None = None
    mime_type: str | None = None
    format_literal: str | None = None
    filename: str | None = None
    physical_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    """Everything else the manifest says of the object (FileInfo, PhysicalDimensions...)."""


@dataclass
class ObjectGroup:
    manifest_id: str
    object_ids: list[str] = field(default_factory=list)


@dataclass
class ArchiveUnit:
    manifest_id: str
    content: dict[str, Any] = field(default_factory=dict)
    """`Content` as a JSON-ready dictionary."""
    management: dict[str, Any] = field(default_factory=dict)
    """`Management` as a JSON-ready dictionary (rules by category)."""
    children: list[str] = field(default_factory=list)
    """Manifest ids of units under this one: nested `ArchiveUnit`s and `ArchiveUnitRefId`s."""
    object_refs: list[str] = field(default_factory=list)
    """Manifest ids named in `DataObjectReference` (group or object reference ids)."""
    attachment_system_id: str | None = None
    """`Management/UpdateOperation/SystemId`: an existing unit this one attaches under."""
    archive_unit_profile: str | None = None

    @property
    def title(self) -> str:
        title = self.content.get("Title")
        if isinstance(title, list):
            title = title[0] if title else ""
        if isinstance(title, dict):
            title = title.get("#text", "")
        return str(title or "")

    @property
    def level(self) -> str | None:
        level = self.content.get("DescriptionLevel")
        return str(level) if level else None


@dataclass
class Manifest:
    """One `ArchiveTransfer`, read without any referential knowledge."""

    seda_version: str
    message_identifier: str
    date: str | None = None
    comment: str | None = None
    archival_agreement: str | None = None
    archival_profile: str | None = None
    archival_agency: str | None = None
    transferring_agency: str | None = None
    originating_agency: str | None = None
    submission_agency: str | None = None
    management_metadata: dict[str, Any] = field(default_factory=dict)
    units: dict[str, ArchiveUnit] = field(default_factory=dict)
    """Every unit by manifest id, in document order."""
    roots: list[str] = field(default_factory=list)
    """Manifest ids of the units no other unit of the manifest points to."""
    groups: dict[str, ObjectGroup] = field(default_factory=dict)
    objects: dict[str, DataObject] = field(default_factory=dict)
