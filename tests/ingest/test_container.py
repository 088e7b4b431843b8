"""SIP layout rules (manifest name, one file at the root, one Content folder), as Vitam applies them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support import FIXTURES

from archipel.ingest.container import check_container_layout


def keys(names: list[str]) -> list[tuple[str, str | None]]:
    return [(finding.key, finding.target) for finding in check_container_layout(names).findings]


def entry_names(sip: Path) -> list[str]:
    with zipfile.ZipFile(sip) as archive:
        return archive.namelist()


@pytest.mark.parametrize(
    "name",
    ["manifest.xml", "MonNouveau-manifest.xml", "UnAutreBordereau_manifest.xml", "lot_2024-manifest.xml"],
)
def test_accepts_the_manifest_names_vitam_accepts(name: str) -> None:
    layout = check_container_layout([name, "Content/ID1.pdf"])

    assert layout.findings == []
    assert layout.manifest == name
    assert layout.content_folder == "Content"


@pytest.mark.parametrize(
    "name",
    [
        "Manifest.xml",
        "manifest.XML",
        "bordereau.xml",
        "mon manifest.xml",
        "\u00e9t\u00e9_manifest.xml",
        "manifestXxml",
    ],
)
def test_refuses_other_names_as_vitam_does(name: str) -> None:
    layout = check_container_layout([name, "Content/ID1.pdf"])

    assert layout.manifest is None
    assert keys([name, "Content/ID1.pdf"]) == [("MANIFEST_FILE_NAME_CHECK.KO", None)]


def test_a_manifest_inside_a_folder_is_not_the_manifest() -> None:
    assert keys(["Content/manifest.xml"])[0] == ("MANIFEST_FILE_NAME_CHECK.KO", None)


def test_prefix_is_limited_to_fifty_seven_characters() -> None:
    assert check_container_layout(["a" * 56 + "_manifest.xml"]).manifest is not None
    assert check_container_layout(["a" * 57 + "_manifest.xml"]).manifest is None


def test_accepts_a_lower_case_content_folder() -> None:
    layout = check_container_layout(["manifest.xml", "content/", "content/a.pdf"])

    assert layout.findings == []
    assert layout.content_folder == "content"


def test_accepts_a_sip_without_objects() -> None:
    layout = check_container_layout(["manifest.xml"])

    assert layout.findings == []
    assert layout.content_folder is None


def test_refuses_any_second_file_at_the_root() -> None:
    assert keys(["manifest.xml", "notes.txt", "Content/a.pdf"]) == [
        ("CHECK_SEDA.CONTAINER_FORMAT.FILE.KO", "notes.txt")
    ]


def test_refuses_a_root_folder_not_named_content() -> None:
    assert keys(["manifest.xml", "Objets/a.pdf"]) == [("CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO", "Objets")]


def test_refuses_two_spellings_of_the_content_folder() -> None:
    assert keys(["manifest.xml", "Content/a.pdf", "content/b.pdf"]) == [
        ("CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO", "content")
    ]


def test_refuses_the_real_sip_without_manifest() -> None:
    layout = check_container_layout(entry_names(FIXTURES / "sip/ko/KO_BORD_absent.zip"))

    assert [finding.key for finding in layout.findings] == ["MANIFEST_FILE_NAME_CHECK.KO"]


def test_refuses_the_real_sip_with_two_manifests() -> None:
    layout = check_container_layout(entry_names(FIXTURES / "sip/ko/KO_DEUX-Manifest.zip"))

    assert layout.manifest == "manifest.xml"
    assert [(f.key, f.target) for f in layout.findings] == [
        ("CHECK_SEDA.CONTAINER_FORMAT.FILE.KO", "manifest-copy.xml")
    ]


def test_refuses_the_real_sip_with_two_content_folders() -> None:
    layout = check_container_layout(entry_names(FIXTURES / "sip/ko/KO_DEUX_Contents.zip"))

    assert [(f.key, f.target) for f in layout.findings] == [
        ("CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO", "Content-copy")
    ]


@pytest.mark.parametrize("sip", sorted((FIXTURES / "sip/ok").glob("*.zip")), ids=lambda path: path.name)
def test_every_accepted_fixture_has_a_sound_layout(sip: Path) -> None:
    layout = check_container_layout(entry_names(sip))

    assert layout.findings == []
    assert layout.manifest == "manifest.xml"
