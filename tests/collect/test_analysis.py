"""The analysis of an unsorted folder reports exactly what the folder holds."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from vrac_tree import LONG_PATH, NFD_NAME, PDF, VRAC, make_tree

from archipel.collect import analysis_walk
from archipel.collect.analysis import AnalysisOptions, FileRecord, analyse
from archipel.collect.analysis_contents import DuplicateGroup
from archipel.core.errors import InvalidRequest
from archipel.preservation.formats import FormatIdentifier

TEXTS = 6 + 8 + 4 + 4 + 4 + 3 + 3 + 4 + 5
"""Bytes of the .txt files that are not empty."""


def test_counts_files_folders_size_and_depth(vrac: Path, identifier: FormatIdentifier) -> None:
    report = analyse(vrac, identifier)

    assert report.root == "vrac"
    assert (report.files, report.folders) == (
        len(VRAC),
        8,
    )  # a, a/b, a/b/c, a/b/c/d, long, long/p…, noms, vide
    assert report.bytes == sum(len(content) for content, _ in VRAC.values())
    assert report.depth == 5  # a/b/c/d/profond.txt


def test_lists_the_largest_folders_with_cumulative_sizes(vrac: Path, identifier: FormatIdentifier) -> None:
    report = analyse(vrac, identifier, AnalysisOptions(top=6))

    deep = len(PDF) + 8
    assert [(f.path, f.files, f.bytes) for f in report.largest_folders] == [
        ("a", 2, deep),
        ("a/b", 2, deep),
        ("a/b/c", 2, deep),
        ("a/b/c/d", 2, deep),
        ("noms", 7, 26),
        ("long", 1, 5),
    ]


def test_groups_formats_by_puid_with_counts_and_sizes(vrac: Path, identifier: FormatIdentifier) -> None:
    report = analyse(vrac, identifier)

    assert report.formats_identified and report.pronom_version
    assert [(f.puid, f.mime, f.files, f.bytes) for f in report.formats] == [
        ("fmt/18", "application/pdf", 3, 3 * len(PDF)),
        ("x-fmt/111", "text/plain", 9, TEXTS),
        (None, None, 2, 4),  # the empty file and `point.`, which has no extension
    ]
    assert report.formats[0].name == "Acrobat PDF 1.4 - Portable Document Format"


def test_finds_exact_duplicates_and_the_space_they_waste(vrac: Path, identifier: FormatIdentifier) -> None:
    duplicates = analyse(vrac, identifier).duplicates

    assert (duplicates.groups, duplicates.files, duplicates.wasted_bytes) == (1, 3, 2 * len(PDF))
    assert duplicates.largest == [
        DuplicateGroup(
            hashlib.sha256(PDF).hexdigest(),
            len(PDF),
            3,
            2 * len(PDF),
            ["Copie de rapport.pdf", "a/b/c/d/rapport (2).pdf", "rapport.pdf"],
        )
    ]


def test_reports_oldest_and_newest_dates_and_counts_by_year(vrac: Path, identifier: FormatIdentifier) -> None:
    dates = analyse(vrac, identifier).dates

    assert (dates.oldest.path, dates.oldest.modified) == (
        "a/b/c/d/rapport (2).pdf",
        "2018-12-31T23:59:59+00:00",
    )
    assert (dates.newest.path, dates.newest.modified) == (LONG_PATH, "2024-06-30T12:00:00+00:00")
    assert [(year.year, year.files, year.bytes) for year in dates.by_year] == [
        (2018, 1, len(PDF)),
        (2019, 1, len(PDF)),
        (2020, 1, len(PDF)),
        (2021, 2, 6),
        (2022, 1, 8),
        (2023, 7, 26),
        (2024, 1, 5),
    ]


def test_reports_every_problem_with_its_paths(vrac: Path, identifier: FormatIdentifier) -> None:
    report = analyse(vrac, identifier)

    assert {problem.code: problem.paths for problem in report.problems} == {
        "EMPTY_FILE": ["vide.txt"],
        "EMPTY_FOLDER": ["vide/"],
        "SYMLINK": ["lien"],
        "FORBIDDEN_CHARACTER": ["noms/bad:name?.txt"],
        "CONTROL_CHARACTER": ["noms/tab\there.txt"],
        "TRAILING_DOT_OR_SPACE": ["noms/point."],
        "RESERVED_NAME": ["noms/CON.txt"],
        "PATH_TOO_LONG": [LONG_PATH],
        "NOT_NFC": [NFD_NAME],
        "CASE_COLLISION": ["noms/README.txt", "noms/Readme.txt"],
    }
    assert report.problem("SYMLINK").severity == "warning"
    assert report.problem("RESERVED_NAME").severity == "error"


def test_does_not_follow_symbolic_links(tmp_path: Path, identifier: FormatIdentifier) -> None:
    outside = make_tree(tmp_path / "outside", {"secret.txt": (b"secret\n", "2020-01-01T00:00:00")})
    root = make_tree(tmp_path / "root", {"file.txt": (b"file\n", "2020-01-01T00:00:00")})
    (root / "loop").symlink_to(root)
    (root / "out").symlink_to(outside)

    report = analyse(root, identifier)

    assert report.files == 1 and report.folders == 0
    assert report.problem("SYMLINK").paths == ["loop", "out"]


def test_without_formats_identifies_nothing(vrac: Path) -> None:
    report = analyse(vrac, None)

    assert not report.formats_identified and report.pronom_version is None
    assert report.formats == []
    assert report.duplicates.wasted_bytes == 2 * len(PDF)


def test_identifies_each_content_once(
    vrac: Path, identifier: FormatIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    identified: list[str] = []
    real = identifier.identify

    def counting(path: Path):  # type: ignore[no-untyped-def]
        identified.append(path.name)
        return real(path)

    monkeypatch.setattr(identifier, "identify", counting)
    records: list[FileRecord] = []

    analyse(vrac, identifier, on_file=records.append)

    first_copies = [path for path, (content, _) in VRAC.items() if content and "rapport" not in path]
    assert sorted(identified) == sorted(Path(path).name for path in [*first_copies, "Copie de rapport.pdf"])
    assert [record.puid for record in records if record.path.endswith(".pdf")] == ["fmt/18"] * 3


def test_hands_every_file_record_over_as_it_goes(vrac: Path, identifier: FormatIdentifier) -> None:
    records: list[FileRecord] = []
    progress: list[tuple[int, int]] = []

    analyse(vrac, identifier, on_file=records.append, progress=lambda *done: progress.append(done))

    assert len(records) == len(VRAC) == len(progress)
    assert progress[-1] == (len(VRAC), sum(len(content) for content, _ in VRAC.values()))
    empty = next(record for record in records if record.path == "vide.txt")
    assert empty == FileRecord(
        "vide.txt", 0, hashlib.sha256(b"").hexdigest(), None, "2021-04-04T00:00:00+00:00", ("EMPTY_FILE",)
    )


def test_keeps_only_samples_of_paths_but_exact_counts(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "many", {f"empty-{n}.txt": (b"", "2020-01-01T00:00:00") for n in range(5)})

    report = analyse(root, None, AnalysisOptions(sample=2))

    empty = report.problem("EMPTY_FILE")
    assert (empty.count, empty.paths) == (5, ["empty-0.txt", "empty-1.txt"])
    assert report.duplicates.groups == 0  # empty files are empty, not duplicates


def test_shows_names_that_are_not_utf8_with_escapes(tmp_path: Path) -> None:
    root = tmp_path / "latin1"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as stream:
        stream.write(b"coffee\n")

    report = analyse(root, None)

    assert report.problem("NOT_UTF8").paths == ["caf\\xe9.txt"]


def test_reports_unreadable_files_and_folders_and_goes_on(
    vrac: Path, identifier: FormatIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scandir = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).endswith("/noms"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    def digest_file(path: Path, algorithms: tuple[str, ...]) -> dict[str, str]:
        if path.name == "notes.txt":
            raise PermissionError(13, "Permission denied")
        return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}

    monkeypatch.setattr(analysis_walk.os, "scandir", scandir)
    monkeypatch.setattr("archipel.collect.analysis.digest_file", digest_file)

    report = analyse(vrac, identifier)

    assert report.problem("UNREADABLE").paths == ["noms/", "notes.txt"]
    assert report.problem("EMPTY_FOLDER").paths == ["vide/"]  # unreadable is not empty
    assert report.files == len(VRAC) - 7


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file whatever its mode")
def test_reports_a_file_without_read_permission(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "locked", {"secret.txt": (b"secret\n", "2020-01-01T00:00:00")})
    (root / "secret.txt").chmod(0)

    report = analyse(root, None)

    assert report.problem("UNREADABLE").paths == ["secret.txt"]


def test_reports_special_files_without_opening_them(tmp_path: Path) -> None:
    root = tmp_path / "special"
    root.mkdir()
    os.mkfifo(root / "pipe")  # opening it would wait for a writer forever

    report = analyse(root, None)

    assert report.files == 0 and report.problem("SPECIAL_FILE").paths == ["pipe"]


def test_refuses_what_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")

    with pytest.raises(InvalidRequest, match="not a folder"):
        analyse(tmp_path / "file.txt", None)
    with pytest.raises(InvalidRequest, match="cannot read"):
        analyse(tmp_path / "missing", None)


def test_an_empty_folder_gives_an_empty_report(tmp_path: Path) -> None:
    report = analyse(tmp_path, None)

    assert (report.files, report.folders, report.bytes, report.depth) == (0, 0, 0, 0)
    assert report.dates.oldest is None and report.problems == [] and report.largest_folders == []
