"""The metadata CSV as spreadsheets write it, and every fault of it reported at once by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from archipel.collect.metadata_csv import LEVELS, MetadataErrors, UnitMetadata, parse_metadata, read_metadata
from archipel.core.errors import InvalidRequest


def row(text: str, path: str) -> UnitMetadata:
    table = parse_metadata(text.encode())
    table.check()
    found = table.get(path)
    assert found is not None, table.rows
    return found


def test_plain_columns_describe_a_unit() -> None:
    described = row(
        "File,Title,Description,DescriptionLevel,StartDate,EndDate,Keywords\n"
        "Conseil/2024,Séances 2024,Procès-verbaux,Series,2024-01-01,2024-12-31,conseil | budget\n",
        "Conseil/2024",
    )

    assert described.line == 2
    assert described.content == {
        "Title": "Séances 2024",
        "Description": "Procès-verbaux",
        "DescriptionLevel": "Series",
        "StartDate": "2024-01-01",
        "EndDate": "2024-12-31",
        "Keyword": [{"KeywordContent": "conseil"}, {"KeywordContent": "budget"}],
    }
    assert described.management == {}


def test_excel_in_french_semicolons_a_byte_order_mark_and_day_first_dates() -> None:
    described = row("\ufeffPath;Title;StartDate\nplan.pdf;Plan de la commune;20/03/2024\n", "plan.pdf")

    assert described.content == {"Title": "Plan de la commune", "StartDate": "2024-03-20"}


def test_seda_paths_as_resip_writes_them_are_column_names_too() -> None:
    described = row(
        "File,Content.Title,Content.Keyword.KeywordContent,Management.AppraisalRule.Rule,"
        "Management.AppraisalRule.StartDate,Management.AppraisalRule.FinalAction,Management.AccessRule.Rule\n"
        ".,Versement,archives,APP-00001|APP-00002:2020-05-05,2024-01-01,Destroy,ACC-00001\n",
        ".",
    )

    assert described.content == {"Title": "Versement", "Keyword": [{"KeywordContent": "archives"}]}
    assert described.management == {
        "AppraisalRule": {
            "Rules": [
                {"Rule": "APP-00001", "StartDate": "2024-01-01"},  # the category's start date
                {"Rule": "APP-00002", "StartDate": "2020-05-05"},  # its own
            ],
            "FinalAction": "Destroy",
        },
        "AccessRule": {"Rules": [{"Rule": "ACC-00001"}]},
    }


def test_column_names_ignore_case_and_empty_cells_change_nothing() -> None:
    described = row("path,TITLE,description,accessrule\nnotes.txt,Notes,,\n", "notes.txt")

    assert described.content == {"Title": "Notes"}
    assert described.management == {}


@pytest.mark.parametrize("written", [".", "", "./", "/"])
def test_the_folder_itself_is_dot(written: str) -> None:
    assert row(f"File,Title\n{written},Versement\n", ".").content == {"Title": "Versement"}


def test_paths_are_slash_separated_relative_and_compared_in_composed_unicode() -> None:
    table = parse_metadata("File,Title\n./Conseil\\2024/e\u0301te\u0301.txt,Été\n".encode())

    assert table.get("Conseil/2024/\u00e9t\u00e9.txt") is not None
    assert table.get("Conseil/2024/e\u0301te\u0301.txt") is not None


def test_every_problem_is_reported_with_its_line_before_anything_is_used() -> None:
    text = (
        "File,Title,Couleur,StartDate,EndDate,DescriptionLevel,AppraisalRule,StorageRule.FinalAction\n"  # 1
        "a.pdf,A,,2024-02-30,,,,\n"  # 2: no 30 February
        '"b.pdf","B, sur\ndeux lignes",,,,Dossier,,\n'  # 3-4: a level SEDA lacks (the row starts on 3)
        "c.pdf,C,,2024-05-01,2024-01-01,,,\n"  # 5: ends before it starts
        "a.pdf,A again,,,,,,\n"  # 6: twice
        "d.pdf,D,,,,,APP-00001,\n"  # 7: appraisal without its final action
        "e.pdf,E,,,,,,Burn\n"  # 8: not a storage final action
    )

    with pytest.raises(MetadataErrors) as refused:
        parse_metadata(text.encode(), "metadata.csv").check()

    assert [(problem.line, problem.message) for problem in refused.value.problems] == [
        (1, "unknown column 'Couleur'"),
        (2, "StartDate: '2024-02-30' is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        (3, "DescriptionLevel 'Dossier' is not one of " + ", ".join(LEVELS)),
        (5, "StartDate 2024-05-01 is after EndDate 2024-01-01"),
        (6, "a.pdf: already described on line 2"),
        (7, "AppraisalRule needs a final action (Keep or Destroy)"),
        (8, "StorageRule final action 'Burn' is not one of RestrictAccess, Transfer, Copy"),
    ]
    assert str(refused.value).startswith("metadata.csv: line 1: unknown column 'Couleur'; line 2: ")


def test_rule_cells_are_read_as_rule_identifiers_with_an_optional_start() -> None:
    with pytest.raises(
        MetadataErrors, match="line 2: start date of rule APP-00001: '2024-13-01' is not a date"
    ):
        parse_metadata(b"File,AppraisalRule,AppraisalRule.FinalAction\nx,APP-00001:2024-13-01,Keep\n").check()


def test_rows_naming_paths_not_planned_are_problems_of_their_lines() -> None:
    table = parse_metadata(b"File,Title\n.,Versement\nplan.pdf,Plan\nabsent.pdf,Absent\n")

    with pytest.raises(MetadataErrors) as refused:
        table.check([".", "plan.pdf"])

    assert [str(problem) for problem in refused.value.problems] == [
        "line 4: absent.pdf: no such file or folder to deposit"
    ]


def test_a_file_that_is_not_utf8_or_has_no_path_column_is_refused() -> None:
    with pytest.raises(MetadataErrors, match="line 1: not UTF-8 text"):
        parse_metadata("File,Title\nx,Délibération\n".encode("cp1252")).check()
    with pytest.raises(MetadataErrors, match="no File or Path column"):
        parse_metadata(b"Title\nx\n").check()
    with pytest.raises(MetadataErrors, match="the file is empty"):
        parse_metadata(b"").check()


def test_a_missing_csv_is_bad_usage_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match=r"absent\.csv"):
        read_metadata(tmp_path / "absent.csv")


def test_the_message_of_many_problems_stays_one_line(tmp_path: Path) -> None:
    csv_file = tmp_path / "metadata.csv"
    csv_file.write_text("File,StartDate\n" + "".join(f"f{n}.pdf,hier\n" for n in range(25)), encoding="utf-8")

    with pytest.raises(MetadataErrors) as refused:
        read_metadata(csv_file).check()

    assert len(refused.value.problems) == 25
    assert "\n" not in str(refused.value) and str(refused.value).endswith("(+15 more problems)")
