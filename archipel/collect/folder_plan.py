"""A folder tree as the plan of a SIP: one unit per folder and per file (`archipel sip build`).

The tree is the producer's own classification, so it is kept as it is:

* the folder deposited is the root unit (`RecordGrp`); a folder holding other folders is a
  `RecordGrp` too, a folder holding only files (or nothing) a `File` (a "dossier"), and
  each file an `Item` unit carrying the file as its one `BinaryMaster`. The level only
  follows the shape of the tree; the metadata CSV says otherwise where it means otherwise;
* a folder's title is its name, a file's its name without the extension; the file name
  itself is kept in `FileInfo/Filename`;
* dates are the files' modification times (UTC): a file's unit starts and ends on its
  day, a folder spans what it holds (with the CSV's dates where a row set them), an
  empty folder has none;
* names are sorted by code point (`analysis_walk`), so two runs give the same SIP;
* symbolic links are never followed (a link can loop, or lead out of the folder); they
  are skipped and reported, as are special files, hidden entries (a name starting with
  `.`) and the files desktops leave behind (`Thumbs.db`, `desktop.ini`, `.DS_Store`),
  unless asked to keep hidden ones. Names a Windows desktop or the archive would refuse
  are reported (`analysis_names`) but deposited: the ZIP entry names are made safe by
  `sip_writer`, the original name stays in the manifest. An entry that cannot be read
  stops the plan: a SIP silently missing a file is worse than none.

Planning is two passes: the walk builds the tree and checks the metadata CSV against it
(every problem reported at once, before the slow part), then formats are identified
(PRONOM, as the ingest identifies them: `archipel.preservation.formats`), a file at a time.
No file content is kept: memory is the plan itself, some hundred bytes a file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archipel.collect.analysis import require_folder
from archipel.collect.analysis_names import NAME_PROBLEMS, name_problems, path_problems, printable
from archipel.collect.analysis_walk import Skipped, WalkedFile, WalkedFolder, walk
from archipel.collect.metadata_csv import ROOT_PATH, CsvProblem, MetadataTable
from archipel.collect.sip_writer import PlannedObject, PlannedUnit
from archipel.core.errors import InvalidRequest
from archipel.preservation.formats import FormatIdentifier

SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini"})
"""What Windows and macOS desktops write into folders on their own (compared in lower case)."""
HIDDEN = "HIDDEN"
MAX_UNREADABLE_NAMED = 5

Notify = Callable[["Notice"], None]
Progress = Callable[[int, int], None]
"""Called as formats are identified with (files done, files in all)."""


@dataclass(frozen=True)
class FolderDefaults:
    """What the depositor sets for the whole transfer, before the CSV's rows."""

    title: str | None = None
    """The root unit's title (default: the folder's name)."""
    management: dict[str, Any] = field(default_factory=dict)
    """Rule categories of the root unit (the units below inherit them)."""
    include_hidden: bool = False
    """Deposit hidden entries and desktop system files too."""


DEFAULTS = FolderDefaults()


@dataclass(frozen=True)
class Notice:
    """Something the depositor should know of an entry: `code` is `SYMLINK`, `SPECIAL_FILE`,
    `HIDDEN` (all skipped) or a name problem of `analysis_names.NAME_PROBLEMS` (deposited)."""

    path: str
    code: str
    detail: str
    skipped: bool


def plan_folder(
    root: Path,
    *,
    metadata: MetadataTable | None = None,
    defaults: FolderDefaults = DEFAULTS,
    formats: bool = True,
    identifier: FormatIdentifier | None = None,
    on_notice: Notify | None = None,
    progress: Progress | None = None,
) -> PlannedUnit:
    """The root unit of `root`'s tree. Raises `MetadataErrors` (every problem of the CSV,
    paths it names that are not deposited included) and `InvalidRequest` (a folder that
    is none or a link, an entry that cannot be read) before identifying any format."""
    if root.is_symlink():
        raise InvalidRequest(f"{root}: a symbolic link (links are not followed: name the folder itself)")
    require_folder(root)
    planner = _Planner(root, metadata, defaults, on_notice or _ignore)
    plan = planner.walk()
    if planner.unreadable:
        named = ", ".join(planner.unreadable[:MAX_UNREADABLE_NAMED])
        raise InvalidRequest(f"{root}: {len(planner.unreadable)} entries cannot be read: {named}")
    if metadata is not None:
        metadata.check(planner.keys)
    if formats:
        _identify(plan, identifier or FormatIdentifier(), planner.files, progress)
    return plan


def units_of(root: PlannedUnit) -> Iterator[PlannedUnit]:
    """Every unit of a plan, parents before children, without recursion (a tree may be deep)."""
    pending = [root]
    while pending:
        unit = pending.pop()
        yield unit
        pending.extend(reversed(unit.children))


class _Planner:
    def __init__(
        self, root: Path, metadata: MetadataTable | None, defaults: FolderDefaults, notify: Notify
    ) -> None:
        self.root = root
        self.metadata = metadata
        self.defaults = defaults
        self.notify = notify
        self.below: dict[str, list[PlannedUnit]] = {}
        self.keys: list[str] = []
        self.unreadable: list[str] = []
        self.files = 0

    def walk(self) -> PlannedUnit:
        plan: PlannedUnit | None = None
        for event in walk(self.root):
            if isinstance(event, Skipped):
                self._skipped(event)
            elif not self._deposited(event.path):
                continue
            elif isinstance(event, WalkedFile):
                self._add(event.path, self._file(event))
            elif not event.readable:
                self.unreadable.append(printable(event.path or str(self.root)))
            else:
                plan = self._folder(event)
                if event.path:
                    self._add(event.path, plan)
        assert plan is not None  # the walk yields the root last
        return plan

    def _deposited(self, path: str) -> bool:
        """False below a hidden entry and for the entry itself (reported once, there)."""
        if self.defaults.include_hidden or not path:
            return True
        segments = path.split("/")
        hidden = next((index for index, name in enumerate(segments) if _hidden(name)), None)
        if hidden is None:
            return True
        if hidden == len(segments) - 1:
            self._skip(path, HIDDEN, "hidden or desktop system entry: not deposited")
        return False

    def _skipped(self, event: Skipped) -> None:
        if not self._deposited(event.path):
            return
        if event.code == "UNREADABLE":
            self.unreadable.append(printable(event.path))
        elif event.code == "SYMLINK":
            self._skip(event.path, event.code, f"link to {event.detail}: not followed")
        else:
            self._skip(event.path, event.code, f"{event.detail}: not a file")

    def _skip(self, path: str, code: str, detail: str) -> None:
        self.notify(Notice(printable(path), code, detail, skipped=True))

    def _add(self, path: str, unit: PlannedUnit) -> None:
        parent = path.rpartition("/")[0]
        self.below.setdefault(parent, []).append(unit)

    def _file(self, file: WalkedFile) -> PlannedUnit:
        self.files += 1
        name = printable(file.name)
        modified = _moment(file.mtime)
        day = modified.date().isoformat() if modified else None
        content: dict[str, Any] = {"DescriptionLevel": "Item", "Title": Path(name).stem or name}
        if day:
            content.update({"StartDate": day, "EndDate": day})
        source = PlannedObject(Path(file.absolute), name, size=file.size, last_modified=modified)
        return self._unit(file.path, file.name, file.collides, content, objects=[source])

    def _folder(self, folder: WalkedFolder) -> PlannedUnit:
        children = self.below.pop(folder.path, [])
        holds_folders = any(not child.objects for child in children)
        level = "RecordGrp" if holds_folders or not folder.path else "File"
        title = printable(folder.name) if folder.path else self.defaults.title or self.root.resolve().name
        content: dict[str, Any] = {"DescriptionLevel": level, "Title": title}
        content.update(_span(children))
        management = {} if folder.path else dict(self.defaults.management)
        return self._unit(folder.path, folder.name, folder.collides, content, management, children=children)

    def _unit(
        self,
        path: str,
        name: str,
        collides: bool,
        content: dict[str, Any],
        management: dict[str, Any] | None = None,
        **parts: Any,
    ) -> PlannedUnit:
        key = path or ROOT_PATH
        self.keys.append(key)
        if path:
            self._name_notices(path, name, collides)
        management = dict(management or {})
        table = self.metadata
        row = table.get(key) if table is not None else None
        if table is not None and row is not None:  # the CSV's row over what the walk found
            content.update(row.content)
            management.update(row.management)
            if content.get("StartDate", "") > content.get("EndDate", "9999"):
                dates = f"StartDate {content['StartDate']} is after EndDate {content['EndDate']}"
                table.problems.append(CsvProblem(row.line, f"{row.path}: {dates} once merged"))
        return PlannedUnit(key=key, content=content, management=management, **parts)

    def _name_notices(self, path: str, name: str, collides: bool) -> None:
        codes = name_problems(name) + path_problems(path) + (["CASE_COLLISION"] if collides else [])
        for code in codes:
            self.notify(Notice(printable(path), code, NAME_PROBLEMS[code].description, skipped=False))


def _identify(plan: PlannedUnit, identifier: FormatIdentifier, files: int, progress: Progress | None) -> None:
    done = 0
    for unit in units_of(plan):
        for index, obj in enumerate(unit.objects):
            try:
                found = identifier.identify(obj.source)
            except OSError as error:
                raise InvalidRequest(f"{obj.source}: cannot read the file ({error.strerror})") from None
            unit.objects[index] = dataclasses.replace(
                obj, format_id=found.puid, format_name=found.name, mime_type=found.mime
            )
            done += 1
            if progress:
                progress(done, files)


def _span(children: list[PlannedUnit]) -> dict[str, str]:
    """The dates a folder covers: from the earliest start to the latest end below it."""
    starts = [child.content["StartDate"] for child in children if child.content.get("StartDate")]
    ends = [child.content["EndDate"] for child in children if child.content.get("EndDate")]
    span = {"StartDate": min(starts)} if starts else {}
    return {**span, "EndDate": max(ends)} if ends else span


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() in SYSTEM_FILES


def _moment(mtime: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(mtime), UTC)
    except (OverflowError, OSError, ValueError):  # beyond what datetime or the C library represent
        return None


def _ignore(_notice: Notice) -> None:
    return None
