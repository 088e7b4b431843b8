"""Archive profiles: notices imported, RelaxNG/XSD files attached offline, manifests judged against them."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path

import pytest
from support import FIXTURES

from archipel.core.digests import sha512_bytes
from archipel.ingest.findings import Outcome
from archipel.platform import Platform
from archipel.referential.profile_schema import bundled_schema, compiled_profile, read_profile_file
from archipel.referential.profiles import check_profile, parse_profiles, validate_manifest
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService
from archipel.seda.schema import XSD_ROOT
from archipel.seda.xml import parse_untrusted

PROFILES = FIXTURES / "referentials/profiles"
MAIL_RNG = PROFILES / "OK_profilRNG_mail_Seda2.2.rng"
RNG = "http://relaxng.org/ns/structure/1.0"
XS = "http://www.w3.org/2001/XMLSchema"


def manifest_of(sip: str) -> bytes:
    with zipfile.ZipFile(FIXTURES / "sip" / sip) as archive:
        return archive.read("manifest.xml")


def mail_profile(status: str = "ACTIVE", with_file: bool = True) -> dict[str, object]:
    document: dict[str, object] = {"Identifier": "PROFIL_TNR_RNG_TEST", "Name": "mail", "Format": "RNG"}
    document["Status"] = status
    if with_file:
        profile, faults = read_profile_file(MAIL_RNG.read_bytes(), "RNG")
        assert profile is not None, faults
        document.update(ProfileFile=profile.text, ProfileFileSha512=profile.sha512)
    return document


# Import and attachment (through the service, on both databases)


def test_imports_profile_notices_and_adds_to_existing_ones(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(1, "profiles", (PROFILES / "PR_2194.json").read_bytes())
    report = service.import_file(1, "profiles", (PROFILES / "profiles_for_tnr_rng_ok.json").read_bytes())
    assert report.created == ["PROFIL_TNR_RNG"]
    identifiers = [entry["Identifier"] for entry in service.entries(1, "profiles")]
    assert identifiers == [
        "PROFIL_INACTIVE_2194",
        "PROFIL_TNR_2194",
        "PROFIL_TNR_2194_DIFF",
        "PROFIL_TNR_RNG",
    ]
    assert service.get(1, "profiles", "PROFIL_INACTIVE_2194")["Status"] == "INACTIVE"


def test_attached_pastis_file_is_kept_in_the_notice_and_in_its_export(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(1, "profiles", (PROFILES / "profiles_for_tnr_rng_ok.json").read_bytes())
    data = (PROFILES / "profil_ok.rng").read_bytes()
    report = service.attach_file(1, "profiles", "PROFIL_TNR_RNG", data)
    assert report.updated == ["PROFIL_TNR_RNG"]
    stored = service.get(1, "profiles", "PROFIL_TNR_RNG")
    assert stored["ProfileFile"] == data.decode("utf-8")
    assert stored["ProfileFileSha512"] == sha512_bytes(data)
    exported = service.export_file(1, "profiles")
    assert json.loads(exported)[0]["ProfileFile"] == data.decode("utf-8")
    again = service.import_file(1, "profiles", exported)
    assert (again.created, again.updated) == ([], [])


def test_attaches_an_xsd_profile(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.put(1, "profiles", {"Identifier": "PROFIL_XSD", "Name": "matrice cadastrale", "Format": "XSD"})
    service.attach_file(1, "profiles", "PROFIL_XSD", (PROFILES / "profile_ok.xsd").read_bytes())
    assert service.get(1, "profiles", "PROFIL_XSD")["ProfileFile"].startswith("<?xml")


def test_refuses_a_file_that_does_not_compile_at_the_line_libxml2_names(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(1, "profiles", (PROFILES / "profiles_for_tnr_rng_ok.json").read_bytes())
    broken = f'<grammar xmlns="{RNG}">\n<start>\n<element name="a"><bogus/></element>\n</start>\n</grammar>\n'
    with pytest.raises(ImportRefused) as refused:
        service.attach_file(1, "profiles", "PROFIL_TNR_RNG", broken.encode())
    error = refused.value.report.errors[0]
    assert (error.line, error.identifier) == (3, "PROFIL_TNR_RNG")
    assert "does not compile as RelaxNG" in error.message and "bogus" in error.message
    assert "ProfileFile" not in service.get(1, "profiles", "PROFIL_TNR_RNG")


def test_refuses_an_xsd_file_for_a_profile_whose_format_is_rng(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(1, "profiles", (PROFILES / "profiles_for_tnr_rng_ok.json").read_bytes())
    with pytest.raises(ImportRefused) as refused:
        service.attach_file(1, "profiles", "PROFIL_TNR_RNG", (PROFILES / "profile_ok.xsd").read_bytes())
    assert "the profile's Format is RNG" in refused.value.report.errors[0].message


def test_refuses_a_notice_import_that_would_drop_the_attached_file(platform: Platform) -> None:
    service = ReferentialService(platform)
    notice = (PROFILES / "profiles_for_tnr_rng_ok.json").read_bytes()
    service.import_file(1, "profiles", notice)
    service.attach_file(1, "profiles", "PROFIL_TNR_RNG", (PROFILES / "profil_ok.rng").read_bytes())
    with pytest.raises(ImportRefused) as refused:
        service.import_file(1, "profiles", notice)
    assert "has a RNG file attached" in refused.value.report.errors[0].message
    assert service.get(1, "profiles", "PROFIL_TNR_RNG")["ProfileFile"]


# The notice file


def test_refuses_a_notice_whose_format_is_neither_rng_nor_xsd() -> None:
    data = json.dumps([{"Identifier": "P1", "Name": "p", "Format": "DTD"}]).encode()
    _, errors = parse_profiles(data)
    assert [(error.line, error.message) for error in errors] == [(1, "Format 'DTD' is neither RNG nor XSD")]


def test_a_notice_carrying_a_profile_file_is_checked_like_an_attachment() -> None:
    text = f'<grammar xmlns="{RNG}"><start><element name="a"><bogus/></element></start></grammar>'
    notice = [{"Identifier": "P1", "Name": "p", "Format": "RNG", "ProfileFile": text}]
    _, errors = parse_profiles(json.dumps(notice, indent=1).encode())
    assert errors and errors[0].line == 2 and errors[0].message.startswith("ProfileFile, line 1:")
    notice[0]["ProfileFile"] = MAIL_RNG.read_text(encoding="utf-8")
    documents, errors = parse_profiles(json.dumps(notice).encode())
    assert not errors
    assert documents[0]["ProfileFileSha512"] == sha512_bytes(MAIL_RNG.read_bytes())


def test_refuses_a_profile_file_whose_digest_does_not_match_it() -> None:
    text = MAIL_RNG.read_text(encoding="utf-8")
    notice = [
        {"Identifier": "P1", "Name": "p", "Format": "RNG", "ProfileFile": text, "ProfileFileSha512": "00"}
    ]
    _, errors = parse_profiles(json.dumps(notice).encode())
    assert [error.message for error in errors] == [
        "ProfileFileSha512 does not match ProfileFile (leave it out to have it computed)"
    ]


# The profile file, offline and self-contained


@pytest.mark.parametrize(
    "path",
    [
        "profil_ok.rng",
        "OK_profilRNG_mail_Seda2.2.rng",
        "pastis/PA_Exemple.rng",
        "pastis/Profil_seda_pastis_mvp.rng",
    ],
)
def test_every_fixture_relaxng_profile_compiles(path: str) -> None:
    profile, faults = read_profile_file((PROFILES / path).read_bytes(), "RNG")
    assert profile is not None and faults == []


def test_refuses_a_relaxng_profile_that_pulls_in_another_file(tmp_path: Path) -> None:
    (tmp_path / "other.rng").write_text(f'<element name="a" xmlns="{RNG}"><empty/></element>')
    text = f'<grammar xmlns="{RNG}">\n<start><externalRef href="{tmp_path / "other.rng"}"/></start></grammar>'
    profile, faults = read_profile_file(text.encode(), "RNG")
    assert profile is None
    assert [fault.line for fault in faults] == [2] and "must be self-contained" in faults[0].message


def test_refuses_a_profile_with_a_doctype() -> None:
    text = f'<!DOCTYPE grammar [<!ENTITY x "y">]>\n<grammar xmlns="{RNG}"><start><empty/></start></grammar>'
    profile, faults = read_profile_file(text.encode(), "RNG")
    assert profile is None and "not well-formed XML" in faults[0].message


def test_an_xsd_profile_importing_seda_compiles_against_the_bundled_schemas() -> None:
    text = (
        f'<xs:schema xmlns:xs="{XS}" xmlns:seda="fr:gouv:culture:archivesdefrance:seda:v2.1"'
        ' targetNamespace="urn:profil" elementFormDefault="qualified">\n'
        '<xs:import namespace="fr:gouv:culture:archivesdefrance:seda:v2.1"'
        ' schemaLocation="https://www.francearchives.gouv.fr/seda/seda-2.1-main.xsd"/>\n'
        '<xs:element name="Unit" type="seda:ArchiveUnitType"/>\n</xs:schema>'
    )
    profile, faults = read_profile_file(text.encode(), "XSD")
    assert profile is not None, faults


def test_refuses_an_xsd_profile_importing_anything_but_the_bundled_schemas(tmp_path: Path) -> None:
    (tmp_path / "secret.xsd").write_text(f'<xs:schema xmlns:xs="{XS}"/>')
    text = (
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:profil">\n'
        f'<xs:include schemaLocation="{tmp_path / "secret.xsd"}"/>\n</xs:schema>'
    )
    profile, faults = read_profile_file(text.encode(), "XSD")
    assert profile is None
    assert [fault.line for fault in faults] == [2] and "nothing is fetched" in faults[0].message


def test_bundled_schemas_are_found_by_file_name_and_w3c_url_only() -> None:
    assert bundled_schema("../any/where/seda-2.2-main.xsd") == XSD_ROOT / "2.2" / "seda-2.2-main.xsd"
    assert bundled_schema("http://www.w3.org/2001/xml.xsd") == XSD_ROOT / "2.1" / "xml.xsd"
    assert bundled_schema("/etc/xml.xsd") is None
    assert bundled_schema("http://example.org/profil.xsd") is None


# Manifests against profiles


def test_the_mail_manifest_conforms_to_its_seda_2_2_profile_and_another_manifest_does_not() -> None:
    document = mail_profile()
    assert (
        validate_manifest(parse_untrusted(manifest_of("ok/WARNING_SIPWithAP_mail_Seda2.2.zip")), document)
        == []
    )
    errors = validate_manifest(
        parse_untrusted(manifest_of("ok/OK_AU_with_archive_unit_profile.zip")), document
    )
    assert errors and all(error.startswith("line ") for error in errors)


def test_a_profile_is_compiled_once_per_digest() -> None:
    profile, _ = read_profile_file(MAIL_RNG.read_bytes(), "RNG")
    assert profile is not None
    assert compiled_profile(profile, "RNG") is compiled_profile(profile, "RNG")


def test_threads_validating_with_one_profile_each_get_their_own_errors() -> None:
    document = mail_profile()
    trees = {
        "conforms": parse_untrusted(manifest_of("ok/WARNING_SIPWithAP_mail_Seda2.2.zip")),
        "breaks": parse_untrusted(manifest_of("ok/OK_AU_with_archive_unit_profile.zip")),
    }
    expected = {name: validate_manifest(tree, document) for name, tree in trees.items()}
    seen: list[bool] = []

    def validate(name: str) -> None:
        for _ in range(20):
            seen.append(validate_manifest(trees[name], document) == expected[name])

    workers = [threading.Thread(target=validate, args=(name,)) for name in [*trees, *trees]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(seen) == 80 and all(seen)


# The CHECK_HEADER rules


def test_a_manifest_naming_another_profile_than_the_contract_allows_is_diff() -> None:
    documents, _ = parse_profiles((PROFILES / "PR_2194.json").read_bytes())
    profiles = {document["Identifier"]: document for document in documents}
    tree = parse_untrusted(manifest_of("ko/2194_DIFF.zip"))
    findings = check_profile("PROFIL_TNR_2194_DIFF", ("PROFIL_TNR_2194",), profiles, tree)
    assert [(finding.key, finding.target) for finding in findings] == [
        ("CHECK_HEADER.CHECK_IC_AP_RELATION.DIFF.KO", "ArchivalProfile")
    ]


def test_a_manifest_naming_no_profile_under_a_contract_that_requires_one_is_diff() -> None:
    tree = parse_untrusted(manifest_of("ok/WARNING_SIPWithAP_mail_Seda2.2.zip"))
    findings = check_profile(None, ("PROFIL_TNR_RNG_TEST",), {}, tree)
    assert [finding.key for finding in findings] == ["CHECK_HEADER.CHECK_IC_AP_RELATION.DIFF.KO"]


def test_an_unknown_or_inactive_profile_is_refused() -> None:
    tree = parse_untrusted(manifest_of("ok/WARNING_SIPWithAP_mail_Seda2.2.zip"))
    unknown = check_profile("PROFIL_TNR_RNG_TEST", (), {}, tree)
    inactive = check_profile(
        "PROFIL_TNR_RNG_TEST", (), {"PROFIL_TNR_RNG_TEST": mail_profile("INACTIVE")}, tree
    )
    assert [finding.key for finding in unknown] == ["CHECK_HEADER.CHECK_IC_AP_RELATION.UNKNOWN.KO"]
    assert [finding.key for finding in inactive] == ["CHECK_HEADER.CHECK_IC_AP_RELATION.INACTIVE.KO"]


def test_a_conforming_manifest_passes_under_a_contract_listing_no_profile() -> None:
    tree = parse_untrusted(manifest_of("ok/WARNING_SIPWithAP_mail_Seda2.2.zip"))
    assert check_profile("PROFIL_TNR_RNG_TEST", (), {"PROFIL_TNR_RNG_TEST": mail_profile()}, tree) == []


def test_each_way_a_manifest_breaks_its_profile_is_a_finding_on_the_manifest() -> None:
    tree = parse_untrusted(manifest_of("ok/OK_AU_with_archive_unit_profile.zip"))
    profiles = {"PROFIL_TNR_RNG_TEST": mail_profile()}
    findings = check_profile("PROFIL_TNR_RNG_TEST", ("PROFIL_TNR_RNG_TEST",), profiles, tree)
    errors = validate_manifest(tree, profiles["PROFIL_TNR_RNG_TEST"])
    assert len(findings) == min(len(errors), 20) + (len(errors) > 20)
    assert {(finding.key, finding.target, finding.outcome) for finding in findings} == {
        ("CHECK_HEADER.CHECK_ARCHIVEPROFILE.NOT_VALID.KO", "manifest.xml", Outcome.KO)
    }
    assert errors[0] in findings[0].message


def test_a_profile_without_a_file_is_only_checked_for_existence_and_status() -> None:
    tree = parse_untrusted(manifest_of("ok/OK_AU_with_archive_unit_profile.zip"))
    profiles = {"PROFIL_TNR_RNG_TEST": mail_profile(with_file=False)}
    assert check_profile("PROFIL_TNR_RNG_TEST", ("PROFIL_TNR_RNG_TEST",), profiles, tree) == []
