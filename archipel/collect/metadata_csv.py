"""The metadata CSV of `archipel sip build`: one row per file or folder, overriding the defaults.

An archivist describes a folder tree in a spreadsheet (titles, dates, keywords, rules)
rather than renaming files; this reads that spreadsheet. Each row names a path relative
to the folder deposited and says what its unit should hold instead of what the folder
walk found. Every fault of the file is found in one read and reported together with its
line number (`MetadataErrors`), before anything is written: fixing a spreadsheet one
refusal at a time is what this saves.

The file: UTF-8 with or without byte order mark (what Excel and LibreOffice write),
fields separated by `,` or `;` (the French Excel default), the first line naming the
columns. Column names are matched without regard to case; each may also be written as
the SEDA path ReSIP uses (`Content.Title`, `Management.AppraisalRule.Rule`):

=============================  =============================================================
column                         value
=============================  =============================================================
`File` or `Path`               the path below the folder, `/`-separated (`\\` is read as
                               `/`); `.` or empty is the folder itself. Required.
`Title`                        `Content.Title`
`Description`                  `Content.Description`
`DescriptionLevel`             one of SEDA's levels (`RecordGrp`, `File`, `Item`, `Series`...)
`StartDate`, `EndDate`         `YYYY-MM-DD` or `DD/MM/YYYY`
`Keywords` (or `Keyword`,      keywords separated by `|`, each a `Keyword/KeywordContent`
`Content.Keyword.KeywordContent`)
`AppraisalRule` (or            `RULEID[:START]`, several separated by `|`; likewise
`Management.AppraisalRule.Rule`)  `AccessRule`, `StorageRule`, `DisseminationRule`,
                               `ReuseRule`
`AppraisalRule.StartDate`      the start date of the category's rules written without one
`AppraisalRule.FinalAction`    `Keep` or `Destroy` (`StorageRule.FinalAction`:
                               `RestrictAccess`, `Transfer` or `Copy`); required by SEDA
                               with appraisal and storage rules
=============================  =============================================================

An empty cell changes nothing. A column this table does not list, a path twice, a bad
date or level, a row naming a path the folder does not hold (or holds as something that
is not deposited, a link or a hidden file): each is a problem of its line.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from archipel.collect.rule_spec import CATEGORIES, RuleSpecError, category_block, parse_day, parse_rule
from archipel.core.errors import InvalidRequest
from archipel.seda.schema import XSD_ROOT

ROOT_PATH = "."
LIST_SEPARATOR = "|"
DELIMITERS = (",", ";")
XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
LEVEL_TYPE_XSD = XSD_ROOT / "2.2" / "seda-2.2-ontology.xsd"


def _levels() -> tuple[str, ...]:
    """SEDA's `LevelType`, read from the bundled XSD: the one place the levels are listed."""
    schema = etree.parse(str(LEVEL_TYPE_XSD))
    query = '//xsd:simpleType[@name="LevelType"]//xsd:enumeration/@value'
    return tuple(str(value) for value in schema.xpath(query, namespaces={"xsd": XSD_NAMESPACE}))


LEVELS = _levels()
PATH_COLUMNS = ("file", "path")
TEXT_FIELDS = ("Title", "Description")
DATE_FIELDS = ("StartDate", "EndDate")
CONTENT_FIELDS = {name.lower(): name for name in (*TEXT_FIELDS, *DATE_FIELDS, "DescriptionLevel")}
KEYWORD_COLUMNS = ("keywords", "keyword", "keyword.keywordcontent")
SEDA_PREFIXES = ("content.", "management.")
RULE_PARTS = {"": "Rule", "rule": "Rule", "startdate": "StartDate", "finalaction": "FinalAction"}
MAX_PROBLEMS_IN_MESSAGE = 10


@dataclass(frozen=True)
class CsvProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class MetadataErrors(InvalidRequest):
    """The metadata CSV cannot be used as it is; `problems` lists every fault, by line."""

    code = "METADATA_CSV"

    def __init__(self, source: str, problems: Iterable[CsvProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line)
        shown = "; ".join(str(problem) for problem in self.problems[:MAX_PROBLEMS_IN_MESSAGE])
        more = len(self.problems) - MAX_PROBLEMS_IN_MESSAGE
        super().__init__(f"{source}: {shown}" + (f" (+{more} more problems)" if more > 0 else ""))


@dataclass(frozen=True)
class UnitMetadata:
    """What one row says of its unit, in the shapes of `PlannedUnit`."""

    line: int
    path: str
    content: dict[str, Any] = field(default_factory=dict)
    """Overrides of `Content`, e.g. `{"Title": ..., "Keyword": [{"KeywordContent": ...}]}`."""
    management: dict[str, Any] = field(default_factory=dict)
    """Rule categories, replacing those of the unit."""


@dataclass
class MetadataTable:
    """The rows of a metadata CSV by path, and the problems found reading them."""

    source: str
    rows: dict[str, UnitMetadata] = field(default_factory=dict)
    problems: list[CsvProblem] = field(default_factory=list)
    first_lines: dict[str, int] = field(default_factory=dict, repr=False)
    """The line each path is first named on, its row valid or not (a second row is a problem)."""

    def get(self, path: str) -> UnitMetadata | None:
        """The row of a unit's path (as a folder walk gives it: `/`-separated, `.` the root)."""
        return self.rows.get(_comparable(path))

    def check(self, known: Iterable[str] = ()) -> None:
        """Raises `MetadataErrors` with every problem, and every row whose path is not `known`
        (paths of the planned units); with no `known`, the rows' own problems only."""
        paths = {_comparable(path) for path in known}
        unknown = [
            CsvProblem(row.line, f"{row.path}: no such file or folder to deposit")
            for key, row in self.rows.items()
            if paths and key not in paths
        ]
        if self.problems or unknown:
            raise MetadataErrors(self.source, [*self.problems, *unknown])


def read_metadata(path: Path) -> MetadataTable:
    """The table of a CSV file; its problems are kept in it (`check` raises them all)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidRequest(f"{path}: cannot read the metadata CSV ({error.strerror})") from None
    return parse_metadata(data, str(path))


def parse_metadata(data: bytes, source: str = "metadata CSV") -> MetadataTable:
    table = MetadataTable(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        table.problems.append(CsvProblem(1, f"not UTF-8 text ({error.reason} at byte {error.start})"))
        return table
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    rows = _rows(text, delimiter)
    header = next(rows, None)
    if header is None:
        table.problems.append(CsvProblem(1, "the file is empty (the first line names the columns)"))
        return table
    columns = _Columns(header[1], table.problems)
    if columns.path is None:
        return table
    for line, cells in rows:
        if any(cell.strip() for cell in cells):
            _add_row(table, columns, line, cells)
    return table


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows with the line each starts on (a quoted cell may hold line breaks)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


class _Columns:
    """What each column of the header means: the path, a content field, keywords, a rule part."""

    def __init__(self, header: list[str], problems: list[CsvProblem]) -> None:
        self.path: int | None = None
        self.fields: dict[int, str] = {}
        self.keywords: int | None = None
        self.rules: dict[int, tuple[str, str]] = {}
        for index, name in enumerate(header):
            if not self._known(index, name.strip()):
                problems.append(CsvProblem(1, f"unknown column {name.strip()!r}"))
        if self.path is None:
            problems.append(CsvProblem(1, "no File or Path column naming the file or folder of each row"))

    def _known(self, index: int, name: str) -> bool:
        key = name.lower()
        for prefix in SEDA_PREFIXES:
            key = key.removeprefix(prefix)
        if key in PATH_COLUMNS:
            self.path = index
        elif key in KEYWORD_COLUMNS:
            self.keywords = index
        elif key in CONTENT_FIELDS:
            self.fields[index] = CONTENT_FIELDS[key]
        else:
            category, _, part = key.partition(".")
            known = next((c for c in CATEGORIES if c.lower() == category), None)
            if known is None or part not in RULE_PARTS:
                return False
            self.rules[index] = (known, RULE_PARTS[part])
        return True


def _add_row(table: MetadataTable, columns: _Columns, line: int, cells: list[str]) -> None:
    assert columns.path is not None
    problems: list[str] = []
    path = _relative(_cell(cells, columns.path))
    first = table.first_lines.setdefault(path, line)
    if first != line:
        problems.append(f"{path}: already described on line {first}")
    content: dict[str, Any] = {}
    for index, name in columns.fields.items():
        value = _cell(cells, index)
        if value:
            _set_field(content, name, value, problems)
    keywords = [word.strip() for word in _cell(cells, columns.keywords).split(LIST_SEPARATOR) if word.strip()]
    if keywords:
        content["Keyword"] = [{"KeywordContent": word} for word in keywords]
    if content.get("StartDate", "") > content.get("EndDate", "9999"):
        problems.append(f"StartDate {content['StartDate']} is after EndDate {content['EndDate']}")
    management = _management(columns, cells, problems)
    table.problems.extend(CsvProblem(line, message) for message in problems)
    if not problems:
        table.rows[path] = UnitMetadata(line, path, content, management)


def _set_field(content: dict[str, Any], name: str, value: str, problems: list[str]) -> None:
    if name in DATE_FIELDS:
        try:
            content[name] = parse_day(value, name)
        except RuleSpecError as error:
            problems.append(str(error))
    elif name == "DescriptionLevel" and value not in LEVELS:
        problems.append(f"DescriptionLevel {value!r} is not one of {', '.join(LEVELS)}")
    else:
        content[name] = value


def _management(columns: _Columns, cells: list[str], problems: list[str]) -> dict[str, Any]:
    parts: dict[str, dict[str, str]] = {}
    for index, (category, part) in columns.rules.items():
        value = _cell(cells, index)
        if value:
            parts.setdefault(category, {})[part] = value
    management: dict[str, Any] = {}
    for category, given in parts.items():
        try:
            rules = [parse_rule(text) for text in given.get("Rule", "").split(LIST_SEPARATOR) if text.strip()]
            if "StartDate" in given:
                start = parse_day(given["StartDate"], f"{category}.StartDate")
                rules = [{"StartDate": start, **rule} for rule in rules]
            management[category] = category_block(category, rules, given.get("FinalAction"))
        except RuleSpecError as error:
            problems.append(str(error))
    return management


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _relative(path: str) -> str:
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    return _comparable("/".join(parts) or ROOT_PATH)


def _comparable(path: str) -> str:
    """Paths compared as the archive stores names: composed Unicode (a Mac writes `é` as `e` + accent)."""
    return unicodedata.normalize("NFC", path)
