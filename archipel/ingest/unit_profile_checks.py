"""CHECK_ARCHIVE_UNIT_PROFILE: units that name a document type conform to its JSON Schema.

A unit names its archive-unit profile with `<ArchiveUnitProfile>`; the profile must exist
(`NOT_FOUND`, fixture `KO_AU_with_wrong_archive_unit_profile`), be active
(`INACTIVE_STATUS`), carry a schema (`EMPTY_CONTROL_SCHEMA`), and the unit must satisfy it
(`NOT_AU_JSON_VALID`, fixture `KO_AU_with_incorrect_AUP_Schema`: `DescriptionLevel`
`RecordGrp` where the schema allows `Item`, `SubGrp`, `File`). Codes are those of the
reference system's `CheckArchiveUnitProfileActionPlugin`.

The JSON judged is the unit as the reference system hands it to the schema
(`UnitValidator.normalizeArchiveUnitForArchiveUnitProfileValidation`): the descriptive
metadata at top level (`Title`, `DescriptionLevel`...), `ArchiveUnitProfile` beside them,
and the management metadata under `#management` (rules as `{"Rules": [...], ...}`, the
shape `archipel.seda.content` already gives). Document types written for the reference
system (`OK_AUP_schema_mail_Seda2.2.json` requires `ArchiveUnitProfile` and `#management`)
therefore apply unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Finding, fatal, ko, ko_each
from archipel.referential.contracts import ACTIVE
from archipel.referential.unit_profiles import (
    ControlSchemaError,
    control_validator,
    is_empty_schema,
    resolve_reference,
    validation_errors,
)
from archipel.seda.model import ArchiveUnit, Manifest

STEP = "CHECK_ARCHIVE_UNIT_PROFILE"
NOT_FOUND = "NOT_FOUND"
INACTIVE = "INACTIVE_STATUS"
EMPTY_SCHEMA = "EMPTY_CONTROL_SCHEMA"
NOT_VALID = "NOT_AU_JSON_VALID"
MAX_ERRORS_PER_UNIT = 10
MAX_SCHEMA_DEPTH = 64
SINGLE_TEXT_FIELDS = ("Title", "Description")
"""SEDA lets these repeat (one per language, or several plainly); the reference system keeps
one text at `Title` (the others under `Title_`), so its document types say `"type": "string"`."""

Document = dict[str, Any]


def check_unit_profiles(ctx: IngestContext) -> list[Finding]:
    """Not run offline (`archipel sip check`): without the archive there are no profiles."""
    if ctx.referentials is None or ctx.manifest is None:
        return []
    return check_manifest_units(ctx.manifest, ctx.referentials.of("unit-profiles"))


def check_manifest_units(manifest: Manifest, profiles: Mapping[str, Document]) -> list[Finding]:
    """Every unit naming a profile, each profile's validator built once for the whole transfer."""
    validators: dict[str, Validator | ControlSchemaError] = {}
    findings = []
    for unit in manifest.units.values():
        if unit.archive_unit_profile is None:
            continue
        name = unit.archive_unit_profile
        document = profiles.get(name)
        if document is None:
            message = f"unit {unit.manifest_id}: archive-unit profile {name!r} does not exist"
            findings.append(ko(STEP, message, NOT_FOUND, unit.manifest_id))
            continue
        refusal = _unusable(unit.manifest_id, name, document)
        if refusal is not None:
            findings.append(refusal)
            continue
        if name not in validators:
            validators[name] = _validator(document)
        findings.extend(_conformity(unit, name, validators[name]))
    return findings


def unit_json_variants(unit: ArchiveUnit) -> list[Document]:
    """The unit as the reference system's schema validation sees it, once per text of the
    fields it keeps as a single string.

    Our `content` keeps every plain `Title` (a list when there are several); the reference
    system keeps one. Validating the list against a schema written for one string would
    refuse every unit with two titles, and validating only the first would let a second
    title break the document type unseen; so the unit is judged once per title (and per
    description), each time with that text at `Title`, and must pass every time: every
    title the unit carries satisfies what the document type says of a title. A unit with
    one title is judged once, exactly as the reference system judges it.
    """
    base: Document = {
        **unit.content,
        "ArchiveUnitProfile": unit.archive_unit_profile,
        "#management": unit.management,
    }
    texts = {
        name: value if isinstance(value, list) and value else [value]
        for name, value in base.items()
        if name in SINGLE_TEXT_FIELDS
    }
    count = max((len(values) for values in texts.values()), default=1)
    return [
        {**base, **{name: values[min(index, len(values) - 1)] for name, values in texts.items()}}
        for index in range(count)
    ]


def shaped_as_schema_expects(schema: Any, value: Any, root: Any = None, depth: int = 0) -> Any:
    """`value` with each single value the schema expects as an array read as a one-element list.

    The reference system holds every field SEDA lets repeat as a list, even with one
    occurrence (`Writer`, `Addressee`, `Keyword`, an agent's `Identifier`...), and document
    types written for it say `"type": "array"` there. Our `content` keeps one occurrence as
    itself (a repeated element only becomes a list), so where the schema asks for an array
    and finds a single value of a type it does not also accept, the value is what the
    reference system would hold in a list of one. Nothing else changes: a value the schema
    accepts as it is, or a field it says nothing of, is judged as written.
    Only `properties`, `additionalProperties`, `items` and local `$ref`s are followed.
    """
    root = schema if root is None else root
    node = _resolved(schema, root)
    if not isinstance(node, dict) or depth > MAX_SCHEMA_DEPTH:
        return value
    declared = node.get("type")
    expected = (
        {declared} if isinstance(declared, str) else set(declared) if isinstance(declared, list) else set()
    )
    if "array" in expected and not isinstance(value, list) and not expected & _json_types(value):
        value = [value]
    if isinstance(value, dict):
        properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
        others = node.get("additionalProperties")
        return {
            key: shaped_as_schema_expects(properties.get(key, others), item, root, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [shaped_as_schema_expects(node["items"], item, root, depth + 1) for item in value]
    return value


def _resolved(schema: Any, root: Any) -> Any:
    """A `{"$ref": "#/definitions/x"}` node as the node it points to (None if it points nowhere)."""
    hops = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < MAX_SCHEMA_DEPTH:
        schema, hops = resolve_reference(schema["$ref"], root), hops + 1
    return schema


def _json_types(value: Any) -> set[str]:
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int):
        return {"integer", "number"}
    names = {str: "string", float: "number", dict: "object", list: "array", type(None): "null"}
    return {names.get(type(value), "")}


def _unusable(unit_id: str, name: str, document: Document) -> Finding | None:
    if document.get("Status", ACTIVE) != ACTIVE:
        return ko(STEP, f"unit {unit_id}: archive-unit profile {name!r} is inactive", INACTIVE, unit_id)
    if is_empty_schema(document):
        message = (
            f"unit {unit_id}: archive-unit profile {name!r} has no control schema to check the unit with"
        )
        return ko(STEP, message, EMPTY_SCHEMA, unit_id)
    return None


def _validator(document: Document) -> Validator | ControlSchemaError:
    try:
        return control_validator(document["ControlSchema"])
    except ControlSchemaError as error:
        return error


def _conformity(unit: ArchiveUnit, name: str, validator: Validator | ControlSchemaError) -> list[Finding]:
    unit_id = unit.manifest_id
    if isinstance(validator, ControlSchemaError):
        return [
            fatal(
                STEP, f"unit {unit_id}: archive-unit profile {name!r} is unusable: {validator}", None, unit_id
            )
        ]
    errors: list[str] = []
    try:
        for variant in unit_json_variants(unit):
            instance = shaped_as_schema_expects(validator.schema, variant)
            errors.extend(error for error in validation_errors(validator, instance) if error not in errors)
    except Unresolvable as error:
        message = f"unit {unit_id}: archive-unit profile {name!r} has an unresolvable reference: {error}"
        return [fatal(STEP, message, None, unit_id)]
    messages = [
        f"unit {unit_id} does not conform to archive-unit profile {name!r}: {error}" for error in errors
    ]
    findings = ko_each(STEP, NOT_VALID, unit_id, messages, MAX_ERRORS_PER_UNIT, f"errors against {name!r}")
    return findings
