"""Reading a SEDA manifest into the domain model: the reference system's own SIPs, then crafted ones."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from support import FIXTURES

from archipel.seda.manifest import read_manifest, read_manifest_bytes
from archipel.seda.model import SEDA_NAMESPACES, Manifest
from archipel.seda.xml import parse_untrusted

SEDA21 = "fr:gouv:culture:archivesdefrance:seda:v2.1"
ACCEPTED = sorted([*FIXTURES.glob("sip/ok/*.zip"), *FIXTURES.glob("referentials/filing/*.zip")])
REFUSED = sorted(FIXTURES.glob("sip/ko/*.zip"))


def fixture_manifest(name: str) -> Manifest:
    with zipfile.ZipFile(FIXTURES / name) as sip:
        return read_manifest_bytes(sip.read("manifest.xml"))


def well_formed_tree(sip: Path) -> etree._ElementTree | None:
    """The manifest of a fixture SIP, or None when it has none or it is not XML."""
    with zipfile.ZipFile(sip) as archive:
        if "manifest.xml" not in archive.namelist():
            return None
        try:
            return parse_untrusted(archive.read("manifest.xml"))
        except etree.XMLSyntaxError:
            return None


def crafted(package: str) -> Manifest:
    return read_manifest_bytes(f'<ArchiveTransfer xmlns="{SEDA21}">{package}</ArchiveTransfer>'.encode())


def assert_consistent(manifest: Manifest) -> None:
    """What every manifest read must satisfy, whatever the SIP says."""
    for object_id, obj in manifest.objects.items():
        assert obj.manifest_id == object_id
        assert object_id in manifest.groups[obj.group_id].object_ids
    assert sorted(oid for group in manifest.groups.values() for oid in group.object_ids) == sorted(
        manifest.objects
    )
    assert set(manifest.roots) <= set(manifest.units)
    children = {child for unit in manifest.units.values() for child in unit.children}
    assert [unit_id for unit_id in manifest.units if unit_id not in children] == manifest.roots


@pytest.mark.parametrize("sip", ACCEPTED, ids=lambda path: path.name)
def test_reads_every_accepted_fixture_manifest(sip: Path) -> None:
    tree = well_formed_tree(sip)
    assert tree is not None
    namespace = etree.QName(tree.getroot()).namespace
    manifest = read_manifest(tree, SEDA_NAMESPACES[namespace])
    assert manifest.seda_version in ("2.1", "2.2", "2.3")
    assert manifest.units and manifest.roots
    assert_consistent(manifest)
    for unit in manifest.units.values():
        assert set(unit.children) <= set(manifest.units)


@pytest.mark.parametrize("sip", REFUSED, ids=lambda path: path.name)
def test_reads_every_well_formed_refused_fixture_manifest(sip: Path) -> None:
    tree = well_formed_tree(sip)
    if tree is None:
        pytest.skip("no well-formed manifest in this SIP")
    assert_consistent(read_manifest(tree, "unsupported"))


def test_reads_the_transfer_header() -> None:
    manifest = fixture_manifest("sip/ok/OK_SIP_2_GO.zip")
    assert manifest.seda_version == "2.1"
    assert manifest.message_identifier == "SIP passant contenant 2 groupes d'objets"
    assert manifest.date == "2016-10-18T14:52:27"
    assert manifest.comment == "2eme SIP"
    assert manifest.archival_agreement == "ArchivalAgreement0"
    assert manifest.archival_agency == "Identifier4"
    assert manifest.transferring_agency == "Identifier5"
    assert manifest.originating_agency == "FRAN_NP_009913"
    assert manifest.submission_agency is None
    assert manifest.archival_profile is None
    assert manifest.management_metadata == {"OriginatingAgencyIdentifier": "FRAN_NP_009913"}


def test_reads_the_archival_profile_from_management_metadata() -> None:
    manifest = fixture_manifest("sip/ko/2194_DIFF.zip")
    assert manifest.archival_profile == "PROFIL_TNR_2194_DIFF"
    assert manifest.management_metadata["ArchivalProfile"] == "PROFIL_TNR_2194_DIFF"


def test_empty_originating_agency_is_read_as_empty_not_absent() -> None:
    manifest = fixture_manifest("sip/ko/KO_SIP_WHITOUT_ORIGINATING_AGENCY.zip")
    assert manifest.originating_agency == ""


def test_unit_references_make_children_and_reference_elements_are_no_units() -> None:
    manifest = fixture_manifest("sip/ok/OK_SIP_2_GO.zip")
    assert list(manifest.units) == ["ID3", "ID4", "ID8", "ID12", "ID14", "ID18", "ID22"]
    assert manifest.units["ID3"].children == ["ID4", "ID14"]
    assert manifest.units["ID4"].children == ["ID8", "ID12"]
    assert manifest.roots == ["ID3"]
    assert manifest.units["ID8"].object_refs == ["ID6"]


def test_nested_units_are_children_of_the_unit_enclosing_them() -> None:
    manifest = fixture_manifest("sip/ok/Gallieni_metro_producteur1.zip")
    assert manifest.units["ID10"].children == ["ID13"]
    assert manifest.units["ID3"].children == ["ID4"]
    assert manifest.units["ID4"].children == ["ID5"]
    assert manifest.roots == ["ID10", "ID3"]


def test_a_reference_to_a_reference_element_designates_the_unit_it_names() -> None:
    manifest = fixture_manifest("sip/ok/WARNING_SIP_sans_objet.zip")
    assert "ID23" not in manifest.units
    assert manifest.units["ID19"].children == ["ID12"]
    assert manifest.roots == ["ID3"]


def test_a_child_declared_before_its_parent_is_still_a_child() -> None:
    manifest = fixture_manifest("sip/ok/OK_ARBO_desunitsdeclare_1unitfilsavantpere.zip")
    assert len(manifest.roots) == 1
    assert set(manifest.units) - set(manifest.roots) == {
        child for unit in manifest.units.values() for child in unit.children
    }


def test_seda_2_1_group_ids_gather_the_objects_naming_them() -> None:
    manifest = fixture_manifest("sip/ok/OK_SIP_plusieurs_usages_dans_GOT.zip")
    assert list(manifest.groups) == ["ID0001"]
    group = manifest.groups["ID0001"]
    assert len(group.object_ids) == 33
    assert group.object_ids[:3] == ["ID1", "ID12", "ID2"]
    assert manifest.objects["ID101"].kind == "physical"
    assert manifest.objects["ID101"].group_id == "ID0001"


def test_an_object_without_group_gets_a_group_of_its_own() -> None:
    manifest = fixture_manifest("sip/ok/OK_SIP_MANIFESTE-OBJET-SANS-GOT.zip")
    assert manifest.objects["ID5"].group_id == "ID5"
    assert {gid: group.object_ids for gid, group in manifest.groups.items()} == {"ID5": ["ID5"]}
    assert manifest.units["ID6"].object_refs == ["ID5"]


def test_an_object_without_data_object_version_is_a_master() -> None:
    manifest = fixture_manifest("sip/ok/OK_SIP_MANIFESTE-OBJET-SANS-GOT.zip")
    assert manifest.objects["ID5"].version == "BinaryMaster"


def test_enclosing_groups_win_and_2_1_references_join_declared_groups() -> None:
    """The reference SIP mixes both ways: a loose object joins `ID6`, and `ID17`, enclosed
    in `ID30`, also names a group `ID16` that nobody else mentions."""
    manifest = fixture_manifest("sip/ok/OK_SIP_FULL_SEDA2.1.zip")
    groups = {gid: group.object_ids for gid, group in manifest.groups.items()}
    assert groups == {"ID6": ["ID7", "ID11", "IDPHY2", "ID18"], "ID30": ["ID17"]}
    assert manifest.objects["ID17"].group_id == "ID30"


@pytest.mark.parametrize(
    ("version", "name"), [("2.2", "OK_SIP_FULL_SEDA2.2"), ("2.3", "OK_SIP_FULL_SEDA2.3")]
)
def test_reads_seda_2_2_and_2_3_like_the_same_sip_in_2_1(version: str, name: str) -> None:
    reference = fixture_manifest("sip/ok/OK_SIP_FULL_SEDA2.1.zip")
    manifest = fixture_manifest(f"sip/ok/{name}.zip")
    assert manifest.seda_version == version
    assert {gid: g.object_ids for gid, g in manifest.groups.items()} == {
        gid: g.object_ids for gid, g in reference.groups.items()
    }
    assert {uid: u.children for uid, u in manifest.units.items()} == {
        uid: u.children for uid, u in reference.units.items()
    }
    assert [u.title for u in manifest.units.values()] == [u.title for u in reference.units.values()]


def test_reads_what_a_binary_object_declares() -> None:
    obj = fixture_manifest("sip/ok/OK_SIP_2_GO.zip").objects["ID7"]
    assert (obj.kind, obj.group_id, obj.version) == ("binary", "ID6", "BinaryMaster")
    assert obj.uri == "Content/GBlNSraIrmIpWQNmJlDzPYLOC8CBk0.pdf"
    assert obj.digest is not None
    assert obj.digest.algorithm == "SHA-512"
    assert obj.digest.value.startswith("942bb63cc16bf5ca") and obj.digest.value.endswith("1f80dc7")
    assert obj.size == 29403
    assert (obj.format_id, obj.mime_type) == ("fmt/18", "application/pdf")
    assert obj.format_literal == "Acrobat PDF 1.4 - Portable Document Format"
    assert obj.filename == "GBlNSraIrmIpWQNmJlDzPYLOC8CBk0.pdf"
    assert obj.metadata["FileInfo"]["LastModified"] == "2016-06-03T15:28:00.000+02:00"
    assert "Uri" not in obj.metadata and "DataObjectGroupId" not in obj.metadata


def test_reads_what_a_physical_object_declares() -> None:
    obj = fixture_manifest("sip/ok/OK_ArchivesPhysiques.zip").objects["ID101"]
    assert (obj.kind, obj.group_id, obj.version) == ("physical", "ID010", "PhysicalMaster")
    assert obj.physical_id == "123456789"
    assert obj.uri is None and obj.digest is None and obj.size is None
    assert obj.metadata["PhysicalDimensions"]["Height"] == {"@unit": "centimetre", "#text": "21"}


def test_keeps_extension_elements_in_object_metadata() -> None:
    obj = fixture_manifest("sip/ok/Gallieni_metro_producteur1.zip").objects["ID19"]
    assert obj.metadata["OtherMetadata"] == {"titi": "fdsfdsfs"}


def test_normalises_a_date_with_time_zone_as_the_reference_system_does() -> None:
    unit = fixture_manifest("sip/ok/OK_DATE_SHOULD_TRANSFORM_PASS.zip").units["ID5"]
    assert unit.content["Writer"]["BirthDate"] == "2016-09-26"
    assert unit.content["StartDate"] == "2016-10-18T02:15:28.28Z"


def test_repeated_elements_become_lists() -> None:
    unit = fixture_manifest("sip/ok/OK_SIP-multivalue.zip").units["ID6"]
    assert unit.content["Tag"] == ["METS", "norme internationale"]
    assert unit.content["Event"][1] == {"EventType": "Validation", "EventDateTime": "2010-02-01T10:22:02"}
    assert unit.title == "METADATA ENCODING AND TRANSMISSION STANDARD: PRIMER AND REFERENCE MANUAL de la LoC"


def test_content_keeps_language_variants_attributes_and_unknown_elements() -> None:
    manifest = crafted(
        "<DataObjectPackage><DescriptiveMetadata>"
        '<ArchiveUnit id="U1"><Content>'
        "<DescriptionLevel>File</DescriptionLevel>"
        '<Title xml:lang="en">Minutes</Title><Title xml:lang="fr">Délibérations</Title>'
        '<Description>Conseil</Description><Description xml:lang="oc">Conselh</Description>'
        "<!-- a comment is no metadata -->"
        "<Keyword><KeywordContent>voirie</KeywordContent>"
        '<KeywordType listVersionID="v1">subject</KeywordType></Keyword>'
        "<Keyword><KeywordContent>budget</KeywordContent></Keyword>"
        '<Extension xmlns="urn:example:commune"><Secteur>Nord</Secteur></Extension>'
        "<StartDate>2020-01-01+01:00</StartDate>"
        "</Content></ArchiveUnit></DescriptiveMetadata></DataObjectPackage>"
    )
    content = manifest.units["U1"].content
    assert content == {
        "DescriptionLevel": "File",
        "Title": "Délibérations",
        "Title_": {"en": "Minutes", "fr": "Délibérations"},
        "Description": "Conseil",
        "Description_": {"oc": "Conselh"},
        "Keyword": [
            {"KeywordContent": "voirie", "KeywordType": {"@listVersionID": "v1", "#text": "subject"}},
            {"KeywordContent": "budget"},
        ],
        "Extension": {"Secteur": "Nord"},
        "StartDate": "2020-01-01",
    }
    assert manifest.units["U1"].title == "Délibérations"
    assert manifest.units["U1"].level == "File"


def test_management_pairs_each_rule_with_its_own_dates() -> None:
    manifest = crafted(
        "<DataObjectPackage><DescriptiveMetadata>"
        '<ArchiveUnit id="U1"><ArchiveUnitProfile>AUP_DELIBERATION</ArchiveUnitProfile><Management>'
        "<AccessRule><Rule>ACC-00001</Rule><StartDate>2000-01-01</StartDate><Rule>ACC-00002</Rule>"
        "<PreventInheritance>true</PreventInheritance></AccessRule>"
        "<HoldRule><Rule>HOL-00001</Rule><StartDate>2020-01-01</StartDate><HoldEndDate>2030-01-01</HoldEndDate>"
        "<HoldReason>Contentieux</HoldReason><RefNonRuleId>HOL-00002</RefNonRuleId></HoldRule>"
        "<AppraisalRule><FinalAction>Keep</FinalAction></AppraisalRule>"
        "<UpdateOperation><SystemId>aeaqaaaaaahk2nqzaalvwalmx6ov4nyaaaaq</SystemId></UpdateOperation>"
        "</Management><Content><Title>Délibérations</Title></Content></ArchiveUnit>"
        "</DescriptiveMetadata></DataObjectPackage>"
    )
    unit = manifest.units["U1"]
    assert unit.management["AccessRule"] == {
        "Rules": [{"Rule": "ACC-00001", "StartDate": "2000-01-01"}, {"Rule": "ACC-00002"}],
        "PreventInheritance": "true",
    }
    assert unit.management["HoldRule"] == {
        "Rules": [
            {
                "Rule": "HOL-00001",
                "StartDate": "2020-01-01",
                "HoldEndDate": "2030-01-01",
                "HoldReason": "Contentieux",
            }
        ],
        "RefNonRuleId": "HOL-00002",
    }
    assert unit.management["AppraisalRule"] == {"Rules": [], "FinalAction": "Keep"}
    assert unit.attachment_system_id == "aeaqaaaaaahk2nqzaalvwalmx6ov4nyaaaaq"
    assert unit.archive_unit_profile == "AUP_DELIBERATION"


def test_management_metadata_rules_are_paired_too() -> None:
    manifest = fixture_manifest("sip/ok/OK_RULES_EXTRA_COMPLEX.zip")
    assert manifest.management_metadata["AccessRule"] == {
        "Rules": [{"Rule": "ACC-00002", "StartDate": "2000-01-01"}]
    }
    assert manifest.originating_agency == "RATP"


def test_units_and_objects_keep_document_order() -> None:
    manifest = crafted(
        "<DataObjectPackage>"
        '<DataObjectGroup id="G2"><BinaryDataObject id="O2"><Uri>Content/b</Uri></BinaryDataObject>'
        "</DataObjectGroup>"
        '<BinaryDataObject id="O1"><DataObjectGroupId>G1</DataObjectGroupId>'
        "<Uri>Content/a</Uri></BinaryDataObject>"
        '<DescriptiveMetadata><ArchiveUnit id="B"><Content><Title>b</Title></Content>'
        '<ArchiveUnit id="B1"><Content><Title>b1</Title></Content></ArchiveUnit></ArchiveUnit>'
        '<ArchiveUnit id="A"><Content><Title>a</Title></Content></ArchiveUnit>'
        "</DescriptiveMetadata></DataObjectPackage>"
    )
    assert list(manifest.groups) == ["G2", "G1"]
    assert list(manifest.objects) == ["O2", "O1"]
    assert list(manifest.units) == ["B", "B1", "A"]
    assert manifest.roots == ["B", "A"]


def test_refuses_to_guess_the_version_of_an_unsupported_namespace() -> None:
    with zipfile.ZipFile(FIXTURES / "sip/ko/KO_SIP_INSUPPORTED_SEDA_VERSION.zip") as sip:
        data = sip.read("manifest.xml")
    with pytest.raises(ValueError, match=r"v9\.99"):
        read_manifest_bytes(data)
