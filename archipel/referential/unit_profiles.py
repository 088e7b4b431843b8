"""Archive-unit profiles (profils d'unité archivistique, "document types").

A document type says what the description of one kind of unit must hold (an invoice has
an amount and a supplier, an e-mail a writer and addressees), as a JSON Schema kept *as a
string* in `ControlSchema`, the reference system's JSON notice otherwise (`Identifier`,
`Name`, `Status`, dates, optional `Fields`). An import adds and updates notices.

The import checks what the reference system's does: `Name` is mandatory (the fixture
`aup_ko_champs_requis_vides.json` lacks it and is refused), and a `ControlSchema`, when
written, is a JSON object that is a valid JSON Schema (`INVALID_JSON_SCHEMA`). Vitam
writes `"$schema": "http://vitam-json-schema.org/draft-04/schema#"`, a URI of its own: a
`$schema` no validator knows is read as draft 4. Nothing is ever fetched: a `$ref` must
point inside the schema itself (`#/...`), which the import checks, and validators resolve
references against the JSON Schema meta-schemas only. A notice without a schema is
accepted, as in the reference system, and refused at ingest (`EMPTY_CONTROL_SCHEMA`).

Validators are built once per SHA-512 of the schema text: a transfer of ten thousand
e-mails uses one document type ten thousand times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft4Validator, validators
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from referencing import Registry

from archipel.core.digests import sha512_bytes
from archipel.referential.contracts import COMMON_FIELDS, parse_json_notices
from archipel.referential.jsonfile import read_json_array, write_json_array
from archipel.referential.report import LineError

Document = dict[str, Any]

SCHEMA_FIELD = "ControlSchema"
UNIT_PROFILE_FIELDS: dict[str, type] = {**COMMON_FIELDS, SCHEMA_FIELD: str, "Fields": list}
VALIDATOR_CACHE_SIZE = 256
_OFFLINE: Registry = Registry()
"""Resolves nothing but the meta-schemas jsonschema adds to it: jsonschema's default registry
fetches a remote `$ref` over HTTP (deprecated, but still done), which must never happen."""


class ControlSchemaError(ValueError):
    """A `ControlSchema` that is not a usable JSON Schema."""


def parse_unit_profiles(data: bytes) -> tuple[list[Document], list[LineError]]:
    """Every notice of an archive-unit profiles file, and every fault of it."""
    documents, errors = parse_json_notices(UNIT_PROFILE_FIELDS, data)
    if errors:
        return documents, errors
    lines = [record.line for record in read_json_array(data).records]
    for document, line in zip(documents, lines, strict=True):
        text = document.get(SCHEMA_FIELD)
        if not text:
            continue
        try:
            control_validator(text)
        except ControlSchemaError as error:
            errors.append(LineError(line, f"{SCHEMA_FIELD}: {error}", document["Identifier"]))
    return documents, errors


def export_unit_profiles(documents: list[Document]) -> bytes:
    return write_json_array(documents)


def is_empty_schema(document: Document) -> bool:
    """No schema, or `{}`: the reference system refuses to judge units with it."""
    text = document.get(SCHEMA_FIELD)
    if not text or not text.strip():
        return True
    try:
        return json.loads(text) == {}
    except json.JSONDecodeError:
        return False


def control_validator(text: str) -> Validator:
    """The validator of a `ControlSchema`, built once per SHA-512; raises `ControlSchemaError`."""
    return _validator(_Schema(sha512_bytes(text.encode("utf-8")), text))


def validation_errors(validator: Validator, instance: Any) -> list[str]:
    """Every way `instance` breaks the schema, as `$.path: message`, sorted by path."""
    errors = sorted(validator.iter_errors(instance), key=lambda error: [str(part) for part in error.path])
    return [f"{error.json_path}: {_shortened(error.message)}" for error in errors]


@dataclass(frozen=True)
class _Schema:
    sha512: str
    text: str = field(compare=False, hash=False)


@lru_cache(maxsize=VALIDATOR_CACHE_SIZE)
def _validator(schema: _Schema) -> Validator:
    try:
        parsed = json.loads(schema.text)
    except json.JSONDecodeError as error:
        raise ControlSchemaError(
            f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(parsed, dict):
        raise ControlSchemaError(f"a JSON Schema is an object, not {type(parsed).__name__}")
    cls = validators.validator_for(parsed, default=Draft4Validator)
    try:
        cls.check_schema(parsed)
    except SchemaError as error:
        where = error.json_path if error.path else "the schema"
        raise ControlSchemaError(f"not a valid JSON Schema: {where}: {_shortened(error.message)}") from None
    outside, dangling = _faulty_references(parsed, parsed)
    if outside:
        shown = ", ".join(repr(reference) for reference in sorted(set(outside))[:5])
        raise ControlSchemaError(f"refers outside itself ({shown}): a schema must be self-contained")
    if dangling:
        shown = ", ".join(repr(reference) for reference in sorted(set(dangling))[:5])
        raise ControlSchemaError(f"refers to nothing ({shown})")
    return cls(parsed, registry=_OFFLINE)


def resolve_reference(reference: str, root: Any) -> Any:
    """What a local `$ref` (`#` or `#/json/pointer`, read from the root) points to; None if nothing."""
    if not reference.startswith("#"):
        return None
    node = root
    for part in filter(None, reference[1:].split("/")):
        key = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _faulty_references(node: Any, root: Any) -> tuple[list[str], list[str]]:
    """`$ref` values pointing outside the schema, and local ones pointing to nothing."""
    outside: list[str] = []
    dangling: list[str] = []
    children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
    reference = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(reference, str):
        if not (reference == "#" or reference.startswith("#/")):
            outside.append(reference)
        elif resolve_reference(reference, root) is None:
            dangling.append(reference)
    for child in children:
        more_outside, more_dangling = _faulty_references(child, root)
        outside += more_outside
        dangling += more_dangling
    return outside, dangling


def _shortened(message: str, limit: int = 300) -> str:
    """jsonschema quotes whole values; a 10 kB description makes an unreadable message."""
    return message if len(message) <= limit else message[: limit - 1] + "…"
