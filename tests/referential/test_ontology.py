"""The ontology: Vitam's JSON file, the INTERNAL fields derived from SEDA, and who may define what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import FIXTURES

from archipel.platform import Platform
from archipel.referential.ontology import export_ontology, ontology_from_seda, parse_ontology
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService

VITAM_ONTOLOGY = FIXTURES / "referentials" / "ontology" / "vitam_ontology.json"
STRICT_TYPES = ("DATE", "LONG", "BOOLEAN", "DOUBLE")


def field(identifier: str, type_: str = "DATE", origin: str = "EXTERNAL", **more: Any) -> dict[str, Any]:
    return {"Identifier": identifier, "Type": type_, "Origin": origin, "Collections": ["Unit"], **more}


def ontology_file(*fields: dict[str, Any]) -> bytes:
    return json.dumps(list(fields), indent=1).encode()


def test_reads_the_reference_system_ontology() -> None:
    documents, errors = parse_ontology(VITAM_ONTOLOGY.read_bytes())
    assert errors == []
    assert len(documents) == 340
    assert {document["Origin"] for document in documents} == {"INTERNAL"}
    assert documents[0] == json.loads(VITAM_ONTOLOGY.read_text())[0]  # kept as written


def test_rejects_ontology_file_with_unknown_type_origin_and_duplicate_identifier() -> None:
    _, errors = parse_ontology(
        b'[{"Identifier": "DateDeliberation", "Type": "DATETIME", "Origin": "EXTERNAL"},\n'
        b' {"Identifier": "NumeroDossier", "Type": "KEYWORD", "Origin": "LOCAL"},\n'
        b' {"Identifier": "NumeroDossier", "Type": "KEYWORD", "Origin": "EXTERNAL"},\n'
        b' {"Type": "TEXT", "Origin": "EXTERNAL", "Collections": "Unit"}]'
    )
    assert [(error.line, error.identifier) for error in errors] == [
        (1, "DateDeliberation"),
        (2, "NumeroDossier"),
        (3, "NumeroDossier"),
        (4, None),
        (4, None),
    ]
    assert errors[0].message.startswith("Type 'DATETIME' is not one of TEXT, KEYWORD, DATE")
    assert errors[1].message == "Origin 'LOCAL' is neither INTERNAL nor EXTERNAL"
    assert errors[2].message == "Identifier 'NumeroDossier' already given at line 2"
    assert [error.message for error in errors[3:]] == [
        "missing Identifier",
        "Collections must be a list of strings",
    ]


def test_rejects_an_enumeration_given_to_a_field_that_is_no_enum() -> None:
    _, errors = parse_ontology(
        ontology_file(field("Nature", "KEYWORD", Enumeration=["Arrêté", "Délibération"]))
    )
    assert [error.message for error in errors] == ["Enumeration is given for a field of type KEYWORD"]


def test_the_seda_ontology_is_a_valid_ontology_of_internal_fields() -> None:
    documents = ontology_from_seda()
    assert parse_ontology(export_ontology(documents)) == (documents, [])
    assert {document["Origin"] for document in documents} == {"INTERNAL"}
    assert [document["Identifier"] for document in documents] == sorted({d["Identifier"] for d in documents})
    by_name = {document["Identifier"]: document for document in documents}
    assert by_name["DescriptionLevel"]["Enumeration"] == [
        "Fonds",
        "Subfonds",
        "Class",
        "Collection",
        "Series",
        "Subseries",
        "RecordGrp",
        "SubGrp",
        "File",
        "Item",
        "OtherLevel",
    ]
    assert by_name["Title"]["Type"] == "TEXT"
    assert by_name["Size"]["Collections"] == ["ObjectGroup"]
    assert by_name["StartDate"]["Collections"] == ["Unit"]


IMPORTANT_FIELDS = {
    "StartDate": "DATE",
    "EndDate": "DATE",
    "CreatedDate": "DATE",
    "TransactedDate": "DATE",
    "AcquiredDate": "DATE",
    "ReceivedDate": "DATE",
    "SentDate": "DATE",
    "RegisteredDate": "DATE",
    "BirthDate": "DATE",
    "DeathDate": "DATE",
    "EventDateTime": "DATE",
    "SigningTime": "DATE",
    "HoldEndDate": "DATE",
    "Size": "LONG",
    "NumberOfPage": "LONG",
    "GpsAltitude": "LONG",
    "PreventInheritance": "BOOLEAN",
    "NeedAuthorization": "BOOLEAN",
}


def test_the_seda_ontology_agrees_with_the_reference_system_on_every_strict_type() -> None:
    """Fields of both ontologies (Vitam's matched by `Identifier` or `SedaField`) have the same
    DATE, LONG, BOOLEAN and DOUBLE types.

    Measured on the fixture (340 Vitam fields, 159 derived from SEDA 2.1-2.3): 135 fields in
    common (125 by identifier, 10 by `SedaField` such as `EventDateTime` = Vitam's
    `evDateTime`); the 27 typed DATE, LONG, BOOLEAN or DOUBLE on either side all agree. The
    32 other differences are choices SEDA leaves open: 27 TEXT/KEYWORD swaps (SEDA's
    `NonEmptyTokenType` is a KEYWORD here, Vitam indexes some as TEXT, and the reverse for
    `xsd:string` fields such as `GpsLatitude`), and 5 code lists typed ENUM here that Vitam
    types KEYWORD: DescriptionLevel, DetachedSigningRole, FinalAction, KeywordType, SigningRole.
    """
    ours = {document["Identifier"]: document["Type"] for document in ontology_from_seda()}
    theirs: dict[str, str] = {}
    for document in json.loads(VITAM_ONTOLOGY.read_text()):
        for name in {document["Identifier"], document.get("SedaField")} & set(ours):
            theirs[name] = document["Type"]
    assert len(theirs) == 135
    strict = {name for name in theirs if ours[name] in STRICT_TYPES or theirs[name] in STRICT_TYPES}
    assert len(strict) == 27
    assert {name: ours[name] for name in strict} == {name: theirs[name] for name in strict}
    for name, expected in IMPORTANT_FIELDS.items():
        assert (name, ours[name], theirs[name]) == (name, expected, expected)
    others = {name: (ours[name], theirs[name]) for name in theirs if ours[name] != theirs[name]}
    assert {pair for pair in others.values()} == {
        ("TEXT", "KEYWORD"),
        ("KEYWORD", "TEXT"),
        ("ENUM", "KEYWORD"),
    }
    assert sorted(name for name, pair in others.items() if pair == ("ENUM", "KEYWORD")) == [
        "DescriptionLevel",
        "DetachedSigningRole",
        "FinalAction",
        "KeywordType",
        "SigningRole",
    ]


def test_a_tenant_extension_is_added_to_the_shared_fields(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(1, "ontology", ontology_file(field("DateDeliberation")))
    commune_a = {document["Identifier"]: document for document in service.entries(1, "ontology")}
    assert commune_a["DateDeliberation"]["Type"] == "DATE"
    assert commune_a["StartDate"]["Origin"] == "INTERNAL"
    assert "DateDeliberation" not in {document["Identifier"] for document in service.entries(2, "ontology")}
    assert "DateDeliberation" not in {document["Identifier"] for document in service.entries(0, "ontology")}


def test_a_tenant_may_not_define_internal_fields(platform: Platform) -> None:
    service = ReferentialService(platform)
    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "ontology", ontology_file(field("DateDeliberation", origin="INTERNAL")))
    assert [(error.line, error.identifier) for error in refused.value.report.errors] == [
        (2, "DateDeliberation")
    ]
    assert "EXTERNAL fields only" in refused.value.report.errors[0].message


def test_a_tenant_may_not_retype_an_internal_field(platform: Platform) -> None:
    service = ReferentialService(platform)
    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "ontology", ontology_file(field("StartDate", "TEXT")))
    assert (
        refused.value.report.errors[0].message
        == "StartDate is an INTERNAL field of type DATE: it cannot become TEXT"
    )
    service.import_file(1, "ontology", ontology_file(field("StartDate", ShortName="Date de début")))
    assert service.get(1, "ontology", "StartDate")["ShortName"] == "Date de début"


def test_a_field_is_retyped_only_where_stored_values_stay_valid(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(1, "ontology", ontology_file(field("NombrePieces", "LONG")))
    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "ontology", ontology_file(field("NombrePieces", "DATE")))
    assert "may become DOUBLE, KEYWORD, TEXT, not DATE" in refused.value.report.errors[0].message
    service.import_file(1, "ontology", ontology_file(field("NombrePieces", "DOUBLE")))
    assert service.get(1, "ontology", "NombrePieces")["Type"] == "DOUBLE"


def test_the_reference_system_ontology_imports_over_the_seda_fields(platform: Platform) -> None:
    """The administrator restoring Vitam's ontology (its `__ontologies.feature`): only retypings
    to KEYWORD or TEXT, which are allowed."""
    service = ReferentialService(platform)
    report = service.import_file(0, "ontology", VITAM_ONTOLOGY.read_bytes())
    assert len(report.created) + len(report.updated) == 340
    assert service.get(2, "ontology", "DescriptionLevel")["Type"] == "KEYWORD"
