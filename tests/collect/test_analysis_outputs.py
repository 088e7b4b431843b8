"""The CSV lists every file as the walk finds it; the HTML page stands alone and escapes every name."""

from __future__ import annotations

import csv
import hashlib
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path

from vrac_tree import PDF, VRAC, make_tree

from archipel.collect.analysis import analyse
from archipel.collect.analysis_csv import COLUMNS, CsvReport
from archipel.collect.analysis_html import render_html
from archipel.preservation.formats import FormatIdentifier

HOSTILE = "<img src=x onerror=alert(1)> & co.txt"
"""A name that would run a script in a page that did not escape it."""


class Page(HTMLParser):
    """The tags and the text of an HTML page, as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_csv_has_one_row_per_file_with_digest_format_date_and_problems(
    vrac: Path, identifier: FormatIdentifier, tmp_path: Path
) -> None:
    target = tmp_path / "fichiers.csv"
    with closing(CsvReport(target)) as report:
        analyse(vrac, identifier, on_file=report.write)

    with target.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = {row["path"]: row for row in reader}
    assert tuple(reader.fieldnames or ()) == COLUMNS
    assert set(rows) == set(VRAC)
    assert rows["rapport.pdf"] == {
        "path": "rapport.pdf",
        "size": str(len(PDF)),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "puid": "fmt/18",
        "modified": "2019-05-01T10:00:00+00:00",
        "problems": "",
    }
    assert rows["noms/CON.txt"]["problems"] == "RESERVED_NAME"
    assert rows["vide.txt"]["problems"] == "EMPTY_FILE" and rows["vide.txt"]["puid"] == ""
    assert rows["noms/tab\there.txt"]["problems"] == "CONTROL_CHARACTER"


def test_the_html_page_is_well_formed_self_contained_and_escapes_names(
    tmp_path: Path, identifier: FormatIdentifier
) -> None:
    root = make_tree(
        tmp_path / "dossier",
        {
            HOSTILE: (b"x\n", "2020-01-01T00:00:00"),
            "double/a.pdf": (PDF, "2021-01-01T00:00:00"),
            "double/b.pdf": (PDF, "2022-01-01T00:00:00"),
        },
    )

    html = render_html(analyse(root, identifier))
    page = Page(html)

    assert page.open == []
    assert "img" not in {tag for tag, _ in page.tags}
    assert not [attrs for _, attrs in page.tags if {"src", "href"} & set(attrs)]
    assert "<link" not in html and "<script" not in html
    text = "".join(page.text)
    assert HOSTILE in text and "double/a.pdf" in text and "fmt/18" in text
    charts = [attrs["aria-label"] for tag, attrs in page.tags if tag == "svg"]
    assert charts == ["Taille par format", "Taille par année de modification"]
    assert sum(1 for tag, _ in page.tags if tag == "rect") == 2 + 3  # 2 formats, 3 years


def test_the_html_page_says_when_formats_were_not_identified(vrac: Path) -> None:
    text = "".join(Page(render_html(analyse(vrac, None))).text)

    assert "Formats non identifiés" in text and "vide/" in text
