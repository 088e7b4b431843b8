"""CHECK_SEDA: the reference system's SIPs keep their outcome, then crafted manifests.

The fixtures' expected outcomes come from Vitam's tests (`expected.csv`): a SIP that Vitam
accepts, or refuses at a later step, must pass this step; one that Vitam refuses here
must be refused with the same code.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from support import FIXTURES, ExpectedSip, expected_sips

from archipel.ingest.findings import Outcome
from archipel.seda.validation import MAX_REPORTED_ERRORS, ManifestCheck, check_manifest

SEDA21 = "fr:gouv:culture:archivesdefrance:seda:v2.1"
OUR_CODES = ("NOT_XML_FILE", "UNSUPPORTED_SEDA_VERSION", "NOT_XSD_VALID")
_KEY = re.compile(r"^(?P<key>[A-Z0-9_.]+(?:\.KO|=KO))")


def step_key(sip: ExpectedSip) -> str | None:
    """The Vitam event a KO row names (`CHECK_SEDA.NOT_XSD_VALID.KO`), if it names one."""
    match = _KEY.match(sip.reason)
    return match["key"] if match else None


def has_manifest(sip: ExpectedSip) -> bool:
    with zipfile.ZipFile(sip.path) as archive:
        return "manifest.xml" in archive.namelist()


ACCEPTED = [sip for sip in expected_sips() if sip.expected in ("OK", "WARNING")]
REFUSED_HERE = [
    sip
    for sip in expected_sips()
    if sip.expected == "KO"
    and (step_key(sip) or "").split(".")[:2] in (["CHECK_SEDA", code] for code in OUR_CODES)
]
REFUSED_LATER = [
    sip
    for sip in expected_sips()
    if sip.expected == "KO" and sip not in REFUSED_HERE and step_key(sip) is not None and has_manifest(sip)
]


def fixture_manifest(sip: Path, tmp_path: Path) -> Path:
    with zipfile.ZipFile(sip) as archive:
        target = tmp_path / "manifest.xml"
        target.write_bytes(archive.read("manifest.xml"))
    return target


def checked_fixture(name: str, tmp_path: Path) -> ManifestCheck:
    return check_manifest(fixture_manifest(FIXTURES / name, tmp_path))


def refusals(check: ManifestCheck) -> list[str]:
    return [finding.key for finding in check.findings if finding.outcome is Outcome.KO]


def manifest(
    content: str = "<Title>Délibérations</Title>", namespace: str = SEDA21, management: str = ""
) -> str:
    """A minimal SEDA manifest: one archive unit, whose `Content` (and `Management`) is given."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="{namespace}">
  <Date>2024-03-01T10:00:00</Date>
  <MessageIdentifier>VERSEMENT-2024-001</MessageIdentifier>
  <CodeListVersions/>
  <DataObjectPackage>
    <DescriptiveMetadata>
      <ArchiveUnit id="AU1">
        {f"<Management>{management}</Management>" if management else ""}
        <Content>
          {content}
        </Content>
      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>MAIRIE</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AD84</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>MAIRIE</Identifier></TransferringAgency>
</ArchiveTransfer>
"""


def with_doctype(text: str, internal_subset: str | None = None) -> str:
    subset = f" [{internal_subset}]" if internal_subset is not None else ""
    return text.replace("<ArchiveTransfer", f"<!DOCTYPE ArchiveTransfer{subset}>\n<ArchiveTransfer")


def check_text(text: str, tmp_path: Path) -> ManifestCheck:
    path = tmp_path / "manifest.xml"
    path.write_text(text, encoding="utf-8")
    return check_manifest(path)


# --- the reference system's SIPs -------------------------------------------------------


@pytest.mark.parametrize("sip", ACCEPTED, ids=lambda sip: sip.name)
def test_accepts_every_sip_the_reference_system_accepts(sip: ExpectedSip, tmp_path: Path) -> None:
    check = check_manifest(fixture_manifest(sip.path, tmp_path))
    assert check.findings == []
    assert check.tree is not None
    assert check.seda_version in ("2.1", "2.2", "2.3")


@pytest.mark.parametrize("sip", REFUSED_HERE, ids=lambda sip: sip.name)
def test_refuses_with_the_reference_systems_code(sip: ExpectedSip, tmp_path: Path) -> None:
    check = check_manifest(fixture_manifest(sip.path, tmp_path))
    assert set(refusals(check)) == {step_key(sip)}
    assert all(
        finding.step == "CHECK_SEDA" and finding.target == "manifest.xml" for finding in check.findings
    )


@pytest.mark.parametrize("sip", REFUSED_LATER, ids=lambda sip: sip.name)
def test_lets_sips_refused_by_a_later_step_through(sip: ExpectedSip, tmp_path: Path) -> None:
    check = check_manifest(fixture_manifest(sip.path, tmp_path))
    assert refusals(check) == []


def test_the_fixture_lists_cover_every_code_of_this_step() -> None:
    assert {step_key(sip) for sip in REFUSED_HERE} == {f"CHECK_SEDA.{code}.KO" for code in OUR_CODES}
    assert len(ACCEPTED) == 38


def test_refuses_the_obsolete_signature_element_in_a_seda_23_manifest(tmp_path: Path) -> None:
    check = checked_fixture("sip/ko/KO_SEDA_2.3_Signature.zip", tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XSD_VALID.KO"]
    assert "<Signature> at line 75" in check.findings[0].message


def test_xsd_finding_names_the_element_the_line_and_the_reason(tmp_path: Path) -> None:
    check = checked_fixture("sip/ko/KO_AU_GOT_VIDE.zip", tmp_path)
    [finding] = check.findings
    assert finding.message.startswith("line 184, <DataObjectGroupReferenceId>: ")
    assert "'' is not a valid value" in finding.message
    assert "{" not in finding.message


def test_names_the_unknown_element_that_displaced_a_seda_element(tmp_path: Path) -> None:
    check = checked_fixture("sip/ko/KO_2216_CA2_non_conforme_SEDA.zip", tmp_path)
    assert "<PhysicalDimensions>" in check.findings[0].message
    assert "<InvalidSEDA> at line 51" in check.findings[0].message


def test_refuses_a_seda_22_code_list_in_a_seda_21_header(tmp_path: Path) -> None:
    check = checked_fixture("sip/ko/SIP_2.1_WITH_FIELD_2.2.zip", tmp_path)
    assert "<HoldRuleCodeListVersion> at line 25" in check.findings[0].message


def test_returns_the_manifest_as_written_with_its_extension_elements(tmp_path: Path) -> None:
    check = checked_fixture("sip/ok/Gallieni_metro_producteur1.zip", tmp_path)
    assert check.tree is not None
    assert check.tree.getroot().find(f".//{{{SEDA21}}}titi") is not None


# --- extension points --------------------------------------------------------------------


def test_accepts_an_extension_element_at_the_end_of_content_silently(tmp_path: Path) -> None:
    check = check_text(manifest("<Title>Plan</Title><Echelle><Valeur>1/500</Valeur></Echelle>"), tmp_path)
    assert check.findings == []


def test_accepts_an_extension_element_in_another_namespace(tmp_path: Path) -> None:
    content = '<Title>Plan</Title><cad:Parcelle xmlns:cad="urn:example:cadastre">AB 12</cad:Parcelle>'
    assert check_text(manifest(content), tmp_path).findings == []


def test_accepts_an_extension_element_at_the_end_of_management(tmp_path: Path) -> None:
    management = "<AccessRule><Rule>ACC-00001</Rule></AccessRule><Gel><Motif>contentieux</Motif></Gel>"
    assert check_text(manifest(management=management), tmp_path).findings == []


def test_refuses_an_unknown_element_where_seda_has_no_extension_point(tmp_path: Path) -> None:
    check = check_text(manifest("<Echelle>1/500</Echelle><Title>Plan</Title>"), tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XSD_VALID.KO"]
    assert "<Title>" in check.findings[0].message
    assert "<Echelle> at line 11" in check.findings[0].message


def test_refuses_an_unknown_element_in_a_part_without_extension_point(tmp_path: Path) -> None:
    text = manifest().replace("<MessageIdentifier>", "<Urgence>oui</Urgence><MessageIdentifier>")
    check = check_text(text, tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XSD_VALID.KO"]
    assert "<Urgence>" in check.findings[0].message


def test_a_seda_element_cannot_pass_as_an_extension_out_of_its_place(tmp_path: Path) -> None:
    check = check_text(
        manifest("<Title>Plan</Title><Echelle>1/500</Echelle><Description>d</Description>"), tmp_path
    )
    assert refusals(check) == ["CHECK_SEDA.NOT_XSD_VALID.KO"]
    assert check.findings[0].message.startswith("line 11, <Description>")


def test_accepts_the_seda_22_agent_where_seda_21_has_its_agent_extension_point(tmp_path: Path) -> None:
    agents = (
        "<Agent><FullName>Jean Dupont</FullName></Agent><Writer><FullName>Marie Curie</FullName></Writer>"
    )
    content = f"<Title>Plan</Title>{agents}"
    assert check_text(manifest(content), tmp_path).findings == []


def test_still_validates_the_datatypes_of_seda_elements(tmp_path: Path) -> None:
    check = check_text(manifest("<DescriptionLevel>Dossier</DescriptionLevel><Title>Plan</Title>"), tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XSD_VALID.KO"]
    assert "'Dossier'" in check.findings[0].message


def test_gives_lines_past_65535_exactly(tmp_path: Path) -> None:
    blank_lines = "\n" * 70_000
    check = check_text(manifest(f"{blank_lines}<DescriptionLevel>Dossier</DescriptionLevel>"), tmp_path)
    assert check.findings[0].message.startswith("line 70011, <DescriptionLevel>")


def test_reports_every_xsd_error_up_to_a_cap(tmp_path: Path) -> None:
    invalid_content = "<Content><DescriptionLevel>Dossier</DescriptionLevel></Content>"
    units = "".join(
        f'<ArchiveUnit id="UNIT{n}">{invalid_content}</ArchiveUnit>' for n in range(MAX_REPORTED_ERRORS + 10)
    )
    text = manifest().replace("<DescriptiveMetadata>", f"<DescriptiveMetadata>{units}")
    check = check_text(text, tmp_path)
    assert len(check.findings) == MAX_REPORTED_ERRORS + 1
    assert check.findings[-1].message == "…and 10 more XSD errors"
    assert set(refusals(check)) == {"CHECK_SEDA.NOT_XSD_VALID.KO"}


# --- what is not a SEDA manifest ------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "declaration"),
    [
        pytest.param("&xxe;", '<!ENTITY xxe SYSTEM "file://{secret}">', id="external-entity"),
        pytest.param(
            "&leak;", '<!ENTITY % ext SYSTEM "file://{secret}"> %ext;', id="external-parameter-entity"
        ),
    ],
)
def test_refuses_an_external_entity_without_reading_the_file(
    tmp_path: Path, reference: str, declaration: str
) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "MOT-DE-PASSE-DU-MAIRE">MOT-DE-PASSE-DU-MAIRE')
    text = with_doctype(manifest(f"<Title>{reference}</Title>"), declaration.format(secret=secret))
    check = check_text(text, tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XML_FILE.KO"]
    assert check.tree is None
    assert "MOT-DE-PASSE" not in repr(check)


def test_refuses_a_billion_laughs_manifest(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    text = with_doctype(manifest("<Title>&lol9;</Title>"), "".join(entities))
    check = check_text(text, tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XML_FILE.KO"]
    assert check.tree is None


def test_refuses_a_manifest_with_a_doctype(tmp_path: Path) -> None:
    text = with_doctype(manifest())
    check = check_text(text, tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XML_FILE.KO"]
    assert "DOCTYPE" in check.findings[0].message


def test_refuses_a_pdf_named_manifest_xml(tmp_path: Path) -> None:
    path = tmp_path / "manifest.xml"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    check = check_manifest(path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XML_FILE.KO"]
    assert "line 1, column 1" in check.findings[0].message
    assert check.tree is None and check.seda_version is None


def test_gives_the_position_of_a_well_formedness_error(tmp_path: Path) -> None:
    check = check_text(manifest().replace("</Title>", "</Titre>"), tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XML_FILE.KO"]
    assert "at line 11, column" in check.findings[0].message


def test_refuses_an_unknown_namespace_naming_it(tmp_path: Path) -> None:
    check = check_text(manifest(namespace="fr:gouv:culture:archivesdefrance:seda:v3.0"), tmp_path)
    assert refusals(check) == ["CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO"]
    assert "fr:gouv:culture:archivesdefrance:seda:v3.0" in check.findings[0].message
    assert check.tree is not None and check.seda_version is None


def test_refuses_a_manifest_without_namespace(tmp_path: Path) -> None:
    check = check_text(manifest().replace(f' xmlns="{SEDA21}"', ""), tmp_path)
    assert refusals(check) == ["CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO"]
    assert "no namespace" in check.findings[0].message


def test_refuses_another_seda_message_than_an_archive_transfer(tmp_path: Path) -> None:
    text = f'<ArchiveTransferReply xmlns="{SEDA21}"><Date>2024-03-01T10:00:00</Date></ArchiveTransferReply>'
    check = check_text(text, tmp_path)
    assert refusals(check) == ["CHECK_SEDA.NOT_XSD_VALID.KO"]
    assert check.seda_version == "2.1"
