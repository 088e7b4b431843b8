"""PRONOM identification on real archived files, and agreement with Fido's own matcher."""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fido.fido import Fido
from fido.versions import get_local_versions
from support import FIXTURES

from archipel.preservation.formats import BUFFER_BYTES, FormatIdentifier, keep_pronom_formats_only

OK_SIPS = sorted((FIXTURES / "sip/ok").glob("*.zip"))


@pytest.fixture(scope="module")
def identifier() -> FormatIdentifier:
    return FormatIdentifier()


@pytest.fixture(scope="module")
def archived_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every file of the accepted fixture SIPs, extracted once."""
    root = tmp_path_factory.mktemp("archived")
    files = []
    for sip in OK_SIPS:
        with zipfile.ZipFile(sip) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    files.append(Path(archive.extract(info, root / sip.stem)))
    return files


def from_fixture(tmp_path: Path, sip: str, entry: str) -> Path:
    with zipfile.ZipFile(FIXTURES / "sip" / sip) as archive:
        return Path(archive.extract(entry, tmp_path))


@pytest.mark.parametrize(
    ("sip", "entry", "puid", "basis"),
    [
        ("ok/OK_Caracteres_Asiatiques.zip", "Content/ID7.pdf", "fmt/18", "signature"),
        ("ok/WARNING_FORMT_PUID-incoherent.zip", "Content/ID5.pdf", "fmt/20", "signature"),
        (
            "ok/OK_SIP_test_differentes_langues.zip",
            "Content/JpddOUNiM4SgeBHfZy6fGepG9dV7ca.odt",
            "fmt/291",
            "container",
        ),
        ("ok/OK_Caracteres_Asiatiques.zip", "Content/ID13.odp", "fmt/293", "container"),
        ("ok/FRAD084_ReboisementVentoux.zip", "Content/1NUM_1.JPG", "fmt/43", "signature"),
        ("ok/Gallieni_metro_producteur1.zip", "Content/ID12.jpeg", "fmt/43", "signature"),
        ("ok/OK_RULES_COMPLEXE_COMPLETE.zip", "Content/ID13.txt", "x-fmt/111", "extension"),
        ("ok/OK_FILES_sans_extention.zip", "Content/KaO8AyZWnnzs6RYEujDXRlpxpYy3rQ", "fmt/18", "signature"),
    ],
)
def test_identifies_real_archived_files(
    identifier: FormatIdentifier, tmp_path: Path, sip: str, entry: str, puid: str, basis: str
) -> None:
    identification = identifier.identify(from_fixture(tmp_path, sip, entry))

    assert (identification.puid, identification.basis) == (puid, basis)
    assert identification.candidates[0] == puid
    assert identification.name


def test_identifies_a_png_with_its_name_and_mime_type(identifier: FormatIdentifier, tmp_path: Path) -> None:
    png = from_fixture(tmp_path, "ok/Gallieni_metro_producteur1.zip", _entry_ending("Gallieni", ".png"))

    identification = identifier.identify(png)

    assert (identification.puid, identification.mime) == ("fmt/12", "image/png")
    assert identification.name == "Portable Network Graphics"


def test_an_empty_file_has_no_format(identifier: FormatIdentifier, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")

    identification = identifier.identify(empty)

    assert identification.puid is None
    assert identification.candidates == ()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("notes", "Délibération du conseil municipal du 3 mars.\n", id="text-without-extension"),
        # a `.pdf` that does not start as a PDF is not taken for one on its name alone
        pytest.param("fake.pdf", "not a pdf\n", id="extension-of-a-format-with-a-signature"),
    ],
)
def test_a_name_alone_does_not_identify_a_file(
    identifier: FormatIdentifier, tmp_path: Path, name: str, content: str
) -> None:
    document = tmp_path / name
    document.write_text(content, encoding="utf-8")

    assert identifier.identify(document).puid is None


def test_keeps_every_candidate_when_priorities_do_not_decide(
    identifier: FormatIdentifier, tmp_path: Path
) -> None:
    text = tmp_path / "readme.asc"
    text.write_text("plain ASCII text\n", encoding="ascii")

    identification = identifier.identify(text)

    assert identification.candidates == ("x-fmt/22", "x-fmt/283")
    assert identification.puid == "x-fmt/22"


def test_identifies_word_ooxml_by_its_container_signature(
    identifier: FormatIdentifier, tmp_path: Path
) -> None:
    docx = tmp_path / "lettre.docx"
    content_types = (
        '<Types><Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", "<w:document/>")

    identification = identifier.identify(docx)

    assert (identification.puid, identification.basis) == ("fmt/412", "container")


def test_a_plain_zip_is_identified_by_its_binary_signature(
    identifier: FormatIdentifier, tmp_path: Path
) -> None:
    plain = tmp_path / "photos.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("a.txt", "a")

    identification = identifier.identify(plain)

    assert (identification.puid, identification.basis) == ("x-fmt/263", "signature")


def test_a_damaged_container_falls_back_to_its_binary_signature(
    identifier: FormatIdentifier, tmp_path: Path
) -> None:
    odt = from_fixture(tmp_path, "ok/OK_Caracteres_Asiatiques.zip", "Content/ID13.odp")
    odt.write_bytes(odt.read_bytes()[:4096])

    identification = identifier.identify(odt)

    assert identification.basis == "signature"
    assert identification.puid is not None


def test_binary_matching_agrees_with_fido_on_every_archived_file(
    identifier: FormatIdentifier, archived_files: list[Path]
) -> None:
    versions = get_local_versions()
    fido = Fido(
        quiet=True,
        handle_matches=lambda *args: None,
        conf_dir=versions.conf_dir,
        format_files=[versions.pronom_signature, versions.fido_extension_signature],
    )
    keep_pronom_formats_only(fido)
    for path in archived_files:
        data = path.read_bytes()
        for bof, eof in ((data[:BUFFER_BYTES], data[-BUFFER_BYTES:]), (data[:64], data[:64])):
            expected = sorted({fido.get_puid(fmt) for fmt, _ in fido.match_formats(bof, eof)})
            assert sorted(identifier.match_binary(bof, eof)) == expected, path


def test_identification_is_the_same_from_several_threads(
    identifier: FormatIdentifier, archived_files: list[Path]
) -> None:
    alone = [identifier.identify(path) for path in archived_files]

    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(identifier.identify, archived_files))

    assert together == alone


def test_identification_prints_nothing(
    identifier: FormatIdentifier, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "a.txt").write_text("a")

    for name in ("empty.txt", "a.txt"):
        identifier.identify(tmp_path / name)
    FormatIdentifier()

    assert capfd.readouterr() == ("", "")


def _entry_ending(sip_prefix: str, suffix: str) -> str:
    sip = next(path for path in OK_SIPS if path.name.startswith(sip_prefix))
    with zipfile.ZipFile(sip) as archive:
        return next(name for name in archive.namelist() if name.endswith(suffix))
