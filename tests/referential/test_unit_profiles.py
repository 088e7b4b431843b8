"""Archive-unit profiles (document types): notices whose ControlSchema is a self-contained JSON Schema."""

from __future__ import annotations

import json

import pytest
from support import FIXTURES

from archipel.platform import Platform
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService
from archipel.referential.unit_profiles import control_validator, parse_unit_profiles, validation_errors

UNIT_PROFILES = FIXTURES / "referentials/archive_unit_profiles"
VITAM_DRAFT_4 = "http://vitam-json-schema.org/draft-04/schema#"


def notice(schema: object) -> bytes:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return json.dumps([{"Identifier": "AUP_1", "Name": "Délibération", "ControlSchema": text}]).encode()


def test_imports_the_reference_document_types_and_exports_them_as_written(platform: Platform) -> None:
    service = ReferentialService(platform)
    for name in ("aup_ok.json", "aup_ok_custom_schema.json", "OK_AUP_schema_mail_Seda2.2.json"):
        service.import_file(1, "unit-profiles", (UNIT_PROFILES / name).read_bytes())
    exported = {entry["Identifier"]: entry for entry in json.loads(service.export_file(1, "unit-profiles"))}
    assert list(exported) == ["AUP_IDENTIFIER", "AUP_CUSTOM_SCHEMA", "AUP_IDENTIFIER_2.2"]
    written = json.loads((UNIT_PROFILES / "aup_ok_custom_schema.json").read_bytes())[0]
    assert exported["AUP_CUSTOM_SCHEMA"] == written


def test_refuses_a_document_type_without_its_mandatory_name(platform: Platform) -> None:
    """`aup_ko_champs_requis_vides.json` ("required fields empty") has no `Name`, which the
    reference system requires of every document type (it has no ControlSchema either, which
    is allowed at import)."""
    with pytest.raises(ImportRefused) as refused:
        ReferentialService(platform).import_file(
            1, "unit-profiles", (UNIT_PROFILES / "aup_ko_champs_requis_vides.json").read_bytes()
        )
    errors = refused.value.report.errors
    assert [(error.line, error.message, error.identifier) for error in errors] == [
        (2, "missing Name", "AUP_EMPTYREQUIREDFIELDS")
    ]
    assert ReferentialService(platform).entries(1, "unit-profiles") == []


def test_refuses_a_control_schema_that_is_not_json() -> None:
    _, errors = parse_unit_profiles(notice('{"type": "object",\n "properties": }'))
    assert [error.message for error in errors] == [
        "ControlSchema: not JSON: Expecting value (line 2, column 16)"
    ]


def test_refuses_a_control_schema_that_is_not_an_object() -> None:
    _, errors = parse_unit_profiles(notice("[]"))
    assert [error.message for error in errors] == ["ControlSchema: a JSON Schema is an object, not list"]


def test_refuses_an_invalid_json_schema_naming_where() -> None:
    _, errors = parse_unit_profiles(notice({"properties": {"Title": {"type": "texte"}}}))
    assert len(errors) == 1
    assert errors[0].message.startswith("ControlSchema: not a valid JSON Schema: $.properties.Title.type:")


def test_reads_the_reference_systems_schema_uri_as_draft_4() -> None:
    """A boolean `exclusiveMaximum` is draft 4; draft 6 and later require a number."""
    schema = {"$schema": VITAM_DRAFT_4, "properties": {"Pages": {"maximum": 5, "exclusiveMaximum": True}}}
    documents, errors = parse_unit_profiles(notice(schema))
    assert errors == [] and len(documents) == 1
    _, later = parse_unit_profiles(notice({**schema, "$schema": "http://json-schema.org/draft-07/schema#"}))
    assert len(later) == 1


def test_refuses_a_schema_that_refers_outside_itself() -> None:
    schema = {"$schema": VITAM_DRAFT_4, "properties": {"Title": {"$ref": "http://example.org/title.json"}}}
    _, errors = parse_unit_profiles(notice(schema))
    assert [error.message for error in errors] == [
        "ControlSchema: refers outside itself ('http://example.org/title.json'): "
        "a schema must be self-contained"
    ]


def test_local_references_resolve_against_the_schema_itself() -> None:
    schema = {
        "$schema": VITAM_DRAFT_4,
        "id": "http://example.com/root.json",
        "definitions": {"text": {"type": "string"}},
        "properties": {"Title": {"$ref": "#/definitions/text"}},
    }
    validator = control_validator(json.dumps(schema))
    assert validation_errors(validator, {"Title": 12}) == ["$.Title: 12 is not of type 'string'"]


def test_a_validator_is_built_once_per_schema_text() -> None:
    text = json.loads((UNIT_PROFILES / "aup_ok.json").read_bytes())[0]["ControlSchema"]
    assert control_validator(text) is control_validator(text)


def test_refuses_a_local_reference_that_points_to_nothing() -> None:
    schema = {
        "definitions": {"text": {"type": "string"}},
        "properties": {"Title": {"$ref": "#/definitions/txt"}},
    }
    _, errors = parse_unit_profiles(notice(schema))
    assert [error.message for error in errors] == ["ControlSchema: refers to nothing ('#/definitions/txt')"]
