"""The format referential (référentiel des formats): PRONOM formats, shared by every tenant.

PRONOM (The National Archives, UK) names each file format by a PUID (`fmt/18`: PDF 1.4).
The referential says which PUIDs the archive knows, their names, MIME types, extensions
and which format "has priority over" another (PDF/A over PDF 1.4), so an ingest can tell
a format the identifier found from one nobody has heard of.

It is read from a DROID signature file, as the reference system loads it, or from our own
JSON export of it (a file exported is a file that can be imported again). In a DROID file
formats refer to each other by internal ids (`ID="617"`); entries keep PUIDs instead,
which are what manifests and the identifier speak.

The default referential is the one the format identifier uses (opf-fido's copy of PRONOM,
see `archipel.preservation.formats`), so every PUID the identifier can answer is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fido.versions import get_local_versions
from lxml import etree

from archipel.preservation.formats import load_pronom_formats
from archipel.referential.jsonfile import read_json_array, type_faults, write_json_array
from archipel.referential.report import LineError
from archipel.seda.xml import parse_untrusted

if TYPE_CHECKING:
    from archipel.referential.kinds import CheckContext

Document = dict[str, Any]

DROID_ROOT = "FFSignatureFile"
FIELDS: dict[str, type] = {
    "PUID": str,
    "Name": str,
    "Version": str,
    "MIMETypes": list,
    "Extensions": list,
    "HasPriorityOverFileFormatID": list,
}
"""An entry, always with every field (empty string or list when PRONOM says nothing)."""
_PUID = re.compile(r"^(x-)?fmt/[0-9]+$")


def format_document(
    puid: str,
    name: str,
    version: str,
    mime_types: Iterable[str],
    extensions: Iterable[str],
    outranks: Iterable[str],
) -> Document:
    return {
        "PUID": puid,
        "Name": name,
        "Version": version,
        "MIMETypes": [mime for mime in (text.strip() for text in mime_types) if mime],
        "Extensions": [extension for extension in (text.strip() for text in extensions) if extension],
        "HasPriorityOverFileFormatID": list(outranks),
    }


def parse_formats(data: bytes) -> tuple[list[Document], list[LineError]]:
    """A DROID signature file or a JSON array of entries, told apart by their first character."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        documents, errors = _read_droid(data)
    elif start in (b"[", b"{"):
        documents, errors = _read_json(data)
    else:
        return [], [LineError(0, "neither a DROID signature file (XML) nor a JSON array of formats")]
    return documents, errors


def format_lines(data: bytes) -> list[int]:
    """The line each format starts at, in file order, in either layout."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return [element.sourceline or 0 for element in _file_formats(parse_untrusted(data).getroot())]
    return [record.line for record in read_json_array(data).records]


def export_formats(documents: list[Document]) -> bytes:
    return write_json_array(documents)


def formats_of_identifier() -> list[Document]:
    """Every PRONOM format the format identifier knows, as referential entries.

    Read from the very signatures the identifier loads (Fido's PRONOM file with Fido's
    corrections, Fido's own `fido-fmt` formats left out), so the default referential
    holds exactly the PUIDs an identification can give.
    """
    fido = load_pronom_formats(get_local_versions())
    return [
        format_document(
            fido.get_puid(element),
            element.findtext("name") or "",
            element.findtext("version") or "",
            (mime.text or "" for mime in element.findall("mime")),
            (extension.text or "" for extension in element.findall("extension")),
            sorted(fido.puid_has_priority_over_map[fido.get_puid(element)]),
        )
        for element in fido.formats
    ]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _file_formats(root: etree._Element) -> list[etree._Element]:
    return [
        element for element in root.iter() if isinstance(element.tag, str) and _local(element) == "FileFormat"
    ]


def _read_droid(data: bytes) -> tuple[list[Document], list[LineError]]:
    """The `FileFormat`s of a DROID signature file, priorities turned from internal ids to PUIDs."""
    try:
        root = parse_untrusted(data).getroot()
    except etree.XMLSyntaxError as error:
        return [], [LineError(error.lineno or 0, f"not XML: {error.msg}")]
    if _local(root) != DROID_ROOT:
        return [], [
            LineError(root.sourceline or 1, f"not a DROID signature file (root element {_local(root)})")
        ]
    elements = _file_formats(root)
    puid_of_id = {element.get("ID"): element.get("PUID") for element in elements if element.get("ID")}
    documents, errors = [], []
    seen: dict[str, int] = {}
    for element in elements:
        line = element.sourceline or 0
        puid = (element.get("PUID") or "").strip()
        faults = _identity_faults(puid, element.get("Name"), line, seen)
        outranks = []
        for reference in element:
            if not isinstance(reference.tag, str) or _local(reference) != "HasPriorityOverFileFormatID":
                continue
            target = puid_of_id.get((reference.text or "").strip())
            if target is None:
                faults.append(
                    LineError(
                        reference.sourceline or line,
                        f"HasPriorityOverFileFormatID {reference.text!r} names no FileFormat ID",
                        puid or None,
                    )
                )
            else:
                outranks.append(target)
        errors.extend(faults)
        if not faults:
            documents.append(
                format_document(
                    puid,
                    element.get("Name") or "",
                    element.get("Version") or "",
                    (element.get("MIMEType") or "").split(","),
                    (
                        child.text or ""
                        for child in element
                        if isinstance(child.tag, str) and _local(child) == "Extension"
                    ),
                    outranks,
                )
            )
    if not elements:
        errors.append(LineError(root.sourceline or 1, "the signature file holds no FileFormat"))
    return documents, errors


def _read_json(data: bytes) -> tuple[list[Document], list[LineError]]:
    """Our export: entries with the fields of `FIELDS`, lists of strings where lists are due."""
    table = read_json_array(data)
    documents, errors = [], list(table.errors)
    seen: dict[str, int] = {}
    for record in table.records:
        values = record.values
        puid = values.get("PUID").strip() if isinstance(values.get("PUID"), str) else ""
        faults = _identity_faults(puid, values.get("Name"), record.line, seen)
        faults += type_faults(values, FIELDS, record.line, puid or None)
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            faults.append(LineError(record.line, f"unknown field(s) {', '.join(unknown)}", puid or None))
        errors.extend(faults)
        if not faults:
            documents.append(
                format_document(
                    puid,
                    values.get("Name", ""),
                    values.get("Version", ""),
                    values.get("MIMETypes", []),
                    values.get("Extensions", []),
                    values.get("HasPriorityOverFileFormatID", []),
                )
            )
    return documents, errors


def _identity_faults(puid: str, name: object, line: int, seen: dict[str, int]) -> list[LineError]:
    """A PUID that is present, well formed and not given before; a name."""
    if not puid:
        return [LineError(line, "missing PUID")]
    faults = []
    if not _PUID.match(puid):
        faults.append(LineError(line, f"PUID {puid!r} is not a PRONOM identifier (fmt/N or x-fmt/N)", puid))
    if puid in seen:
        faults.append(LineError(line, f"PUID {puid!r} already given at line {seen[puid]}", puid))
    else:
        seen[puid] = line
    if not isinstance(name, str) or not name.strip():
        faults.append(LineError(line, "missing Name", puid))
    return faults


def check_formats(documents: list[Document], lines: list[int], context: CheckContext) -> list[LineError]:
    """A priority over a PUID neither the file nor the referential holds.

    Done here rather than in the parser so that one entry can be changed alone (`put`):
    its priorities name formats already in the referential. (A whole file that drops a
    format another of its formats has priority over therefore passes: the priority then
    names a format nobody will identify, which is harmless.)
    """
    known = {document["PUID"] for document in documents} | set(context.entries("formats"))
    return [
        LineError(
            line, f"{document['PUID']} has priority over {target}, which is no known format", document["PUID"]
        )
        for document, line in zip(documents, lines, strict=True)
        for target in document["HasPriorityOverFileFormatID"]
        if target not in known
    ]
