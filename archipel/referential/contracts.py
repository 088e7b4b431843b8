"""Ingest contracts (contrats d'entrée) and access contracts (contrats d'accès).

Both are JSON arrays with the reference system's field names, stored as written so an
export gives the same document back. An ingest contract says what a depositor may
transfer (profiles, formats, usages) and where it lands (`LinkParentId`); an access
contract says what a reader may see (agencies, root units, usages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from archipel.referential.jsonfile import read_json_array, write_json_array
from archipel.referential.report import LineError

if TYPE_CHECKING:
    from archipel.referential.kinds import CheckContext

Document = dict[str, Any]

ACTIVE, INACTIVE = "ACTIVE", "INACTIVE"
USAGES = ("BinaryMaster", "Dissemination", "Thumbnail", "TextContent", "PhysicalMaster")
"""Object usages (SEDA `DataObjectVersion` without the version number)."""
DATE_FIELDS = ("CreationDate", "LastUpdate", "ActivationDate", "DeactivationDate")
_PUID = re.compile(r"^(x-)?fmt/[0-9]+$")

_COMMON = {
    "Identifier": str,
    "Name": str,
    "Description": str,
    "Status": str,
    **dict.fromkeys(DATE_FIELDS, str),
}
INGEST_FIELDS: dict[str, type] = {
    **_COMMON,
    "LinkParentId": str,
    "CheckParentLink": str,
    "CheckParentId": list,
    "ArchiveProfiles": list,
    "MasterMandatory": bool,
    "EveryDataObjectVersion": bool,
    "DataObjectVersion": list,
    "FormatUnidentifiedAuthorized": bool,
    "EveryFormatType": bool,
    "FormatType": list,
    "ComputeInheritedRulesAtIngest": bool,
    "ManagementContractId": str,
    "SignaturePolicy": dict,
}
ACCESS_FIELDS: dict[str, type] = {
    **_COMMON,
    "DataObjectVersion": list,
    "EveryDataObjectVersion": bool,
    "OriginatingAgencies": list,
    "EveryOriginatingAgency": bool,
    "RootUnits": list,
    "ExcludedRootUnits": list,
    "WritingPermission": bool,
    "WritingRestrictedDesc": bool,
    "AccessLog": str,
    "RuleCategoryToFilter": list,
}


def parse_date(value: str) -> date | None:
    """Dates as the reference system's files write them: `10/12/2016` or ISO 8601; None if neither."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _check_fields(document: Document, fields: dict[str, type], line: int) -> list[LineError]:
    identifier = document.get("Identifier") if isinstance(document.get("Identifier"), str) else None
    errors = []
    for name in ("Identifier", "Name"):
        if not isinstance(document.get(name), str) or not document[name].strip():
            errors.append(LineError(line, f"missing {name}", identifier))
    for name, expected in fields.items():
        value = document.get(name)
        if value is None:
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            errors.append(LineError(line, f"{name} must be a {expected.__name__}", identifier))
        elif expected is list and not all(isinstance(item, str) for item in value):
            errors.append(LineError(line, f"{name} must be a list of strings", identifier))
    status = document.get("Status", ACTIVE)
    if status not in (ACTIVE, INACTIVE):
        errors.append(LineError(line, f"Status {status!r} is neither ACTIVE nor INACTIVE", identifier))
    for name in DATE_FIELDS:
        value = document.get(name)
        if isinstance(value, str) and parse_date(value) is None:
            errors.append(
                LineError(line, f"{name} {value!r} is not a date (dd/mm/yyyy or yyyy-mm-dd)", identifier)
            )
    usages = document.get("DataObjectVersion")
    if isinstance(usages, list):
        for usage in usages:
            if usage not in USAGES:
                errors.append(LineError(line, f"unknown usage {usage!r} in DataObjectVersion", identifier))
    return errors


def _parse(fields: dict[str, type], data: bytes) -> tuple[list[Document], list[LineError]]:
    table = read_json_array(data)
    errors = list(table.errors)
    documents = []
    seen: dict[str, int] = {}
    for record in table.records:
        faults = _check_fields(record.values, fields, record.line)
        identifier = record.values.get("Identifier")
        if isinstance(identifier, str) and identifier in seen:
            faults.append(
                LineError(record.line, f"Identifier {identifier!r} already given at line {seen[identifier]}")
            )
        elif isinstance(identifier, str):
            seen[identifier] = record.line
        errors.extend(faults)
        if not faults:
            documents.append({"Status": ACTIVE, **record.values})
    return documents, errors


COMMON_FIELDS: dict[str, type] = _COMMON
"""Fields every JSON notice of the reference system shares (contracts, profiles, document types)."""


def parse_json_notices(fields: dict[str, type], data: bytes) -> tuple[list[Document], list[LineError]]:
    """Entries of a JSON referential whose fields have sound types, names, status and dates;
    profiles and archive-unit profiles add their own checks to these."""
    return _parse(fields, data)


def parse_ingest_contracts(data: bytes) -> tuple[list[Document], list[LineError]]:
    return _parse(INGEST_FIELDS, data)


def parse_access_contracts(data: bytes) -> tuple[list[Document], list[LineError]]:
    return _parse(ACCESS_FIELDS, data)


def export_contracts(documents: list[Document]) -> bytes:
    return write_json_array(documents)


def check_ingest_contracts(
    documents: list[Document], lines: list[int], context: CheckContext
) -> list[LineError]:
    """Profiles, formats and the link parent a contract names must exist."""
    named = any(document.get("ArchiveProfiles") for document in documents)
    profiles = context.entries("profiles") if named else {}
    restricted = any(document.get("FormatType") for document in documents)
    formats = context.entries("formats") if restricted else {}  # thousands: read only when needed
    errors = []
    for document, line in zip(documents, lines, strict=True):
        identifier = document["Identifier"]
        for profile in document.get("ArchiveProfiles") or []:
            if profile not in profiles:
                errors.append(LineError(line, f"unknown archive profile {profile!r}", identifier))
        for puid in document.get("FormatType") or []:
            if not _PUID.match(puid) or (formats and puid not in formats):
                errors.append(LineError(line, f"unknown format {puid!r} in FormatType", identifier))
        parent = document.get("LinkParentId")
        if parent and not context.unit_exists(parent):
            errors.append(LineError(line, f"LinkParentId {parent} is not a unit of this tenant", identifier))
    return errors


def check_access_contracts(
    documents: list[Document], lines: list[int], context: CheckContext
) -> list[LineError]:
    """Root units must be units of the tenant; originating agencies must be known agencies."""
    agencies = context.entries("agencies")
    errors = []
    for document, line in zip(documents, lines, strict=True):
        identifier = document["Identifier"]
        for agency in document.get("OriginatingAgencies") or []:
            if agency not in agencies:
                errors.append(LineError(line, f"unknown originating agency {agency!r}", identifier))
        for name in ("RootUnits", "ExcludedRootUnits"):
            for unit in document.get(name) or []:
                if not context.unit_exists(unit):
                    errors.append(LineError(line, f"{name}: {unit} is not a unit of this tenant", identifier))
    return errors


@dataclass(frozen=True)
class IngestContract:
    """What ingest enforces of a contract."""

    identifier: str
    name: str
    active: bool
    archive_profiles: tuple[str, ...] = ()
    link_parent: str | None = None
    master_mandatory: bool = False
    usages: tuple[str, ...] | None = None
    """Allowed usages; None: every usage (`EveryDataObjectVersion`)."""
    formats: tuple[str, ...] | None = None
    """Allowed PUIDs; None: every format (`EveryFormatType`)."""
    unidentified_formats: bool = False
    """Whether a binary whose format nobody identifies is accepted (`FormatUnidentifiedAuthorized`)."""

    @classmethod
    def from_document(cls, document: Document) -> IngestContract:
        every_usage = document.get("EveryDataObjectVersion", True)
        every_format = document.get("EveryFormatType", True)
        return cls(
            identifier=document["Identifier"],
            name=document.get("Name", ""),
            active=document.get("Status", ACTIVE) == ACTIVE,
            archive_profiles=tuple(document.get("ArchiveProfiles") or ()),
            link_parent=document.get("LinkParentId") or None,
            master_mandatory=bool(document.get("MasterMandatory", False)),
            usages=None if every_usage else tuple(document.get("DataObjectVersion") or ()),
            formats=None if every_format else tuple(document.get("FormatType") or ()),
            unidentified_formats=bool(document.get("FormatUnidentifiedAuthorized", True)),
        )


@dataclass(frozen=True)
class AccessContract:
    """What access enforces of a contract (the access issue applies it)."""

    identifier: str
    name: str
    active: bool
    originating_agencies: tuple[str, ...] | None = None
    """None: every agency (`EveryOriginatingAgency`)."""
    usages: tuple[str, ...] | None = None
    root_units: tuple[str, ...] = ()
    excluded_root_units: tuple[str, ...] = ()
    writing: bool = False
    extra: Document = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Document) -> AccessContract:
        return cls(
            identifier=document["Identifier"],
            name=document.get("Name", ""),
            active=document.get("Status", ACTIVE) == ACTIVE,
            originating_agencies=None
            if document.get("EveryOriginatingAgency", False)
            else tuple(document.get("OriginatingAgencies") or ()),
            usages=None
            if document.get("EveryDataObjectVersion", False)
            else tuple(document.get("DataObjectVersion") or ()),
            root_units=tuple(document.get("RootUnits") or ()),
            excluded_root_units=tuple(document.get("ExcludedRootUnits") or ()),
            writing=bool(document.get("WritingPermission", False)),
            extra=document,
        )


def stamp_status_dates(before: Document | None, after: Document, today: date) -> Document:
    """A contract switched on or off records the day (`ActivationDate` / `DeactivationDate`):
    who may deposit or read, and since when, must be answerable years later. A new contract
    keeps the dates its file gives, and so does a change that gives the date itself."""
    status = after.get("Status", ACTIVE)
    field_name = "ActivationDate" if status == ACTIVE else "DeactivationDate"
    if before is None or before.get("Status", ACTIVE) == status:
        return after
    if after.get(field_name) and after.get(field_name) != before.get(field_name):
        return after
    return {**after, field_name: today.strftime("%d/%m/%Y")}
