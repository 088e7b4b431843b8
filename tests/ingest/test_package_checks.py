"""Structural checks of the data-object package and of each unit, as the reference system makes them.

First the reference system's own SIPs (each refused one must be refused for its documented
reason, each accepted one must pass), then one crafted manifest per rule, named after
the finding it must produce.
"""

from __future__ import annotations

import re
import zipfile

import pytest
from support import FIXTURES, ExpectedSip, expected_sips

from archipel.core.digests import SEDA_ALGORITHMS
from archipel.core.ids import new_id
from archipel.ingest.findings import Finding, Outcome
from archipel.ingest.package_checks import check_data_object_package, check_unit_schema, unit_cycles
from archipel.seda.manifest import read_manifest_bytes
from archipel.seda.model import Manifest

PACKAGE = "CHECK_DATAOBJECTPACKAGE"
UNIT = "CHECK_UNIT_SCHEMA"
VERSION = "CHECK_MANIFEST_DATAOBJECT_VERSION"
SEDA21 = "fr:gouv:culture:archivesdefrance:seda:v2.1"
VITAM_GUID = "aeaqaaaaaahk2nqzaalvwalmx6ov4nyaaaaq"

Summary = tuple[str, str | None, Outcome, str | None]


def summary(findings: list[Finding]) -> set[Summary]:
    return {(finding.step, finding.code, finding.outcome, finding.target) for finding in findings}


def all_findings(manifest: Manifest) -> list[Finding]:
    return [*check_data_object_package(manifest), *check_unit_schema(manifest)]


def kos(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.outcome is Outcome.KO]


def fixture_manifest(sip: ExpectedSip) -> Manifest:
    with zipfile.ZipFile(sip.path) as archive:
        return read_manifest_bytes(archive.read("manifest.xml"))


# --- The reference system's SIPs -------------------------------------------------------------

SIPS = {sip.path.relative_to(FIXTURES).as_posix(): sip for sip in expected_sips()}
ACCEPTED = [sip for sip in SIPS.values() if sip.expected != "KO"]

REFUSED_HERE: dict[str, set[Summary]] = {
    "sip/ko/SIP_INCORRECT_ALGORITHM.zip": {
        (PACKAGE, f"{VERSION}.INVALIDE_ALGO", Outcome.KO, "ID17"),
        (PACKAGE, f"{VERSION}.INVALIDE_ALGO", Outcome.KO, "ID21"),
    },
    "sip/ko/KO_USAGES_2_BM.zip": {(PACKAGE, "CHECK_MANIFEST", Outcome.KO, "ID4")},
    "sip/ko/KO_WRONG_USAGE_VERSION.zip": {
        (PACKAGE, f"{VERSION}.INVALID_DATAOBJECTVERSION", Outcome.KO, "ID8")
    },
    "sip/ko/KO_BinaryInPhysical.zip": {
        (PACKAGE, f"{VERSION}.PDO_DATAOBJECTIONVERSION_BINARYMASTER", Outcome.KO, "ID101"),
        (PACKAGE, "CHECK_MANIFEST", Outcome.KO, "ID010"),  # and so two BinaryMaster in ID010
    },
    "sip/ko/KO_CYCLE.zip": {(PACKAGE, "CHECK_MANIFEST.CHECK_MANIFEST_LOOP", Outcome.KO, "ID6")},
    "sip/ko/KO_SystemID_not_a_GUID.zip": {
        (PACKAGE, "CHECK_MANIFEST.INVALID_GUID_ATTACHMENT", Outcome.KO, "ID4"),
        (PACKAGE, "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY", Outcome.WARNING, None),
    },
    "sip/ko/KO_SIP_1986_unit_declare_IDobjet_au_lieu_IDGOT.zip": {
        (PACKAGE, "CHECK_MANIFEST.EXISTING_OG_NOT_DECLARED", Outcome.KO, "ID22")
    },
    "sip/ko/KO_OBJT_orphelins.zip": {
        (PACKAGE, "CHECK_CONSISTENCY", Outcome.KO, "ID49"),
        (PACKAGE, "CHECK_CONSISTENCY", Outcome.KO, "ID54"),
    },
    "sip/ko/KO_1791_SIP_TITLE_VIDE.zip": {(UNIT, "INVALID_UNIT", Outcome.KO, "AU5")},
    "sip/ko/KO_Endate_anterieur_Started.zip": {(UNIT, "CONSISTENCY", Outcome.KO, "ID026")},
    "sip/ko/KO_1791_SIP_RG-STARTDATE_AN9000.zip": {(UNIT, "INVALID_UNIT", Outcome.KO, "AU4")},
    "sip/ko/SIP_KO_HoldRules_HoldEndDateBeforeStartDate.zip": {
        (UNIT, "CONSISTENCY", Outcome.KO, "ID04"),
        (PACKAGE, "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY", Outcome.WARNING, None),
    },
    "referentials/filing/KO_Plan_empty_title.zip": {
        (UNIT, "INVALID_UNIT", Outcome.KO, "ID4"),
        (PACKAGE, "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY", Outcome.WARNING, None),
    },
    "referentials/filing/KO_Arbre_empty_title.zip": {
        (UNIT, "INVALID_UNIT", Outcome.KO, "ID4"),
        (PACKAGE, "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY", Outcome.WARNING, None),
    },
}

LATER_STEPS = (
    "CHECK_HEADER",
    "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.NOT_FOUND_ATTACHMENT",
    "CHECK_MANIFEST_OBJECTNUMBER",
    "CHECK_DIGEST",
    "CHECK_ARCHIVE_UNIT_PROFILE",
    "CHECK_CLASSIFICATION_LEVEL",
    "UNITS_RULES_COMPUTE",
)
"""Refusals decided by steps that need the files, the database or referentials."""


def reference_code(sip: ExpectedSip) -> str | None:
    """`CHECK_X.Y.KO` from a reason written `CHECK_X.Y.KO: ...` or `CHECK_X.Y=KO: ...`."""
    match = re.match(r"^([A-Z_][A-Z0-9_.]*)(?:=|\.)(KO|WARNING)\b", sip.reason)
    return f"{match.group(1)}.{match.group(2)}" if match else None


@pytest.mark.parametrize("sip", ACCEPTED, ids=lambda sip: sip.name)
def test_accepted_fixture_gets_no_ko(sip: ExpectedSip) -> None:
    findings = all_findings(fixture_manifest(sip))
    assert kos(findings) == []


@pytest.mark.parametrize(("name", "expected"), REFUSED_HERE.items(), ids=list(REFUSED_HERE))
def test_refused_fixture_gets_its_reference_code(name: str, expected: set[Summary]) -> None:
    findings = all_findings(fixture_manifest(SIPS[name]))
    assert summary(findings) == expected
    code = reference_code(SIPS[name])
    if code is not None:
        assert any(finding.key.endswith(code) for finding in findings), (code, findings)


@pytest.mark.parametrize(
    "sip",
    [sip for sip in SIPS.values() if (reference_code(sip) or "").startswith(LATER_STEPS)],
    ids=lambda sip: sip.name,
)
def test_fixture_refused_by_a_later_step_passes_these_checks(sip: ExpectedSip) -> None:
    assert kos(all_findings(fixture_manifest(sip))) == []


@pytest.mark.parametrize("name", ["sip/ok/WARNING_SIP_sans_objet.zip", "sip/ok/OK_SIP_1000_AU.zip"])
def test_fixture_without_data_object_gets_the_warning_alone(name: str) -> None:
    findings = all_findings(fixture_manifest(SIPS[name]))
    assert summary(findings) == {
        (PACKAGE, "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY", Outcome.WARNING, None)
    }


# --- Crafted manifests -----------------------------------------------------------------------


def transfer(objects: str = "", units: str = "") -> Manifest:
    """A SEDA 2.1 transfer around the given objects and units."""
    return read_manifest_bytes(
        (
            f'<ArchiveTransfer xmlns="{SEDA21}"><Date>2024-03-01T10:00:00</Date>'
            "<MessageIdentifier>VERSEMENT-2024-001</MessageIdentifier><ArchivalAgreement>IC-1</ArchivalAgreement>"
            f"<DataObjectPackage>{objects}<DescriptiveMetadata>{units}</DescriptiveMetadata>"
            "<ManagementMetadata><OriginatingAgencyIdentifier>COMMUNE</OriginatingAgencyIdentifier>"
            "</ManagementMetadata></DataObjectPackage>"
            "<ArchivalAgency><Identifier>AD</Identifier></ArchivalAgency>"
            "<TransferringAgency><Identifier>COMMUNE</Identifier></TransferringAgency></ArchiveTransfer>"
        ).encode()
    )


def binary(
    object_id: str,
    version: str = "BinaryMaster_1",
    *,
    names_group: str = "",
    algorithm: str = "SHA-512",
    uri: str | None = None,
) -> str:
    """A BinaryDataObject; `names_group` gives it a SEDA 2.1 `DataObjectGroupId`."""
    naming = f"<DataObjectGroupId>{names_group}</DataObjectGroupId>" if names_group else ""
    return (
        f'<BinaryDataObject id="{object_id}">{naming}<DataObjectVersion>{version}</DataObjectVersion>'
        f"<Uri>{f'Content/{object_id}.pdf' if uri is None else uri}</Uri>"
        f'<MessageDigest algorithm="{algorithm}">{"ab" * 64}</MessageDigest><Size>10</Size>'
        "</BinaryDataObject>"
    )


def physical(object_id: str, version: str = "PhysicalMaster_1") -> str:
    return (
        f'<PhysicalDataObject id="{object_id}"><DataObjectVersion>{version}</DataObjectVersion>'
        f"<PhysicalId>BOITE-{object_id}</PhysicalId></PhysicalDataObject>"
    )


def group(group_id: str, *members: str) -> str:
    return f'<DataObjectGroup id="{group_id}">{"".join(members)}</DataObjectGroup>'


def unit(
    unit_id: str,
    *,
    title: str = "Délibérations du conseil municipal",
    children: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    objects: tuple[str, ...] = (),
    content: str = "",
    management: str = "",
) -> str:
    """A unit; its children are given by `ArchiveUnitRefId`, its objects by reference."""
    references = "".join(
        f"<DataObjectReference><{tag}>{target}</{tag}></DataObjectReference>"
        for tag, targets in (("DataObjectGroupReferenceId", groups), ("DataObjectReferenceId", objects))
        for target in targets
    )
    pointers = "".join(
        f'<ArchiveUnit id="{unit_id}-{child}"><ArchiveUnitRefId>{child}</ArchiveUnitRefId></ArchiveUnit>'
        for child in children
    )
    return (
        f'<ArchiveUnit id="{unit_id}">{f"<Management>{management}</Management>" if management else ""}'
        f"<Content><DescriptionLevel>File</DescriptionLevel><Title>{title}</Title>{content}</Content>"
        f"{references}{pointers}</ArchiveUnit>"
    )


def test_a_well_formed_package_has_no_finding() -> None:
    manifest = transfer(
        group("G1", binary("O1"), binary("O2", "Dissemination_1"), physical("P1"))
        + binary("O3", names_group="G3"),
        unit("U1", children=("U2", "U3"))
        + unit("U2", groups=("G1",))
        + unit("U3", groups=("G3",), management="<AccessRule><Rule>ACC-00001</Rule></AccessRule>"),
    )
    assert all_findings(manifest) == []


@pytest.mark.parametrize("algorithm", ["sha512", "SHA512", "SHA-224", ""])
def test_invalide_algo_for_a_digest_algorithm_not_named_as_seda_does(algorithm: str) -> None:
    manifest = transfer(group("G1", binary("O1", algorithm=algorithm)), unit("U1", groups=("G1",)))
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, f"{VERSION}.INVALIDE_ALGO", Outcome.KO, "O1")
    }


@pytest.mark.parametrize("algorithm", list(SEDA_ALGORITHMS))
def test_accepts_every_seda_digest_algorithm(algorithm: str) -> None:
    manifest = transfer(group("G1", binary("O1", algorithm=algorithm)), unit("U1", groups=("G1",)))
    assert check_data_object_package(manifest) == []


@pytest.mark.parametrize(
    "version", ["BinaryMaster_One", "Original_1", "binarymaster", "BinaryMaster_", "Master"]
)
def test_invalid_dataobjectversion_for_a_usage_outside_seda_list(version: str) -> None:
    manifest = transfer(group("G1", binary("O1", version)), unit("U1", groups=("G1",)))
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, f"{VERSION}.INVALID_DATAOBJECTVERSION", Outcome.KO, "O1")
    }


@pytest.mark.parametrize(
    "version", ["BinaryMaster", "BinaryMaster_2", "Dissemination_10", "Thumbnail", "TextContent_1"]
)
def test_accepts_a_usage_with_or_without_version_number(version: str) -> None:
    manifest = transfer(group("G1", binary("O1", version)), unit("U1", groups=("G1",)))
    assert check_data_object_package(manifest) == []


@pytest.mark.parametrize("version", ["BinaryMaster", "Dissemination_1"])
def test_pdo_dataobjectionversion_binarymaster_for_a_physical_object_of_another_usage(version: str) -> None:
    manifest = transfer(group("G1", physical("P1", version)), unit("U1", groups=("G1",)))
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, f"{VERSION}.PDO_DATAOBJECTIONVERSION_BINARYMASTER", Outcome.KO, "P1")
    }


def test_bdo_dataobjectionversion_physicalmaster_for_a_binary_physical_master() -> None:
    manifest = transfer(group("G1", binary("O1", "PhysicalMaster")), unit("U1", groups=("G1",)))
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, f"{VERSION}.BDO_DATAOBJECTIONVERSION_PHYSICALMASTER", Outcome.KO, "O1")
    }


def test_empty_required_field_for_an_empty_uri() -> None:
    manifest = transfer(group("G1", binary("O1", uri="")), unit("U1", groups=("G1",)))
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, f"{VERSION}.EMPTY_REQUIRED_FIELD", Outcome.KO, "O1")
    }


@pytest.mark.parametrize(
    ("first", "second"), [("BinaryMaster", "BinaryMaster_1"), ("Thumbnail_2", "Thumbnail_2")]
)
def test_check_manifest_for_two_objects_of_one_usage_and_version_in_a_group(first: str, second: str) -> None:
    enclosed = transfer(group("G1", binary("O1", first), binary("O2", second)), unit("U1", groups=("G1",)))
    named = transfer(
        binary("O1", first, names_group="G1") + binary("O2", second, names_group="G1"),
        unit("U1", groups=("G1",)),
    )
    for manifest in (enclosed, named):
        assert summary(check_data_object_package(manifest)) == {(PACKAGE, "CHECK_MANIFEST", Outcome.KO, "G1")}


def test_one_usage_in_several_versions_or_in_several_groups_is_no_duplicate() -> None:
    manifest = transfer(
        group("G1", binary("O1", "BinaryMaster_1"), binary("O2", "BinaryMaster_2"))
        + group("G2", binary("O3", "BinaryMaster_1")),
        unit("U1", groups=("G1",)) + unit("U2", groups=("G2",)),
    )
    assert check_data_object_package(manifest) == []


def test_check_manifest_loop_for_units_that_are_their_own_ancestors() -> None:
    manifest = transfer(
        units=unit("ROOT", children=("A",))
        + unit("A", children=("B",))
        + unit("B", children=("C",))
        + unit("C", children=("A",))
        + unit("SELF", children=("SELF",))
    )
    assert unit_cycles(manifest) == [["A", "B", "C"], ["SELF"]]
    assert summary(kos(check_data_object_package(manifest))) == {
        (PACKAGE, "CHECK_MANIFEST.CHECK_MANIFEST_LOOP", Outcome.KO, "A"),
        (PACKAGE, "CHECK_MANIFEST.CHECK_MANIFEST_LOOP", Outcome.KO, "SELF"),
    }


def test_a_unit_with_several_parents_is_no_cycle() -> None:
    manifest = transfer(
        units=unit("ROOT", children=("A", "B"))
        + unit("A", children=("C",))
        + unit("B", children=("C",))
        + unit("C")
    )
    assert unit_cycles(manifest) == []
    assert kos(check_data_object_package(manifest)) == []


def test_a_long_chain_of_units_is_walked_without_exhausting_the_stack() -> None:
    depth = 5000
    manifest = transfer(
        units="".join(unit(f"U{i}", children=(f"U{i + 1}",)) for i in range(depth)) + unit(f"U{depth}")
    )
    assert manifest.roots == ["U0"]
    assert unit_cycles(manifest) == []


def test_check_manifest_for_a_reference_to_an_undeclared_unit() -> None:
    manifest = transfer(units=unit("U1", children=("GHOST",)))
    assert summary(kos(check_data_object_package(manifest))) == {
        (PACKAGE, "CHECK_MANIFEST", Outcome.KO, "U1")
    }


def test_existing_og_not_declared_for_a_unit_naming_an_object_of_a_declared_group() -> None:
    for objects in (group("G1", binary("O1")), binary("O1", names_group="G1")):
        manifest = transfer(objects, unit("U1", objects=("O1",)))
        assert summary(check_data_object_package(manifest)) == {
            (PACKAGE, "CHECK_MANIFEST.EXISTING_OG_NOT_DECLARED", Outcome.KO, "U1")
        }


def test_existing_og_not_declared_for_a_unit_naming_no_group_of_the_manifest() -> None:
    manifest = transfer(group("G1", binary("O1")), unit("U1", groups=("G1",)) + unit("U2", groups=("G9",)))
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, "CHECK_MANIFEST.EXISTING_OG_NOT_DECLARED", Outcome.KO, "U2")
    }


def test_a_unit_may_name_an_object_declared_without_group() -> None:
    manifest = transfer(binary("O1"), unit("U1", objects=("O1",)))
    assert check_data_object_package(manifest) == []


def test_archiveunit_references_multiple_objectgroup_for_a_unit_naming_two_groups() -> None:
    manifest = transfer(
        group("G1", binary("O1")) + group("G2", binary("O2")), unit("U1", groups=("G1", "G2"))
    )
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, "CHECK_MANIFEST.ARCHIVEUNIT_REFERENCES_MULTIPLE_OBJECTGROUP", Outcome.KO, "U1")
    }


def attached(system_id: str) -> Manifest:
    return transfer(
        group("G1", binary("O1")),
        unit(
            "U1",
            groups=("G1",),
            management=f"<UpdateOperation><SystemId>{system_id}</SystemId></UpdateOperation>",
        ),
    )


@pytest.mark.parametrize("system_id", ["_REPLACE_ME_", "", "aeaqaaaa", "unit-42"])
def test_invalid_guid_attachment_for_a_malformed_system_id(system_id: str) -> None:
    assert summary(check_data_object_package(attached(system_id))) == {
        (PACKAGE, "CHECK_MANIFEST.INVALID_GUID_ATTACHMENT", Outcome.KO, "U1")
    }


@pytest.mark.parametrize("system_id", [new_id(), VITAM_GUID], ids=["archipel", "vitam"])
def test_attachment_to_an_archipel_or_vitam_id_is_well_formed(system_id: str) -> None:
    assert check_data_object_package(attached(system_id)) == []


def test_check_consistency_for_an_object_group_no_unit_references() -> None:
    manifest = transfer(
        group("G1", binary("O1")) + binary("O2", names_group="G2") + binary("O3"), unit("U1", groups=("G1",))
    )
    assert summary(check_data_object_package(manifest)) == {
        (PACKAGE, "CHECK_CONSISTENCY", Outcome.KO, "G2"),
        (PACKAGE, "CHECK_CONSISTENCY", Outcome.KO, "O3"),
    }


def test_objects_list_empty_warning_for_a_manifest_without_objects() -> None:
    assert summary(check_data_object_package(transfer(units=unit("U1")))) == {
        (PACKAGE, "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY", Outcome.WARNING, None)
    }


def test_collects_every_finding_instead_of_stopping_at_the_first() -> None:
    manifest = transfer(
        group("G1", binary("O1", "Original", algorithm="md5")) + group("G2", binary("O2")),
        unit("U1", groups=("G1",), children=("U1",)) + unit("U2", title="", groups=("G9",)),
    )
    assert summary(all_findings(manifest)) == {
        (PACKAGE, f"{VERSION}.INVALIDE_ALGO", Outcome.KO, "O1"),
        (PACKAGE, f"{VERSION}.INVALID_DATAOBJECTVERSION", Outcome.KO, "O1"),
        (PACKAGE, "CHECK_MANIFEST.EXISTING_OG_NOT_DECLARED", Outcome.KO, "U2"),
        (PACKAGE, "CHECK_MANIFEST.CHECK_MANIFEST_LOOP", Outcome.KO, "U1"),
        (PACKAGE, "CHECK_CONSISTENCY", Outcome.KO, "G2"),
        (UNIT, "INVALID_UNIT", Outcome.KO, "U2"),
    }


# --- Unit schema -----------------------------------------------------------------------------


def one_unit(**fields: str) -> Manifest:
    return transfer(group("G1", binary("O1")), unit("U1", groups=("G1",), **fields))


@pytest.mark.parametrize("title", ["", "   "])
def test_invalid_unit_for_an_empty_title(title: str) -> None:
    assert summary(check_unit_schema(one_unit(title=title))) == {(UNIT, "INVALID_UNIT", Outcome.KO, "U1")}


def test_invalid_unit_for_a_unit_without_title() -> None:
    manifest = transfer(
        group("G1", binary("O1")),
        '<ArchiveUnit id="U1"><Content><DescriptionLevel>Item</DescriptionLevel></Content>'
        "<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>"
        "</ArchiveUnit>",
    )
    assert summary(check_unit_schema(manifest)) == {(UNIT, "INVALID_UNIT", Outcome.KO, "U1")}


def test_a_title_given_in_one_language_only_is_a_title() -> None:
    manifest = transfer(
        group("G1", binary("O1")),
        '<ArchiveUnit id="U1"><Content><Title xml:lang="oc">Deliberacions</Title></Content>'
        "<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>"
        "</ArchiveUnit>",
    )
    assert check_unit_schema(manifest) == []


def test_consistency_for_an_end_date_before_the_start_date() -> None:
    manifest = one_unit(
        content="<StartDate>2006-12-12T18:13:51.0</StartDate><EndDate>2005-07-14T18:55:32</EndDate>"
    )
    assert summary(check_unit_schema(manifest)) == {(UNIT, "CONSISTENCY", Outcome.KO, "U1")}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2016-06-03T15:28:00", "2016-06-03"),
        ("2016-06-03T10:00:00+02:00", "2016-06-03T09:00:00Z"),
        ("2016-06-03Z", "2016-06-03"),
        ("1888-01-01", "1888-12-31T23:59:59.999"),
    ],
)
def test_covered_period_compares_dates_at_the_precision_both_have(start: str, end: str) -> None:
    manifest = one_unit(content=f"<StartDate>{start}</StartDate><EndDate>{end}</EndDate>")
    assert check_unit_schema(manifest) == []


@pytest.mark.parametrize("start", ["9000-10-10", "9999-12-31", "12000-01-01"])
def test_invalid_unit_for_a_rule_starting_in_the_year_9000_or_later(start: str) -> None:
    manifest = one_unit(
        management=f"<StorageRule><Rule>R4</Rule><StartDate>{start}</StartDate></StorageRule>"
    )
    assert summary(check_unit_schema(manifest)) == {(UNIT, "INVALID_UNIT", Outcome.KO, "U1")}


def test_a_rule_starting_before_the_year_9000_is_accepted() -> None:
    manifest = one_unit(
        management="<AccessRule><Rule>ACC-1</Rule><StartDate>8999-12-31</StartDate><Rule>ACC-2</Rule></AccessRule>"
    )
    assert check_unit_schema(manifest) == []


@pytest.mark.parametrize(
    ("hold_end", "outcome"),
    [("2010-01-01", {(UNIT, "CONSISTENCY", Outcome.KO, "U1")}), ("2030-01-01", set())],
)
def test_consistency_for_a_hold_ending_before_it_starts(hold_end: str, outcome: set[Summary]) -> None:
    manifest = one_unit(
        management="<HoldRule><Rule>HOL-00002</Rule><StartDate>2020-01-01</StartDate>"
        f"<HoldEndDate>{hold_end}</HoldEndDate></HoldRule>"
    )
    assert summary(check_unit_schema(manifest)) == outcome
