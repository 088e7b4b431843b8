"""A folder tree planned as units: the producer's classification kept, the CSV applied on top.

Folders are units (`RecordGrp` when they hold folders, `File` when they hold only files),
files are `Item` units with their file; dates come from modification times; links are
never followed; hidden and desktop system files are left out and said.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from vrac_tree import PDF, make_tree

from archipel.collect.folder_plan import FolderDefaults, Notice, plan_folder, units_of
from archipel.collect.metadata_csv import MetadataErrors, parse_metadata
from archipel.collect.sip_writer import PlannedUnit
from archipel.core.errors import InvalidRequest
from archipel.preservation.formats import FormatIdentifier

MAIRIE = {
    "Conseil/2023/PV séance 12.pdf": (PDF, "2023-12-12T18:00:00"),
    "Conseil/2024/PV séance 01.pdf": (PDF, "2024-01-16T18:00:00"),
    "Conseil/2024/ordre du jour.txt": (b"1. budget\n", "2024-01-09T09:00:00"),
    "Urbanisme/PC-001.pdf": (PDF, "2022-06-01T12:00:00"),
    "lisez-moi.txt": (b"versement 2024\n", "2024-02-01T08:00:00"),
}
"""A commune's shared folder: path → (bytes, modification time in UTC)."""


@pytest.fixture
def mairie(tmp_path: Path) -> Path:
    root = make_tree(tmp_path / "Mairie", MAIRIE)
    (root / "Archives vides").mkdir()
    return root


def by_key(plan: PlannedUnit) -> dict[str, PlannedUnit]:
    return {unit.key: unit for unit in units_of(plan)}


def test_folders_and_files_become_units_in_name_order(mairie: Path) -> None:
    plan = plan_folder(mairie, formats=False)

    assert [unit.key for unit in units_of(plan)] == [
        ".",
        "Archives vides",
        "Conseil",
        "Conseil/2023",
        "Conseil/2023/PV séance 12.pdf",
        "Conseil/2024",
        "Conseil/2024/PV séance 01.pdf",
        "Conseil/2024/ordre du jour.txt",
        "Urbanisme",
        "Urbanisme/PC-001.pdf",
        "lisez-moi.txt",
    ]


def test_levels_follow_the_shape_of_the_tree(mairie: Path) -> None:
    units = by_key(plan_folder(mairie, formats=False))

    levels = {key: unit.content["DescriptionLevel"] for key, unit in units.items()}
    assert levels["."] == "RecordGrp"  # the folder deposited
    assert levels["Conseil"] == "RecordGrp"  # holds folders
    assert levels["Conseil/2024"] == levels["Urbanisme"] == "File"  # holds only files
    assert levels["Archives vides"] == "File"  # holds nothing
    assert levels["Conseil/2024/ordre du jour.txt"] == levels["lisez-moi.txt"] == "Item"


def test_titles_are_names_and_files_carry_their_file(mairie: Path) -> None:
    units = by_key(plan_folder(mairie, formats=False))

    assert units["."].content["Title"] == "Mairie"
    assert units["Conseil/2024"].content["Title"] == "2024"
    item = units["Conseil/2024/PV séance 01.pdf"]
    assert item.content["Title"] == "PV séance 01"
    [master] = item.objects
    assert (master.filename, master.size, master.source) == (
        "PV séance 01.pdf",
        len(PDF),
        mairie / "Conseil/2024/PV séance 01.pdf",
    )
    assert (
        master.last_modified is not None and master.last_modified.isoformat() == "2024-01-16T18:00:00+00:00"
    )
    assert all(not unit.objects for unit in units.values() if unit.content["DescriptionLevel"] != "Item")


def test_the_root_title_and_rules_come_from_the_defaults(mairie: Path) -> None:
    rules = {"AccessRule": {"Rules": [{"Rule": "ACC-00001"}]}}

    plan = plan_folder(
        mairie, formats=False, defaults=FolderDefaults(title="Versement 2024", management=rules)
    )

    assert plan.content["Title"] == "Versement 2024"
    assert plan.management == rules
    assert all(not unit.management for unit in plan.children)


def test_dates_are_modification_days_and_a_folder_spans_its_content(mairie: Path) -> None:
    units = by_key(plan_folder(mairie, formats=False))

    def span(key: str) -> tuple[str | None, str | None]:
        return units[key].content.get("StartDate"), units[key].content.get("EndDate")

    assert span("Conseil/2024/ordre du jour.txt") == ("2024-01-09", "2024-01-09")
    assert span("Conseil/2024") == ("2024-01-09", "2024-01-16")
    assert span("Conseil") == ("2023-12-12", "2024-01-16")
    assert span(".") == ("2022-06-01", "2024-02-01")
    assert span("Archives vides") == (None, None)


def test_formats_are_identified_as_the_ingest_identifies_them(
    mairie: Path, identifier: FormatIdentifier
) -> None:
    units = by_key(plan_folder(mairie, identifier=identifier))

    pdf = units["Urbanisme/PC-001.pdf"].objects[0]
    text = units["lisez-moi.txt"].objects[0]
    assert pdf.format_id == identifier.identify(mairie / "Urbanisme/PC-001.pdf").puid
    assert pdf.format_id is not None and pdf.format_id.startswith("fmt/")
    assert (text.format_id, text.mime_type) == ("x-fmt/111", "text/plain")


def test_identification_reports_its_progress_by_file(mairie: Path, identifier: FormatIdentifier) -> None:
    reports: list[tuple[int, int]] = []

    plan_folder(mairie, identifier=identifier, progress=lambda *report: reports.append(report))

    assert reports == [(done, 5) for done in range(1, 6)]


def test_symbolic_links_are_skipped_and_reported_never_followed(mairie: Path, tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "ailleurs", {"secret.pdf": (PDF, "2020-01-01T00:00:00")})
    (mairie / "raccourci.pdf").symlink_to(outside / "secret.pdf")
    (mairie / "Conseil" / "vers ailleurs").symlink_to(outside, target_is_directory=True)
    notices: list[Notice] = []

    units = by_key(plan_folder(mairie, formats=False, on_notice=notices.append))

    assert "raccourci.pdf" not in units and "Conseil/vers ailleurs" not in units
    assert all("secret" not in key for key in units)
    assert {(notice.path, notice.code, notice.skipped) for notice in notices} == {
        ("raccourci.pdf", "SYMLINK", True),
        ("Conseil/vers ailleurs", "SYMLINK", True),
    }


def test_a_folder_given_as_a_link_is_refused(mairie: Path, tmp_path: Path) -> None:
    (tmp_path / "lien").symlink_to(mairie, target_is_directory=True)

    with pytest.raises(InvalidRequest, match="symbolic link"):
        plan_folder(tmp_path / "lien", formats=False)


def test_a_missing_folder_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="absent"):
        plan_folder(tmp_path / "absent", formats=False)


def test_hidden_and_desktop_system_files_are_left_out_and_reported(mairie: Path) -> None:
    for name in (".DS_Store", "Thumbs.db", "Conseil/desktop.ini", ".git/config"):
        (mairie / name).parent.mkdir(exist_ok=True)
        (mairie / name).write_bytes(b"x")
    notices: list[Notice] = []

    units = by_key(plan_folder(mairie, formats=False, on_notice=notices.append))

    assert not any(name in key for key in units for name in (".DS_Store", "Thumbs.db", "desktop.ini", ".git"))
    assert sorted((notice.path, notice.code) for notice in notices) == [
        (".DS_Store", "HIDDEN"),
        (".git", "HIDDEN"),  # once for the folder, not for what it holds
        ("Conseil/desktop.ini", "HIDDEN"),
        ("Thumbs.db", "HIDDEN"),
    ]


def test_hidden_entries_are_kept_when_asked(mairie: Path) -> None:
    (mairie / ".notes").write_bytes(b"x")

    units = by_key(plan_folder(mairie, formats=False, defaults=FolderDefaults(include_hidden=True)))

    assert ".notes" in units


def test_names_windows_would_refuse_are_reported_but_deposited(mairie: Path) -> None:
    (mairie / "CON.txt").write_bytes(b"x")
    (mairie / "bilan: 2024?.txt").write_bytes(b"x")
    notices: list[Notice] = []

    units = by_key(plan_folder(mairie, formats=False, on_notice=notices.append))

    assert {"CON.txt", "bilan: 2024?.txt"} <= set(units)
    assert {(notice.path, notice.code, notice.skipped) for notice in notices} == {
        ("CON.txt", "RESERVED_NAME", False),
        ("bilan: 2024?.txt", "FORBIDDEN_CHARACTER", False),
    }


METADATA = """\
File,Title,Description,DescriptionLevel,StartDate,EndDate,Keywords,AppraisalRule,AppraisalRule.FinalAction
.,Versement du secrétariat,,,,,,APP-00001:2024-01-01,Keep
Conseil,Conseil municipal,Délibérations et procès-verbaux,Series,,,conseil|délibérations,,
Conseil/2024/PV séance 01.pdf,Procès-verbal du 16 janvier 2024,,,2024-01-16,2024-01-17,,,
Urbanisme/PC-001.pdf,,,,01/06/2021,,,,
"""


def test_the_metadata_csv_overrides_titles_levels_dates_keywords_and_rules(mairie: Path) -> None:
    table = parse_metadata(METADATA.encode())

    units = by_key(plan_folder(mairie, formats=False, metadata=table))

    assert units["."].content["Title"] == "Versement du secrétariat"
    assert units["."].management == {
        "AppraisalRule": {"Rules": [{"Rule": "APP-00001", "StartDate": "2024-01-01"}], "FinalAction": "Keep"}
    }
    conseil = units["Conseil"].content
    assert (conseil["Title"], conseil["DescriptionLevel"]) == ("Conseil municipal", "Series")
    assert conseil["Description"] == "Délibérations et procès-verbaux"
    assert conseil["Keyword"] == [{"KeywordContent": "conseil"}, {"KeywordContent": "délibérations"}]
    pv = units["Conseil/2024/PV séance 01.pdf"].content
    assert (pv["Title"], pv["StartDate"], pv["EndDate"]) == (
        "Procès-verbal du 16 janvier 2024",
        "2024-01-16",
        "2024-01-17",
    )
    assert units["Conseil/2024"].content["EndDate"] == "2024-01-17"  # the span follows the CSV's dates
    urbanisme = units["Urbanisme/PC-001.pdf"].content
    assert (urbanisme["Title"], urbanisme["StartDate"], urbanisme["EndDate"]) == (
        "PC-001",
        "2021-06-01",
        "2022-06-01",
    )


def test_csv_rows_naming_nothing_deposited_are_errors_with_their_lines(mairie: Path) -> None:
    (mairie / "Thumbs.db").write_bytes(b"x")
    rows = ["Path;Title", "Conseil;Conseil municipal", "Conseil/2025;Séances 2025", "Thumbs.db;Vignettes"]
    table = parse_metadata("\n".join([*rows, "lisez-moi.txt;Lisez-moi", ""]).encode())

    with pytest.raises(MetadataErrors) as refused:
        plan_folder(mairie, formats=False, metadata=table)

    assert [(problem.line, problem.message) for problem in refused.value.problems] == [
        (3, "Conseil/2025: no such file or folder to deposit"),
        (4, "Thumbs.db: no such file or folder to deposit"),
    ]


def test_an_end_date_before_the_start_found_is_a_problem_of_the_row(mairie: Path) -> None:
    table = parse_metadata(b"File,EndDate\nConseil,2020-01-01\n")

    with pytest.raises(
        MetadataErrors, match="line 2: Conseil: StartDate 2023-12-12 is after EndDate 2020-01-01"
    ):
        plan_folder(mairie, formats=False, metadata=table)


def test_csv_problems_are_raised_before_any_format_is_identified(
    mairie: Path, identifier: FormatIdentifier
) -> None:
    identified: list[tuple[int, int]] = []
    table = parse_metadata(b"File,Title\nabsent.pdf,Absent\n")

    with pytest.raises(MetadataErrors):
        plan_folder(mairie, identifier=identifier, metadata=table, progress=lambda *r: identified.append(r))
    assert identified == []
