"""The ontology (ontologie): every metadata field the archive knows, with its type.

The reference system keeps one flat list of fields (`StartDate` is a DATE, `Title` a
TEXT), which lets an ingest refuse a unit whose `StartDate` says "yesterday" and lets
search treat dates as dates. Two origins share it:

* INTERNAL fields, the SEDA vocabulary, belong to tenant 0 and every tenant sees them;
* EXTERNAL fields are a tenant's own extensions (`<NumeroDossier>` in its manifests),
  imported by that tenant beside the shared ones.

The file is the reference system's JSON array (`Identifier`, `Type`, `Origin`,
`SedaField`, `Collections`, `ShortName`, `Description`...). A field's type may change
only where values already stored stay valid (the reference system's rule: any type may
become KEYWORD or TEXT, a LONG a DOUBLE); a tenant may not retype an INTERNAL field.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from archipel.referential.jsonfile import read_json_array, type_faults, write_json_array
from archipel.referential.report import LineError
from archipel.referential.seda_fields import seda_fields

if TYPE_CHECKING:
    from archipel.referential.kinds import CheckContext

Document = dict[str, Any]

TEXT, KEYWORD, DATE, LONG, DOUBLE, BOOLEAN, ENUM, GEO_POINT = (
    "TEXT",
    "KEYWORD",
    "DATE",
    "LONG",
    "DOUBLE",
    "BOOLEAN",
    "ENUM",
    "GEO_POINT",
)
TYPES = (TEXT, KEYWORD, DATE, LONG, DOUBLE, BOOLEAN, ENUM, GEO_POINT)
INTERNAL, EXTERNAL = "INTERNAL", "EXTERNAL"

FIELDS: dict[str, type] = {
    "Identifier": str,
    "Type": str,
    "Origin": str,
    "SedaField": str,
    "ApiField": str,
    "Description": str,
    "ShortName": str,
    "TypeDetail": str,
    "StringSize": str,
    "Collections": list,
    "Enumeration": list,
}
"""Known fields and their JSON types; others are kept as written (an export gives them back)."""
ENUMERATION = "Enumeration"
"""The values an ENUM field allows, when known (Archipel's addition: the SEDA code lists)."""
RETYPINGS: dict[str, frozenset[str]] = {
    kind: frozenset({kind, KEYWORD, TEXT, *((DOUBLE,) if kind == LONG else ())}) for kind in TYPES
}
"""The types a field of a given type may become once units may hold it (reference system rule)."""


def parse_ontology(data: bytes) -> tuple[list[Document], list[LineError]]:
    """The fields of an ontology file, and every fault of it."""
    table = read_json_array(data)
    documents, errors = [], list(table.errors)
    seen: dict[str, int] = {}
    for record in table.records:
        faults = _field_faults(record.values, record.line)
        identifier = record.values.get("Identifier")
        if isinstance(identifier, str) and identifier in seen:
            faults.append(
                LineError(
                    record.line,
                    f"Identifier {identifier!r} already given at line {seen[identifier]}",
                    identifier,
                )
            )
        elif isinstance(identifier, str):
            seen[identifier] = record.line
        errors.extend(faults)
        if not faults:
            documents.append(record.values)
    return documents, errors


def export_ontology(documents: list[Document]) -> bytes:
    return write_json_array(documents)


def check_ontology_import(
    documents: list[Document], lines: list[int], context: CheckContext
) -> list[LineError]:
    """Faults only the fields already defined reveal: who may define what, and retyping.

    A tenant other than 0 holds only EXTERNAL fields and may not give an INTERNAL field
    another type; nobody retypes a field in a way that would make stored values invalid.
    """
    from archipel.referential.kinds import SHARED_TENANT  # the registry imports this module

    current = context.entries("ontology")
    errors = []
    for document, line in zip(documents, lines, strict=True):
        identifier, kind = document["Identifier"], document["Type"]
        if context.tenant != SHARED_TENANT and document["Origin"] != EXTERNAL:
            errors.append(
                LineError(
                    line,
                    f"{identifier}: a tenant defines EXTERNAL fields only "
                    f"(INTERNAL fields belong to tenant {SHARED_TENANT})",
                    identifier,
                )
            )
        before = current.get(identifier)
        if before is None or before.get("Type") == kind:
            continue
        if context.tenant != SHARED_TENANT and before.get("Origin") == INTERNAL:
            errors.append(
                LineError(
                    line,
                    f"{identifier} is an INTERNAL field of type {before.get('Type')}: "
                    f"it cannot become {kind}",
                    identifier,
                )
            )
        elif kind not in RETYPINGS.get(str(before.get("Type")), frozenset(TYPES)):
            errors.append(
                LineError(
                    line,
                    f"{identifier} is of type {before.get('Type')}: it may become "
                    f"{', '.join(sorted(RETYPINGS[before['Type']] - {before['Type']}))}, not {kind}",
                    identifier,
                )
            )
    return errors


def _field_faults(document: Document, line: int) -> list[LineError]:
    identifier = document.get("Identifier") if isinstance(document.get("Identifier"), str) else None
    faults = []
    if not identifier or not identifier.strip():
        faults.append(LineError(line, "missing Identifier"))
    faults += type_faults(document, FIELDS, line, identifier)
    if document.get("Type") not in TYPES:
        faults.append(
            LineError(line, f"Type {document.get('Type')!r} is not one of {', '.join(TYPES)}", identifier)
        )
    if document.get("Origin") not in (INTERNAL, EXTERNAL):
        faults.append(
            LineError(
                line, f"Origin {document.get('Origin')!r} is neither {INTERNAL} nor {EXTERNAL}", identifier
            )
        )
    if document.get(ENUMERATION) is not None and document.get("Type") != ENUM:
        faults.append(
            LineError(line, f"{ENUMERATION} is given for a field of type {document.get('Type')}", identifier)
        )
    return faults


def ontology_from_seda() -> list[Document]:
    """The INTERNAL ontology Archipel ships: every field SEDA 2.1 to 2.3 declares (see `seda_fields`).

    Derived from the bundled XSDs on first use (a few tens of milliseconds) and kept; each
    call returns fresh documents.
    """
    return json.loads(_seda_ontology_json())


@cache
def _seda_ontology_json() -> str:
    documents = []
    for seda_field in seda_fields():
        document: Document = {
            "Identifier": seda_field.name,
            "SedaField": seda_field.name,
            "Type": seda_field.value_type.type,
            "Origin": INTERNAL,
            "ShortName": seda_field.name,
            "Description": seda_field.documentation,
            "Collections": sorted(seda_field.collections),
        }
        if seda_field.value_type.values:
            document[ENUMERATION] = list(seda_field.value_type.values)
        documents.append(document)
    return json.dumps(documents, ensure_ascii=False)
