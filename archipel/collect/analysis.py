"""Analysis of an unsorted folder tree ("vrac numérique") before it is deposited.

What Archifiltre tells an archivist about a shared drive, in one pass: how many files and
folders, how large and how deep; the largest folders; the formats (PRONOM, as the ingest
identifies them: `archipel.preservation.formats`); exact duplicates and the space they
waste; empty files and folders; the oldest and newest modification dates; names a SIP or a
Windows desktop would refuse (`analysis_names`). The archivist sorts, renames and
deduplicates *before* building the SIP, when it is cheap.

Memory is constant whatever the size of the tree: the walk holds one listing per level
(`analysis_walk`), digests and paths of contents go to a temporary SQLite database
(`analysis_contents`), each file's record is handed to `on_file` as it is produced (the CSV
writer writes it at once) and forgotten; what the report keeps is bounded: a counter per
PUID and per year, the `top` largest folders (a heap) and the first `sample` paths of each
problem. Counts are always exact.

Identification cost: the project's compiled PRONOM matcher takes about 0.5 ms a small file
(Fido's own matcher about 3 ms): identifying is most of the time of an analysis
(`benchmarks/analyse.py` measures it), so copies of one content are identified once (the
SHA-256 is the cache key) and `identifier=None` (`--no-formats`) skips it.

Dates are modification times in UTC. Depth counts path segments below the analysed folder
(1: at its top); the analysed folder itself is neither counted nor listed as a folder.

The JSON report (`AnalysisReport.as_dict()`, printed by `archipel analyse --json`, answered
by `POST /api/v1/analyses`)::

    {
      "root": "the analysed folder's name (or the uploaded ZIP's)",
      "analysed_at": "2026-01-01T10:00:00+00:00",
      "formats_identified": true,              # false: "formats" is [] (--no-formats)
      "pronom_version": "109",                 # of the signatures used; null without formats
      "files": 0, "folders": 0, "bytes": 0, "depth": 0,
      "largest_folders": [{"files": 0, "bytes": 0, "path": "a/b"}],   # cumulative, largest first
      "formats": [{"files": 0, "bytes": 0, "puid": "fmt/18", "name": "...",
                   "mime": "application/pdf"}],   # largest first; puid null: not identified
      "duplicates": {"groups": 0, "files": 0, "wasted_bytes": 0,
                     "largest": [{"sha256": "...", "size": 0, "copies": 2, "wasted_bytes": 0,
                                  "paths": ["a", "b"]}]},   # most wasted first
      "dates": {"oldest": {"path": "...", "modified": "..."},   # null when no file
                "newest": {"path": "...", "modified": "..."},
                "by_year": [{"files": 0, "bytes": 0, "year": 2020}]},
      "problems": [{"code": "EMPTY_FILE", "severity": "warning", "description": "...",
                    "count": 0, "paths": ["..."]}]
    }

`problems` lists the codes found, in the order of `CATALOGUE`; a folder's path ends with
"/". `largest_folders` and `duplicates.largest` hold at most `top` entries, `paths` lists
at most `sample` paths (the counts are exact; the CSV has every file with its SHA-256).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archipel.collect.analysis_contents import ContentStore, Duplicates
from archipel.collect.analysis_names import (
    NAME_PROBLEMS,
    Problem,
    Severity,
    name_problems,
    path_problems,
    printable,
)
from archipel.collect.analysis_walk import Skipped, WalkedFile, WalkedFolder, walk
from archipel.core.clock import iso, utc_now
from archipel.core.digests import digest_file
from archipel.core.errors import InvalidRequest
from archipel.preservation.formats import FormatIdentification, FormatIdentifier

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

FILE_PROBLEMS: dict[str, Problem] = {
    problem.code: problem
    for problem in (
        Problem("EMPTY_FILE", Severity.WARNING, "the file is empty (0 bytes)"),
        Problem("EMPTY_FOLDER", Severity.WARNING, "the folder holds nothing"),
        Problem(
            "SYMLINK", Severity.WARNING, "a symbolic link: not followed, what it points to is not analysed"
        ),
        Problem(
            "SPECIAL_FILE", Severity.WARNING, "neither a file nor a folder (device, pipe, socket): skipped"
        ),
        Problem("UNREADABLE", Severity.ERROR, "could not be read (permissions?): not analysed"),
    )
}
CATALOGUE: dict[str, Problem] = {**FILE_PROBLEMS, **NAME_PROBLEMS}
"""Every code a report may hold, in the order reports list them."""
_RANK = {code: rank for rank, code in enumerate(CATALOGUE)}


@dataclass(frozen=True)
class AnalysisOptions:
    top: int = 20
    """Largest folders and duplicate groups listed."""
    sample: int = 100
    """Paths listed per problem and per duplicate group."""


DEFAULT_OPTIONS = AnalysisOptions()


@dataclass(frozen=True)
class FileRecord:
    """One file as the CSV report lists it."""

    path: str
    size: int
    sha256: str | None
    """None when the file could not be read."""
    puid: str | None
    modified: str | None
    """ISO 8601 in UTC, to the second; None for a date the system cannot represent."""
    problems: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Totals:
    """How many files, and their size, in a folder (cumulative), a format or a year."""

    files: int
    bytes: int


@dataclass(frozen=True, kw_only=True)
class FolderSize(Totals):
    path: str


@dataclass(frozen=True, kw_only=True)
class FormatCount(Totals):
    puid: str | None
    """None: not identified (empty, unreadable, or no signature matched)."""
    name: str | None
    mime: str | None


@dataclass(frozen=True, kw_only=True)
class YearCount(Totals):
    year: int


@dataclass(frozen=True, slots=True)
class DatedPath:
    path: str
    modified: str


@dataclass(frozen=True, slots=True)
class Dates:
    oldest: DatedPath | None
    newest: DatedPath | None
    by_year: list[YearCount]


@dataclass(frozen=True)
class ProblemCount:
    code: str
    severity: Severity
    description: str
    count: int
    paths: list[str]


@dataclass(frozen=True)
class AnalysisReport:
    """What the module docstring describes, field for field."""

    root: str
    analysed_at: str
    formats_identified: bool
    pronom_version: str | None
    files: int
    folders: int
    bytes: int
    depth: int
    largest_folders: list[FolderSize]
    formats: list[FormatCount]
    duplicates: Duplicates
    dates: Dates
    problems: list[ProblemCount]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def problem(self, code: str) -> ProblemCount | None:
        return next((problem for problem in self.problems if problem.code == code), None)


Progress = Callable[[int, int], None]
"""Called after each file with (files done, bytes done)."""


def analyse(
    root: Path,
    identifier: FormatIdentifier | None,
    options: AnalysisOptions = DEFAULT_OPTIONS,
    *,
    label: str | None = None,
    on_file: Callable[[FileRecord], None] | None = None,
    progress: Progress | None = None,
) -> AnalysisReport:
    """The report on the tree below `root` (`label` names it in the report, default its
    name); formats are identified unless `identifier` is None."""
    require_folder(root)
    tally = _Tally(options, identifying=identifier is not None)
    with closing(ContentStore()) as contents:
        for event in walk(root):
            if isinstance(event, WalkedFile):
                record, identified = _examine(event, identifier, contents)
                tally.add_file(event, record, identified)
                if on_file:
                    on_file(record)
                if progress:
                    progress(tally.files, tally.bytes)
            elif isinstance(event, WalkedFolder):
                tally.add_folder(event)
            else:
                tally.add_skipped(event)
        duplicates = contents.duplicates(options.top, options.sample)
    pronom = identifier.pronom_version if identifier else None
    return tally.report(label or root.resolve().name, pronom, duplicates)


def require_folder(root: Path) -> None:
    """A folder that cannot be listed at all is a usage error, not a finding of the report."""
    try:
        with os.scandir(root):
            pass
    except NotADirectoryError:
        raise InvalidRequest(f"{root}: not a folder") from None
    except OSError as error:
        raise InvalidRequest(f"{root}: cannot read the folder ({error.strerror})") from None


def _examine(
    file: WalkedFile, identifier: FormatIdentifier | None, contents: ContentStore
) -> tuple[FileRecord, FormatIdentification | None]:
    """The file's record, and its identification when its content had not been met before."""
    problems = _name_codes(file.path, file.collides)
    sha256, puid, identified = None, None, None
    if file.size == 0:
        problems.append("EMPTY_FILE")
        sha256 = EMPTY_SHA256
    else:
        try:
            where = Path(file.absolute)
            sha256 = digest_file(where, ("sha256",))["sha256"]
            seen, puid = contents.seen(sha256)
            if identifier and not seen:
                identified = identifier.identify(where)
                puid = identified.puid
            contents.add(sha256, file.size, printable(file.path), puid)
        except OSError:
            problems.append("UNREADABLE")
            sha256, puid, identified = None, None, None
    problems.sort(key=_RANK.__getitem__)
    record = FileRecord(printable(file.path), file.size, sha256, puid, _modified(file.mtime), tuple(problems))
    return record, identified


def _name_codes(path: str, collides: bool) -> list[str]:
    codes = name_problems(path.rsplit("/", 1)[-1]) + path_problems(path)
    return [*codes, "CASE_COLLISION"] if collides else codes


def _modified(mtime: float) -> str | None:
    try:
        return iso(datetime.fromtimestamp(int(mtime), UTC))
    except (OverflowError, OSError, ValueError):  # beyond what datetime or the C library represent
        return None


@dataclass
class _Sample:
    count: int = 0
    paths: list[str] = field(default_factory=list)


@dataclass
class _Total:
    files: int = 0
    bytes: int = 0

    def add(self, size: int) -> None:
        self.files += 1
        self.bytes += size


@dataclass(frozen=True)
class _Ranked:
    """A folder in the heap of the largest: larger first, then by path, so that which of two
    folders of one size is kept does not depend on the walk order."""

    folder: FolderSize

    def __lt__(self, other: _Ranked) -> bool:
        return (self.folder.bytes, other.folder.path) < (other.folder.bytes, self.folder.path)


class _Tally:
    """What the report keeps while the walk goes on: counters and bounded samples only."""

    def __init__(self, options: AnalysisOptions, identifying: bool) -> None:
        self.options = options
        self.identifying = identifying
        self.files = self.folders = self.bytes = self.depth = 0
        self.formats: dict[str | None, _Total] = {}
        self.format_names: dict[str | None, tuple[str | None, str | None]] = {}
        self.years: dict[int, _Total] = {}
        self.oldest: tuple[str, str] | None = None
        self.newest: tuple[str, str] | None = None
        self.largest: list[_Ranked] = []
        self.problems: dict[str, _Sample] = {}

    def add_file(self, file: WalkedFile, record: FileRecord, identified: FormatIdentification | None) -> None:
        self.files += 1
        self.bytes += file.size
        self.depth = max(self.depth, file.depth)
        for code in record.problems:
            self._problem(code, record.path)
        if identified is not None:
            self.format_names.setdefault(identified.puid, (identified.name, identified.mime))
        if self.identifying:  # empty and unreadable files count as not identified
            self.formats.setdefault(record.puid, _Total()).add(file.size)
        if record.modified is not None:
            self._date(record)

    def add_folder(self, folder: WalkedFolder) -> None:
        if not folder.path:  # the analysed folder itself
            return
        path = printable(folder.path)
        self.folders += 1
        self.depth = max(self.depth, folder.depth)
        for code in _name_codes(folder.path, folder.collides):
            self._problem(code, path + "/")
        if not folder.readable:
            self._problem("UNREADABLE", path + "/")
        elif folder.entries == 0:
            self._problem("EMPTY_FOLDER", path + "/")
        ranked = _Ranked(FolderSize(path=path, files=folder.files, bytes=folder.bytes))
        if len(self.largest) < self.options.top:
            heapq.heappush(self.largest, ranked)
        elif self.largest and self.largest[0] < ranked:
            heapq.heapreplace(self.largest, ranked)

    def add_skipped(self, skipped: Skipped) -> None:
        self._problem(skipped.code, printable(skipped.path))

    def report(self, root: str, pronom_version: str | None, duplicates: Duplicates) -> AnalysisReport:
        return AnalysisReport(
            root=root,
            analysed_at=iso(utc_now().replace(microsecond=0)),
            formats_identified=self.identifying,
            pronom_version=pronom_version,
            files=self.files,
            folders=self.folders,
            bytes=self.bytes,
            depth=self.depth,
            largest_folders=[ranked.folder for ranked in sorted(self.largest, reverse=True)],
            formats=self._formats(),
            duplicates=duplicates,
            dates=Dates(
                DatedPath(*self.oldest) if self.oldest else None,
                DatedPath(*self.newest) if self.newest else None,
                [YearCount(year=year, **asdict(total)) for year, total in sorted(self.years.items())],
            ),
            problems=[
                ProblemCount(
                    code, CATALOGUE[code].severity, CATALOGUE[code].description, sample.count, sample.paths
                )
                for code, sample in sorted(self.problems.items(), key=lambda item: _RANK[item[0]])
            ],
        )

    def _formats(self) -> list[FormatCount]:
        counts = [
            FormatCount(puid=puid, name=name, mime=mime, **asdict(total))
            for puid, total in self.formats.items()
            for name, mime in [self.format_names.get(puid, (None, None))]
        ]
        return sorted(
            counts, key=lambda count: (-count.bytes, -count.files, count.puid is None, count.puid or "")
        )

    def _problem(self, code: str, path: str) -> None:
        sample = self.problems.setdefault(code, _Sample())
        sample.count += 1
        if len(sample.paths) < self.options.sample:
            sample.paths.append(path)

    def _date(self, record: FileRecord) -> None:
        modified = record.modified or ""
        self.years.setdefault(int(modified[:4]), _Total()).add(record.size)
        if self.oldest is None or modified < self.oldest[1]:
            self.oldest = (record.path, modified)
        if self.newest is None or modified > self.newest[1]:
            self.newest = (record.path, modified)
