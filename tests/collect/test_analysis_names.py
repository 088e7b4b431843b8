"""Names a SIP or a Windows desktop would refuse are found, good French names are left alone."""

from __future__ import annotations

import pytest

from archipel.collect.analysis_names import (
    MAX_PATH_CHARS,
    NAME_PROBLEMS,
    colliding,
    name_problems,
    path_problems,
    printable,
)


@pytest.mark.parametrize(
    "name",
    ["Délibération n°12 du 3 mars 2023.pdf", "été.txt", "CONSEIL.txt", "console.log", "COM10", "a.b.c", "-"],
)
def test_accepts_ordinary_names(name: str) -> None:
    assert name_problems(name) == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("plan<v2>.pdf", "FORBIDDEN_CHARACTER"),
        ('dit "oui".txt', "FORBIDDEN_CHARACTER"),
        ("a:b", "FORBIDDEN_CHARACTER"),
        ("a\\b", "FORBIDDEN_CHARACTER"),
        ("pourquoi?.txt", "FORBIDDEN_CHARACTER"),
        ("tout*.txt", "FORBIDDEN_CHARACTER"),
        ("a|b", "FORBIDDEN_CHARACTER"),
        ("ligne\nnouvelle", "CONTROL_CHARACTER"),
        ("del\x7f", "CONTROL_CHARACTER"),
        ("fin.", "TRAILING_DOT_OR_SPACE"),
        ("fin ", "TRAILING_DOT_OR_SPACE"),
        ("CON", "RESERVED_NAME"),
        ("nul.txt", "RESERVED_NAME"),
        ("Aux.tar.gz", "RESERVED_NAME"),
        ("COM1", "RESERVED_NAME"),
        ("lpt9.doc", "RESERVED_NAME"),
        ("COM¹", "RESERVED_NAME"),
        ("PRN .txt", "RESERVED_NAME"),
        ("e" * 256, "NAME_TOO_LONG"),
        ("é" * 128, "NAME_TOO_LONG"),  # 128 characters but 256 bytes in UTF-8
        ("caf\udce9.txt", "NOT_UTF8"),
        ("e\u0301te\u0301.txt", "NOT_NFC"),
    ],
)
def test_finds_what_is_wrong_with_a_name(name: str, code: str) -> None:
    assert code in name_problems(name)
    assert code in NAME_PROBLEMS


def test_a_path_is_too_long_beyond_the_windows_limit() -> None:
    assert path_problems("a/" * (MAX_PATH_CHARS // 2) + "bc") == ["PATH_TOO_LONG"]
    assert path_problems("a" * MAX_PATH_CHARS) == []


def test_names_differing_only_by_case_or_unicode_form_collide() -> None:
    assert colliding(["Readme.txt", "README.txt", "été.txt", "e\u0301te\u0301.txt", "autre.txt"]) == {
        "Readme.txt",
        "README.txt",
        "été.txt",
        "e\u0301te\u0301.txt",
    }


def test_shows_bytes_that_are_not_utf8_as_escapes() -> None:
    assert printable("caf\udce9.txt") == "caf\\xe9.txt"
    assert printable("été") == "été"
