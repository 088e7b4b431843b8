"""The PRONOM format referential: read from a DROID signature file or our JSON export, shared by all."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from fido.versions import get_local_versions
from support import FIXTURES

from archipel.core.errors import Forbidden
from archipel.platform import Platform
from archipel.preservation.formats import FormatIdentifier
from archipel.referential.formats import export_formats, format_lines, formats_of_identifier, parse_formats
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService
from archipel.seda.xml import parse_untrusted

DROID_FILE = FIXTURES / "referentials" / "formats" / "DROID_SignatureFile_V122.xml"
NS = "http://www.nationalarchives.gov.uk/pronom/SignatureFile"


@pytest.fixture(scope="module")
def droid() -> bytes:
    return DROID_FILE.read_bytes()


def signature_file(*formats: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<FFSignatureFile xmlns="{NS}" Version="1">\n'
        "<InternalSignatureCollection/>\n<FileFormatCollection>\n"
        + "\n".join(formats)
        + "\n</FileFormatCollection>\n</FFSignatureFile>\n"
    ).encode()


def by_puid(documents: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {document["PUID"]: document for document in documents}


def test_reads_every_format_of_the_droid_signature_file(droid: bytes) -> None:
    documents, errors = parse_formats(droid)
    assert errors == []
    assert len(documents) == 2544
    assert by_puid(documents)["fmt/18"] == {
        "PUID": "fmt/18",
        "Name": "Acrobat PDF 1.4 - Portable Document Format",
        "Version": "1.4",
        "MIMETypes": ["application/pdf"],
        "Extensions": ["pdf"],
        "HasPriorityOverFileFormatID": ["fmt/134", "x-fmt/453"],  # DROID ids 687 and 869
    }


def test_splits_the_mime_types_droid_writes_in_one_attribute(droid: bytes) -> None:
    documents, _ = parse_formats(droid)
    assert by_puid(documents)["x-fmt/49"]["MIMETypes"] == [
        "application/dwf",
        "application/x-dwf",
        "drawing/x-dwf",
        "image/vnd.dwf",
        "image/x-dwf",
        "model/vnd.dwf",
    ]


def test_a_format_without_version_mime_or_extension_has_empty_fields() -> None:
    documents, errors = parse_formats(
        signature_file('<FileFormat ID="11" Name="Microsoft Word for Macintosh Document" PUID="x-fmt/2"/>')
    )
    assert errors == []
    assert documents == [
        {
            "PUID": "x-fmt/2",
            "Name": "Microsoft Word for Macintosh Document",
            "Version": "",
            "MIMETypes": [],
            "Extensions": [],
            "HasPriorityOverFileFormatID": [],
        }
    ]


def test_each_format_is_reported_at_the_line_it_starts(droid: bytes) -> None:
    documents, _ = parse_formats(droid)
    lines = format_lines(droid)
    assert len(lines) == len(documents)
    assert lines[list(by_puid(documents)).index("fmt/18")] == 53882


def test_an_exported_referential_is_accepted_again_unchanged(droid: bytes) -> None:
    documents, _ = parse_formats(droid)
    exported = export_formats(documents)
    again, errors = parse_formats(exported)
    assert errors == []
    assert again == documents
    text_lines = exported.decode().splitlines()
    assert all(text_lines[line - 1] == "  {" for line in format_lines(exported))


def test_rejects_signature_file_with_duplicate_puid() -> None:
    _, errors = parse_formats(
        signature_file(
            '<FileFormat ID="1" Name="PDF 1.4" PUID="fmt/18"/>',
            '<FileFormat ID="2" Name="PDF 1.4 again" PUID="fmt/18"/>',
        )
    )
    assert [(error.line, error.identifier) for error in errors] == [(6, "fmt/18")]
    assert "already given at line 5" in errors[0].message


def test_rejects_format_without_puid() -> None:
    _, errors = parse_formats(signature_file('<FileFormat ID="1" Name="PDF 1.4"/>'))
    assert [(error.line, error.message) for error in errors] == [(5, "missing PUID")]


def test_rejects_priority_over_an_internal_id_no_format_has() -> None:
    _, errors = parse_formats(
        signature_file(
            '<FileFormat ID="1" Name="PDF/A" PUID="fmt/95">\n'
            "<HasPriorityOverFileFormatID>999</HasPriorityOverFileFormatID>\n</FileFormat>"
        )
    )
    assert [(error.line, error.identifier) for error in errors] == [(6, "fmt/95")]
    assert "999" in errors[0].message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<FFSignatureFile><FileFormatCollection>", "not XML"),
        (b'<?xml version="1.0"?><formats/>', "not a DROID signature file"),
        (b"PUID,Name\nfmt/18,PDF\n", "neither a DROID signature file"),
        (b'<!DOCTYPE x [<!ENTITY e "PDF">]><FFSignatureFile/>', "not XML"),
    ],
)
def test_rejects_a_file_that_is_no_signature_file(data: bytes, expected: str) -> None:
    documents, errors = parse_formats(data)
    assert documents == []
    assert len(errors) == 1 and errors[0].message.startswith(expected)


def test_rejects_json_entries_of_the_wrong_shape() -> None:
    _, errors = parse_formats(
        b'[{"PUID": "fmt/18", "Name": "PDF", "Extensions": "pdf"},\n'
        b' {"PUID": "pdf", "Name": "PDF"},\n {"Name": "PDF", "Colour": "red"}]'
    )
    assert [(error.line, error.message) for error in errors] == [
        (1, "Extensions must be a list of strings"),
        (2, "PUID 'pdf' is not a PRONOM identifier (fmt/N or x-fmt/N)"),
        (3, "missing PUID"),
        (3, "unknown field(s) Colour"),
    ]


def test_the_default_referential_holds_every_pronom_format_of_the_identifier_signatures() -> None:
    documents = formats_of_identifier()
    versions = get_local_versions()
    signature = parse_untrusted(Path(versions.conf_dir) / versions.pronom_signature).getroot()
    assert {document["PUID"] for document in documents} == {puid.text for puid in signature.iter("puid")}
    assert len(documents) == len(by_puid(documents))
    assert parse_formats(export_formats(documents)) == (documents, [])


def test_the_default_referential_knows_the_formats_identified_in_a_sip(tmp_path: Path) -> None:
    with zipfile.ZipFile(FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip") as sip:
        sip.extractall(tmp_path)
    identifier = FormatIdentifier()
    found = {identifier.identify(path).puid for path in (tmp_path / "Content").iterdir()}
    known = by_puid(formats_of_identifier())
    assert found == {"fmt/18", "fmt/291"}  # PDF 1.4 and OpenDocument Text 1.2
    assert all(puid in known for puid in found)


def test_every_tenant_reads_the_formats_of_tenant_0(platform: Platform) -> None:
    service = ReferentialService(platform)
    assert service.get(1, "formats", "fmt/18")["Name"] == "Acrobat PDF 1.4 - Portable Document Format"
    assert len(service.entries(2, "formats")) == len(formats_of_identifier())


def test_only_tenant_0_changes_the_formats(platform: Platform, droid: bytes) -> None:
    service = ReferentialService(platform)
    with pytest.raises(Forbidden):
        service.import_file(1, "formats", droid)
    before = service.version(0, "formats")
    report = service.import_file(0, "formats", droid)
    assert report.version == before + 1
    assert len(service.entries(1, "formats")) == 2544


def test_a_faulty_formats_import_changes_nothing(platform: Platform) -> None:
    service = ReferentialService(platform)
    before = service.version(0, "formats")
    with pytest.raises(ImportRefused) as refused:
        service.import_file(
            0,
            "formats",
            b'[{"PUID": "fmt/95", "Name": "PDF/A", "HasPriorityOverFileFormatID": ["fmt/99999"]}]',
        )
    assert [error.identifier for error in refused.value.report.errors] == ["fmt/95"]
    assert service.version(0, "formats") == before
