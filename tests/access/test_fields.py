"""One `unit_fields` row per leaf value of a description, named so any criterion is one lookup."""

from __future__ import annotations

from archipel.access.fields import as_number, unit_field_rows
from archipel.access.leaves import element_prefix_length
from archipel.access.model import FIELD_VALUE_LENGTH


def test_every_leaf_is_a_row_with_its_path_element_and_forms() -> None:
    content = {
        "Title": "Délibération",
        "Title_": {"fr": "Délibération", "en": "Minutes"},
        "Keyword": [
            {"KeywordType": "geogname", "KeywordContent": {"#text": "Paris", "@lang": "fr"}},
            {"KeywordContent": "Lyon"},
        ],
        "Pages": "12",
    }
    rows = unit_field_rows(content)
    assert [(row["path"], row["value"], row["folded"], row["number"]) for row in rows] == [
        ("Title", "Délibération", "deliberation", None),
        ("Title_.fr", "Délibération", "deliberation", None),
        ("Title_.en", "Minutes", "minutes", None),
        ("Keyword.KeywordType", "geogname", "geogname", None),
        ("Keyword.KeywordContent", "Paris", "paris", None),
        ("Keyword.KeywordContent.@lang", "fr", "fr", None),
        ("Keyword.KeywordContent", "Lyon", "lyon", None),
        ("Pages", "12", "12", 12.0),
    ]
    assert all(set(row) == {"path", "element", "value", "folded", "number"} for row in rows)


def test_the_element_names_the_instance_a_value_belongs_to() -> None:
    rows = unit_field_rows(
        {"Keyword": [{"KeywordType": "geogname", "KeywordContent": "Paris"}, {"KeywordContent": "Lyon"}]}
    )
    length = element_prefix_length("Keyword")
    instances = [row["element"][:length] for row in rows]
    assert instances[0] == instances[1] != instances[2]
    assert rows[2]["element"].startswith(instances[2])
    single = unit_field_rows({"Writer": {"FullName": "Hugo", "BirthPlace": {"City": "Besançon"}}})
    writer = element_prefix_length("Writer")
    assert single[0]["element"][:writer] == single[1]["element"][:writer]


def test_long_values_are_cut_and_numbers_recognised() -> None:
    long = "é" * (FIELD_VALUE_LENGTH + 10)
    (row,) = unit_field_rows({"Description": long})
    assert row["value"] == long[:FIELD_VALUE_LENGTH]
    assert row["folded"] == "e" * FIELD_VALUE_LENGTH
    assert [as_number(text) for text in ("12", "-3.5", "1e3", " 7 ")] == [12.0, -3.5, 1000.0, 7.0]
    assert [as_number(text) for text in ("2020-01-31", "12a", "", "nan", "1e999")] == [None] * 5


def test_scalars_other_than_text_and_too_deep_paths() -> None:
    rows = unit_field_rows({"Flag": True, "Count": 3, "Nothing": None, "x" * 120: {"y" * 120: "deep"}})
    assert [(row["path"], row["value"], row["number"]) for row in rows] == [
        ("Flag", "true", None),
        ("Count", "3", 3.0),
    ]
