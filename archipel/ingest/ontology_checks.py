"""Each unit's metadata values against the type the ontology gives their field (`CHECK_UNIT_SCHEMA`).

The reference system indexes a unit's description by the ontology: a field typed DATE
must hold a date, a LONG an integer. It refuses at ingest a unit whose values do not fit
(`CHECK_UNIT_SCHEMA.INVALID_UNIT`) rather than archive a description search cannot read.
This matters most for a tenant's own EXTERNAL fields — extension elements the official
XSD lets through untyped — and for manifests the relaxed validation accepts.

Fields are matched by element name (`SedaField`, else `Identifier`) at any depth of the
unit's `Content`, language variants (`Title_`) included. Only fields of the `Unit`
collection (or of no stated collection) count. A name the visible ontology types in two
ways is not checked: a value one definition allows is never refused. TEXT, KEYWORD and
GEO_POINT accept anything, and an ENUM without known values is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Finding, ko
from archipel.ingest.unit_checks import STEP, parse_point_in_time
from archipel.referential.ontology import BOOLEAN, DATE, DOUBLE, ENUM, ENUMERATION, LONG
from archipel.referential.seda_fields import UNIT
from archipel.seda.model import ArchiveUnit

CODE = "INVALID_UNIT"

_YEAR_OR_MONTH = re.compile(r"^-?\d{4,}(?:-(0[1-9]|1[0-2]))?(?:Z|[+-]\d{2}:\d{2})?$")
_LONG = re.compile(r"^[+-]?\d+$")
_DOUBLE = re.compile(r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN)$")
_BOOLEAN = frozenset({"true", "false", "1", "0"})

Document = dict[str, Any]
FieldType = tuple[str, tuple[str, ...]]
"""(ontology type, ENUM values)."""


def is_date(text: str) -> bool:
    """`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, each with or without a zone (`2016-09-26Z`), or an
    ISO 8601 date-time with seconds: the `xsd:gYear`, `gYearMonth`, `date` and `dateTime`
    forms SEDA's `DateType` allows (a month or a day without its year places nothing in time)."""
    return bool(_YEAR_OR_MONTH.match(text)) or parse_point_in_time(text) is not None


def is_long(text: str) -> bool:
    return bool(_LONG.match(text))


def is_double(text: str) -> bool:
    return bool(_DOUBLE.match(text))


def is_boolean(text: str) -> bool:
    return text in _BOOLEAN


CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    DATE: (is_date, "YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 date-time"),
    LONG: (is_long, "an integer"),
    DOUBLE: (is_double, "a decimal number"),
    BOOLEAN: (is_boolean, "true or false"),
}
"""Types whose values can be wrong, with what they expect (ENUM is checked against its values)."""


def check_ontology(ctx: IngestContext) -> list[Finding]:
    """Every value of every unit that its field's type refuses; nothing without referentials."""
    if ctx.referentials is None or ctx.manifest is None:
        return []
    fields = typed_fields(ctx.referentials.of("ontology").values())
    if not fields:
        return []
    return [finding for unit in ctx.manifest.units.values() for finding in unit_findings(unit, fields)]


def typed_fields(documents: Iterable[Document]) -> dict[str, FieldType]:
    """The checkable fields a unit's `Content` may hold, by element name (see the module docstring)."""
    types: dict[str, set[FieldType]] = {}
    for document in documents:
        collections = document.get("Collections")
        if collections and UNIT not in collections:
            continue
        name = str(document.get("SedaField") or document.get("Identifier"))
        values = tuple(document.get(ENUMERATION) or ())
        types.setdefault(name, set()).add((str(document.get("Type")), values))
    fields = {}
    for name, definitions in types.items():
        if len(definitions) != 1:
            continue  # typed two ways: a value one definition allows is never refused
        kind, values = definition = definitions.pop()
        if kind in CHECKS or (kind == ENUM and values):
            fields[name] = definition
    return fields


def unit_findings(unit: ArchiveUnit, fields: dict[str, FieldType]) -> list[Finding]:
    messages = []
    for name, value in field_values(unit.content):
        field_type = fields.get(name)
        if field_type is None:
            continue
        text = _text(value)
        expected = _refusal(text, field_type)
        if expected is not None:
            kind = field_type[0]
            messages.append(
                f"unit {unit.manifest_id}: {name} {text!r} is not of type {kind} (expected {expected})"
            )
    return [ko(STEP, message, CODE, unit.manifest_id) for message in dict.fromkeys(messages)]


def field_values(content: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(element name, value) of every value in a `Content` JSON (`archipel.seda.content`), at any depth.

    Attributes (`@name`) are not fields; an element's own text is its `#text`; `Name_`
    holds the `xml:lang` variants of `Name`.
    """
    for key, value in content.items():
        if key.startswith("@") or key == "#text":
            continue
        if key.endswith("_") and isinstance(value, dict):
            for variant in value.values():
                yield from _named_values(key[:-1], variant)
        else:
            yield from _named_values(key, value)


def _named_values(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _named_values(name, item)
    elif isinstance(value, dict):
        if "#text" in value:
            yield name, value["#text"]
        yield from field_values(value)
    elif value is not None:
        yield name, value


def _text(value: Any) -> str:
    """XML text without the whitespace around it (typed XSD values collapse it); JSON
    scalars as XML writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _refusal(text: str, field_type: FieldType) -> str | None:
    """What the type expected, if `text` is not of it; None if it is."""
    kind, values = field_type
    if kind == ENUM:
        return None if " ".join(text.split()) in values else f"one of {', '.join(values)}"
    accepts, expected = CHECKS[kind]
    return None if accepts(text) else expected
