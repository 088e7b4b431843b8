"""File and folder names that a SIP, the archive or a Windows desktop would refuse.

Why check names before the deposit: the names of a folder tree become the entry names of
the SIP ZIP and the `Uri` and `Filename` of its SEDA manifest; the archive unpacks that ZIP
refusing control characters and over-long names (`archipel.ingest.safezip`), and the DIPs
it delivers are opened on Windows desktops, whose file systems refuse more (Microsoft,
"Naming Files, Paths, and Namespaces"). A depositor renames once, before, rather than the
archivist after a refusal.

Every problem is a code of `NAME_PROBLEMS`. `ERROR`s make a name that cannot be written
somewhere on the way; `WARNING`s a name that can be written but may not survive as is
(decomposed Unicode is recomposed by the ZIP unpacking, so the manifest and the file
disagree; names equal but for case collide on Windows and macOS).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from archipel.ingest.safezip import MAX_SEGMENT_BYTES

MAX_NAME_UNITS = 255
"""NTFS and the Windows API: a name holds at most 255 UTF-16 code units."""
MAX_PATH_CHARS = 255
"""Longest path below the analysed folder that stays under Windows' MAX_PATH (260, with the
drive, a separator and the final NUL) once restored into a short folder."""

_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RESERVED = re.compile(r"(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])", re.IGNORECASE)


class Severity(StrEnum):
    ERROR = "error"
    """The name cannot be written somewhere on the way to the archive or back."""
    WARNING = "warning"
    """The name can be written but may change or collide."""


@dataclass(frozen=True)
class Problem:
    """One entry of a catalogue of codes: what is wrong and how much it matters."""

    code: str
    severity: Severity
    description: str


NAME_PROBLEMS: dict[str, Problem] = {
    problem.code: problem
    for problem in (
        Problem(
            "FORBIDDEN_CHARACTER", Severity.ERROR, 'a character Windows refuses in a name: < > : " \\ | ? *'
        ),
        Problem("CONTROL_CHARACTER", Severity.ERROR, "a control character (tab, new line...) in the name"),
        Problem(
            "TRAILING_DOT_OR_SPACE", Severity.ERROR, "the name ends with a dot or a space (Windows drops it)"
        ),
        Problem(
            "RESERVED_NAME",
            Severity.ERROR,
            "a name Windows reserves for devices (CON, PRN, AUX, NUL, COM1, LPT1...)",
        ),
        Problem(
            "NAME_TOO_LONG",
            Severity.ERROR,
            f"the name is longer than {MAX_NAME_UNITS} characters or {MAX_SEGMENT_BYTES} bytes",
        ),
        Problem(
            "PATH_TOO_LONG",
            Severity.ERROR,
            f"the path below the analysed folder is longer than {MAX_PATH_CHARS} characters",
        ),
        Problem("NOT_UTF8", Severity.ERROR, "the name is not valid UTF-8 (shown with \\x escapes)"),
        Problem(
            "NOT_NFC",
            Severity.WARNING,
            "decomposed Unicode (macOS): the archive stores the composed form (NFC)",
        ),
        Problem(
            "CASE_COLLISION",
            Severity.WARNING,
            "another name of the folder differs only by case or Unicode form",
        ),
    )
}


def name_problems(name: str) -> list[str]:
    """The codes of `NAME_PROBLEMS` that one file or folder name raises, in catalogue order.

    `name` is as `os` returns it: bytes that are not UTF-8 arrive as surrogate escapes.
    """
    found = []
    if _FORBIDDEN.search(name):
        found.append("FORBIDDEN_CHARACTER")
    if _CONTROL.search(name):
        found.append("CONTROL_CHARACTER")
    if name.endswith((".", " ")):
        found.append("TRAILING_DOT_OR_SPACE")
    if _RESERVED.fullmatch(name.split(".", 1)[0].rstrip(" ")):
        found.append("RESERVED_NAME")
    raw = os.fsencode(name)
    if len(raw) > MAX_SEGMENT_BYTES or len(name.encode("utf-16-le", "surrogatepass")) // 2 > MAX_NAME_UNITS:
        found.append("NAME_TOO_LONG")
    if not _is_utf8(name):
        found.append("NOT_UTF8")
    elif not unicodedata.is_normalized("NFC", name):
        found.append("NOT_NFC")
    return found


def path_problems(path: str) -> list[str]:
    """The codes a path below the analysed folder ("/"-separated) raises as a whole."""
    return ["PATH_TOO_LONG"] if len(path) > MAX_PATH_CHARS else []


def colliding(names: Iterable[str]) -> set[str]:
    """The names of one folder that another name of it equals once case and Unicode form are
    ignored: one file on Windows and macOS, and one entry once the archive recomposes it."""
    names = list(names)
    keys = Counter(_collision_key(name) for name in names)
    return {name for name in names if keys[_collision_key(name)] > 1}


def printable(text: str) -> str:
    """`text` as reports show it: bytes that are not UTF-8 as `\\xNN` (JSON, CSV and HTML
    cannot carry the surrogates `os` decodes them to)."""
    if _is_utf8(text):
        return text
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _collision_key(name: str) -> str:
    return unicodedata.normalize("NFC", printable(name)).casefold()
