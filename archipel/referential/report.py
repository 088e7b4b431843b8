"""What an import found wrong, line by line: an import is all or nothing.

An archivist fixing a rules file wants every bad line at once, named by the line number
their spreadsheet shows, not the first error followed by another round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archipel.core.errors import InvalidRequest


@dataclass(frozen=True)
class LineError:
    """One fault of an imported file; `line` is 1-based in the file (0: the file as a whole)."""

    line: int
    message: str
    identifier: str | None = None
    """The entry the fault is about (a rule id, an agency id), when known."""
    units: tuple[str, ...] = ()
    """Archive units that depend on the entry, when that is the fault (a sample)."""

    def as_dict(self) -> dict[str, object]:
        shown: dict[str, object] = {"line": self.line, "message": self.message}
        if self.identifier is not None:
            shown["identifier"] = self.identifier
        if self.units:
            shown["units"] = list(self.units)
        return shown


@dataclass
class ImportReport:
    """The answer to an import: what it did, or every reason it did nothing."""

    kind: str
    imported: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    operation_id: str | None = None
    version: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "errors": [error.as_dict() for error in self.errors],
            "operation_id": self.operation_id,
            "version": self.version,
        }


class ImportRefused(InvalidRequest):
    """An import that changed nothing, with its report (every bad line)."""

    code = "IMPORT_REFUSED"

    def __init__(self, report: ImportReport) -> None:
        count = len(report.errors)
        first = report.errors[0]
        where = f"line {first.line}: " if first.line else ""
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{report.kind} import refused: {where}{first.message}{more}")
        self.report = report


@dataclass(frozen=True)
class Record:
    """One entry of a referential file (a CSV record, a JSON object) and where it starts."""

    line: int
    """1-based line of the file where the entry starts."""
    values: dict[str, Any]


@dataclass
class Table:
    """What reading a referential file gives: its entries, and every fault found on the way."""

    records: list[Record]
    errors: list[LineError]


def decode_text(data: bytes) -> str | Table:
    """The text of a referential file (UTF-8, with or without byte order mark), or the refusal."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Table([], [LineError(0, f"the file is not UTF-8 text ({error.reason} at byte {error.start})")])
