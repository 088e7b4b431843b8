"""The metadata fields SEDA declares, with the type of their values, read from the bundled XSDs.

The INTERNAL ontology ships with Archipel but is not copied from the reference system's
file: it is derived from the official SEDA schemas every instance already carries
(`archipel/seda/xsd/2.x`). Each element declaration of the descriptive (ontology,
descriptive, management) and technical schemas whose content is a value — a simple type,
or simple content such as `TextType` — becomes a field; containers (`Writer`, `Event`)
are not fields, their children are.

XSD types map to ontology types as the reference system's own ontology types them:
dates and date-times (and the partial `gYear`... forms) are DATE, integers LONG, decimals
and floating numbers DOUBLE, `xsd:boolean` BOOLEAN, `xsd:string` TEXT, tokens and
identifiers KEYWORD, and an enumeration (a SEDA code list) ENUM with its values. The
message schema (`main`: transfer header, replies) describes messages, not archived
metadata, and is left out.

SEDA declares some names more than once (in several places, in several versions). A name
keeps one type, the one every declaration accepts: two numbers make a DOUBLE, any other
disagreement a KEYWORD (TEXT if one of them is TEXT), and ENUM values are the union of the
code lists. An ingest check thus never refuses a value one of the declarations allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archipel.seda.schema import SUPPORTED_VERSIONS, XSD_ROOT
from archipel.seda.xml import parse_untrusted

XSD = "http://www.w3.org/2001/XMLSchema"
UNIT, OBJECT_GROUP = "Unit", "ObjectGroup"
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "ontology": (UNIT,),
    "descriptive": (UNIT,),
    "management": (UNIT,),
    "technical": (OBJECT_GROUP,),
    "types": (UNIT, OBJECT_GROUP),
}
"""Which records the elements of each SEDA schema describe (the `Collections` of the ontology)."""
MESSAGE_SCHEMA = "main"

_BUILTIN: dict[str, str] = {
    **dict.fromkeys(("date", "dateTime", "gYear", "gYearMonth", "gMonth", "gMonthDay", "gDay"), "DATE"),
    **dict.fromkeys(
        (
            "integer",
            "int",
            "long",
            "short",
            "byte",
            "nonNegativeInteger",
            "positiveInteger",
            "nonPositiveInteger",
            "negativeInteger",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
        ),
        "LONG",
    ),
    **dict.fromkeys(("decimal", "double", "float"), "DOUBLE"),
    "boolean": "BOOLEAN",
    **dict.fromkeys(("string", "normalizedString"), "TEXT"),
}
"""XSD built-in types that are not KEYWORD (token, ID, anyURI, language... are)."""
_CONTAINER_TYPES = frozenset({"anyType"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ValueType:
    type: str
    """An ontology type: TEXT, KEYWORD, DATE, LONG, DOUBLE, BOOLEAN or ENUM."""
    values: tuple[str, ...] = ()
    """The allowed values of an ENUM."""


@dataclass
class SedaField:
    name: str
    value_type: ValueType
    collections: set[str] = field(default_factory=set)
    documentation: str = ""
    versions: list[str] = field(default_factory=list)


def seda_fields(versions: tuple[str, ...] = SUPPORTED_VERSIONS) -> list[SedaField]:
    """Every field of the given SEDA versions, by name, in name order."""
    fields: dict[str, SedaField] = {}
    for version in versions:
        for name, value_type, collections, documentation in _declarations(XSD_ROOT / version, version):
            known = fields.get(name)
            if known is None:
                fields[name] = SedaField(name, value_type, set(collections), documentation, [version])
                continue
            known.value_type = combine(known.value_type, value_type)
            known.collections.update(collections)
            known.documentation = documentation or known.documentation
            if version not in known.versions:
                known.versions.append(version)
    return [fields[name] for name in sorted(fields)]


def combine(first: ValueType, second: ValueType) -> ValueType:
    """The type both declarations accept (see the module docstring)."""
    if first == second:
        return first
    kinds = {first.type, second.type}
    if kinds == {"ENUM"}:
        return ValueType("ENUM", tuple(dict.fromkeys((*first.values, *second.values))))
    if len(kinds) == 1:
        return first
    if kinds == {"LONG", "DOUBLE"}:
        return ValueType("DOUBLE")
    return ValueType("TEXT" if "TEXT" in kinds else "KEYWORD")


def _declarations(folder: Path, version: str) -> list[tuple[str, ValueType, tuple[str, ...], str]]:
    """(name, value type, collections, documentation) of each value element of one version."""
    schemas = {
        path.stem.removeprefix(f"seda-{version}-"): parse_untrusted(path).getroot()
        for path in sorted(folder.glob(f"seda-{version}-*.xsd"))
    }
    types = _TypeIndex(list(schemas.values()))
    found = []
    for part, root in schemas.items():
        if part == MESSAGE_SCHEMA or part not in COLLECTIONS:
            continue
        for element in root.iter(f"{{{XSD}}}element"):
            name = element.get("name")
            if name is None or element.get("abstract") == "true":
                continue
            value_type = types.of_element(element)
            if value_type is not None:
                found.append((name, value_type, COLLECTIONS[part], _documentation(element)))
    return found


class _TypeIndex:
    """Named simple and complex types of one SEDA version, resolved to ontology types."""

    def __init__(self, roots: list[etree._Element]) -> None:
        self.named: dict[str, etree._Element] = {}
        for root in roots:
            for definition in root:
                if definition.tag in (f"{{{XSD}}}simpleType", f"{{{XSD}}}complexType") and definition.get(
                    "name"
                ):
                    self.named[definition.get("name") or ""] = definition
        self.resolved: dict[str, ValueType | None] = {}

    def of_element(self, element: etree._Element) -> ValueType | None:
        reference = element.get("type")
        if reference is not None:
            return self.of_reference(reference, element)
        for child in element:
            if child.tag in (f"{{{XSD}}}simpleType", f"{{{XSD}}}complexType"):
                return self.of_definition(child)
        return None

    def of_reference(self, reference: str, context: etree._Element) -> ValueType | None:
        prefix, _, local = reference.rpartition(":")
        if context.nsmap.get(prefix or None) == XSD:
            return None if local in _CONTAINER_TYPES else ValueType(_BUILTIN.get(local, "KEYWORD"))
        if local not in self.resolved:
            self.resolved[local] = None  # a type defined through itself is no value
            definition = self.named.get(local)
            self.resolved[local] = self.of_definition(definition) if definition is not None else None
        return self.resolved[local]

    def of_definition(self, definition: etree._Element) -> ValueType | None:
        """A simpleType, or a complexType with simple content; None for element content."""
        if definition.tag == f"{{{XSD}}}complexType":
            content = definition.find(f"{{{XSD}}}simpleContent")
            if content is None:
                return None
            derivation = next((child for child in content if isinstance(child.tag, str)), None)
            return self._derived(derivation) if derivation is not None else None
        for child in definition:
            if child.tag == f"{{{XSD}}}restriction":
                return self._derived(child)
            if child.tag == f"{{{XSD}}}union":
                return self._union(child)
            if child.tag == f"{{{XSD}}}list":
                return ValueType("KEYWORD")
        return None

    def _derived(self, derivation: etree._Element) -> ValueType | None:
        """A restriction or extension: its code list if it has one, else its base type."""
        values = tuple(item.get("value") or "" for item in derivation.findall(f"{{{XSD}}}enumeration"))
        if values:
            return ValueType("ENUM", values)
        base = derivation.get("base")
        if base is not None:
            return self.of_reference(base, derivation)
        inline = derivation.find(f"{{{XSD}}}simpleType")
        return self.of_definition(inline) if inline is not None else None

    def _union(self, union: etree._Element) -> ValueType | None:
        members = [self.of_reference(name, union) for name in (union.get("memberTypes") or "").split()]
        members += [self.of_definition(inline) for inline in union.findall(f"{{{XSD}}}simpleType")]
        result = None
        for member in members:
            if member is None:
                return None
            result = member if result is None else combine(result, member)
        return result


def _documentation(element: etree._Element) -> str:
    """The first documentation of a declaration, on one line."""
    text = element.findtext(f"{{{XSD}}}annotation/{{{XSD}}}documentation") or ""
    return _SPACES.sub(" ", text).strip()
