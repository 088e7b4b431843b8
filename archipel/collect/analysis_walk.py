"""One walk of a folder tree: every file, folder and skipped entry, in a stable order.

Why this shape:

* iterative, with `os.scandir`: a depositor's tree may be deeper than Python's recursion
  limit, and `scandir` tells files from folders and links without a system call per entry;
* folders are yielded *after* everything below them (post-order), with their cumulative
  file count and size: only then are these known, and yielding them lets the report keep
  the N largest folders in a heap instead of every folder of the tree;
* memory is one sorted listing per level of the current path, never the tree: it grows
  with the depth and the widest folder, not with the number of files;
* symbolic links are never followed (a link can loop, or lead out of the folder to
  deposit): they are yielded as skipped, with the other entries a SIP cannot hold
  (sockets, devices, pipes — opening a pipe would block) and those that cannot be read.

Names are sorted by their code points, so two runs on one tree give the same report.
Paths are relative to the walked folder, "/"-separated; names that are not UTF-8 keep the
surrogate escapes `os` gives them (`analysis_names.printable` shows them).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from archipel.collect.analysis_names import colliding


@dataclass(frozen=True, kw_only=True)
class _Walked:
    path: str
    """Relative to the walked folder; "" for the walked folder itself."""
    depth: int
    """Path segments below the walked folder: 1 at its top."""
    collides: bool
    """Another name of its folder equals it but for case or Unicode form."""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, kw_only=True)
class WalkedFile(_Walked):
    absolute: str
    """Where to open it (`os` form)."""
    size: int
    mtime: float


@dataclass(frozen=True, kw_only=True)
class WalkedFolder(_Walked):
    """Yielded after everything below it; the walked folder itself last."""

    entries: int
    """Entries directly inside (0: an empty folder)."""
    files: int
    """Regular files at any depth below."""
    bytes: int
    readable: bool
    """False when it could not be listed: its content is unknown, not empty."""


@dataclass(frozen=True)
class Skipped:
    """An entry that is not analysed: `code` is SYMLINK, SPECIAL_FILE or UNREADABLE."""

    path: str
    code: str
    detail: str


WalkEvent = WalkedFile | WalkedFolder | Skipped
_FOLDER_FIELDS = tuple(folder_field.name for folder_field in fields(WalkedFolder))


@dataclass
class _Level:
    """A folder being walked: what is left to visit in it, and what was found below it."""

    path: str
    depth: int
    pending: list[os.DirEntry[str]]
    readable: bool
    clashes: set[str]
    collides: bool
    entries: int = 0
    files: int = 0
    bytes: int = 0

    def done(self) -> WalkedFolder:
        """The folder as reported, once everything below it was walked: its fields are this level's."""
        return WalkedFolder(**{name: getattr(self, name) for name in _FOLDER_FIELDS})


def walk(root: Path) -> Iterator[WalkEvent]:
    """Everything below `root` in name order, each folder after its content, `root` last."""
    stack = [_open(str(root), "", 0, collides=False)]
    while stack:
        level = stack[-1]
        if not level.pending:
            stack.pop()
            if stack:
                stack[-1].files += level.files
                stack[-1].bytes += level.bytes
            yield level.done()
            continue
        entry = level.pending.pop()
        path = f"{level.path}/{entry.name}" if level.path else entry.name
        collides = entry.name in level.clashes
        if entry.is_dir(follow_symlinks=False):
            stack.append(_open(entry.path, path, level.depth + 1, collides))
        else:
            found = _file(entry, path, level.depth + 1, collides)
            if isinstance(found, WalkedFile):
                level.files += 1
                level.bytes += found.size
            yield found


def count_files(root: Path) -> int:
    """How many regular files a `walk` of `root` will yield, reading folders only (for a
    progress bar's total: about 5 % of the time the analysis takes)."""
    count, folders = 0, [str(root)]
    while folders:
        try:
            with os.scandir(folders.pop()) as listing:
                for entry in listing:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        count += 1
        except OSError:
            continue
    return count


def _open(absolute: str, path: str, depth: int, collides: bool) -> _Level:
    """A folder's listing, sorted in reverse so that popping visits names in order."""
    try:
        with os.scandir(absolute) as listing:
            entries = sorted(listing, key=lambda entry: entry.name, reverse=True)
    except OSError:  # the folder is reported unreadable (`readable`), its content unknown
        return _Level(path, depth, [], False, set(), collides)
    level = _Level(path, depth, entries, True, colliding(entry.name for entry in entries), collides)
    level.entries = len(entries)
    return level


def _file(entry: os.DirEntry[str], path: str, depth: int, collides: bool) -> WalkedFile | Skipped:
    if entry.is_symlink():
        try:
            target = os.readlink(entry.path)
        except OSError as error:
            target = _reason(error)
        return Skipped(path, "SYMLINK", target)
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError as error:  # removed since listed, or a folder we may list but not search
        return Skipped(path, "UNREADABLE", _reason(error))
    if not stat.S_ISREG(info.st_mode):
        return Skipped(path, "SPECIAL_FILE", stat.filemode(info.st_mode))
    return WalkedFile(
        path=path, depth=depth, collides=collides, absolute=entry.path, size=info.st_size, mtime=info.st_mtime
    )


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
