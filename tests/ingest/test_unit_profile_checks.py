"""CHECK_ARCHIVE_UNIT_PROFILE: each unit naming a document type is judged by its JSON Schema."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from support import FIXTURES

from archipel.ingest.context import IngestContext
from archipel.ingest.unit_profile_checks import (
    check_manifest_units,
    check_unit_profiles,
    shaped_as_schema_expects,
    unit_json_variants,
)
from archipel.platform import Platform
from archipel.preservation.formats import FormatIdentifier
from archipel.referential.service import ReferentialService
from archipel.referential.view import load_referentials
from archipel.seda.manifest import read_manifest_bytes
from archipel.seda.model import ArchiveUnit, Manifest

UNIT_PROFILES = FIXTURES / "referentials/archive_unit_profiles"
VITAM_DRAFT_4 = "http://vitam-json-schema.org/draft-04/schema#"


def manifest_of(sip: str) -> Manifest:
    with zipfile.ZipFile(FIXTURES / "sip" / sip) as archive:
        return read_manifest_bytes(archive.read("manifest.xml"))


def fixture_profiles(*names: str) -> dict[str, dict[str, object]]:
    documents = [json.loads((UNIT_PROFILES / name).read_bytes())[0] for name in names]
    return {str(document["Identifier"]): document for document in documents}


def profile(schema: dict[str, object], status: str = "ACTIVE") -> dict[str, object]:
    return {"Identifier": "AUP", "Name": "AUP", "Status": status, "ControlSchema": json.dumps(schema)}


def ingest_context(platform: Platform, tmp_path: Path, sip: str, offline: bool = False) -> IngestContext:
    with platform.database.unit_of_work() as session:
        referentials = None if offline else load_referentials(session, 1)
    return IngestContext(
        settings=platform.settings,
        tenant=1,
        operation_id="check",
        sip=FIXTURES / "sip" / sip,
        workspace=tmp_path,
        identifier=FormatIdentifier(),
        referentials=referentials,
        manifest=manifest_of(sip),
    )


def codes(findings: list) -> list[tuple[str, str | None]]:
    return [(finding.key, finding.target) for finding in findings]


# Through the tenant's referentials, as the ingest workflow runs it


def test_units_conforming_to_their_imported_document_types_pass(embedded: Platform, tmp_path: Path) -> None:
    service = ReferentialService(embedded)
    for name in ("aup_ok.json", "aup_ok_custom_schema.json"):
        service.import_file(1, "unit-profiles", (UNIT_PROFILES / name).read_bytes())
    ctx = ingest_context(embedded, tmp_path, "ok/OK_AU_with_archive_unit_profile.zip")
    assert check_unit_profiles(ctx) == []


def test_a_unit_breaking_its_document_type_is_not_au_json_valid(embedded: Platform, tmp_path: Path) -> None:
    ReferentialService(embedded).import_file(
        1, "unit-profiles", (UNIT_PROFILES / "aup_ok_custom_schema.json").read_bytes()
    )
    findings = check_unit_profiles(
        ingest_context(embedded, tmp_path, "ko/KO_AU_with_incorrect_AUP_Schema.zip")
    )
    assert codes(findings) == [("CHECK_ARCHIVE_UNIT_PROFILE.NOT_AU_JSON_VALID.KO", "ID3")]
    assert "$.DescriptionLevel: 'RecordGrp' is not one of ['Item', 'SubGrp', 'File']" in findings[0].message


def test_a_unit_naming_an_unknown_document_type_is_not_found(embedded: Platform, tmp_path: Path) -> None:
    ctx = ingest_context(embedded, tmp_path, "ko/KO_AU_with_wrong_archive_unit_profile.zip")
    assert codes(check_unit_profiles(ctx)) == [("CHECK_ARCHIVE_UNIT_PROFILE.NOT_FOUND.KO", "ID3")]


def test_an_offline_check_does_not_judge_document_types(embedded: Platform, tmp_path: Path) -> None:
    ctx = ingest_context(embedded, tmp_path, "ko/KO_AU_with_wrong_archive_unit_profile.zip", offline=True)
    assert check_unit_profiles(ctx) == []


# The rules, on manifests and profiles in hand


def test_an_inactive_document_type_or_one_without_schema_judges_nothing() -> None:
    manifest = manifest_of("ok/OK_AU_with_archive_unit_profile.zip")
    profiles = fixture_profiles("aup_ok.json", "aup_ok_custom_schema.json")
    profiles["AUP_IDENTIFIER"] = {**profiles["AUP_IDENTIFIER"], "Status": "INACTIVE"}
    profiles["AUP_CUSTOM_SCHEMA"] = {**profiles["AUP_CUSTOM_SCHEMA"], "ControlSchema": "{}"}
    assert codes(check_manifest_units(manifest, profiles)) == [
        ("CHECK_ARCHIVE_UNIT_PROFILE.INACTIVE_STATUS.KO", "ID3"),
        ("CHECK_ARCHIVE_UNIT_PROFILE.EMPTY_CONTROL_SCHEMA.KO", "ID5"),
    ]


def test_the_unit_is_judged_with_its_description_at_top_level_and_its_management_apart() -> None:
    manifest = manifest_of("ok/OK_AU_with_archive_unit_profile.zip")
    (variant,) = unit_json_variants(manifest.units["ID5"])
    assert variant["DescriptionLevel"] == "Item"
    assert variant["Title"] == "ArchiveUnit Contenant un BinaryMaster et un TextContent"
    assert variant["ArchiveUnitProfile"] == "AUP_CUSTOM_SCHEMA"
    assert variant["#management"] == {}


def test_every_title_of_a_unit_must_satisfy_what_the_document_type_says_of_a_title() -> None:
    schema = {"$schema": VITAM_DRAFT_4, "properties": {"Title": {"type": "string", "maxLength": 12}}}
    unit = ArchiveUnit("ID1", content={"Title": ["Délibération", "Délibération du conseil"]})
    unit.archive_unit_profile = "AUP"
    manifest = Manifest("2.1", "M1", units={"ID1": unit})
    findings = check_manifest_units(manifest, {"AUP": profile(schema)})
    assert [finding.message.rsplit(": ", 1)[-1] for finding in findings] == [
        "'Délibération du conseil' is too long"
    ]
    unit.content["Title"] = ["Délibération", "Arrêté"]
    assert check_manifest_units(manifest, {"AUP": profile(schema)}) == []


def test_a_single_occurrence_is_read_as_the_list_the_document_type_expects() -> None:
    schema = {"type": "object", "properties": {"Writer": {"type": "array", "items": {"type": "object"}}}}
    assert shaped_as_schema_expects(schema, {"Writer": {"FirstName": "Liliane"}}) == {
        "Writer": [{"FirstName": "Liliane"}]
    }
    either = {"properties": {"Title": {"type": ["string", "array"]}}}
    assert shaped_as_schema_expects(either, {"Title": "Délibération"}) == {"Title": "Délibération"}


def test_the_reference_mail_document_type_accepts_mails_and_refuses_their_folder() -> None:
    """`OK_AUP_schema_mail_Seda2.2` wants `Writer`, `Agent`, an addressee's `Identifier` as
    arrays and `DescriptionLevel` Item; the e-mails of `WARNING_SIPwith2AUP_mail_Seda2.2`
    comply, the folder holding them (RecordGrp, no writer) does not."""
    manifest = manifest_of("ok/WARNING_SIPwith2AUP_mail_Seda2.2.zip")
    for unit in manifest.units.values():
        unit.archive_unit_profile = "AUP_IDENTIFIER_2.2"
    findings = check_manifest_units(manifest, fixture_profiles("OK_AUP_schema_mail_Seda2.2.json"))
    mails = [unit.manifest_id for unit in manifest.units.values() if unit.level == "Item"]
    refused = {finding.target for finding in findings}
    assert mails and refused and not refused & set(mails)
    assert any("'RecordGrp' is not one of ['Item']" in finding.message for finding in findings)
