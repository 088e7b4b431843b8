"""Agencies (services agents): the producing and submitting services a manifest names.

The file is the reference system's CSV `Identifier,Name,Description`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archipel.referential.csvfile import duplicates, read_csv, write_csv
from archipel.referential.report import LineError

COLUMNS = ("Identifier", "Name", "Description")
REQUIRED = ("Identifier", "Name")


@dataclass(frozen=True)
class Agency:
    identifier: str
    name: str
    description: str = ""

    def document(self) -> dict[str, Any]:
        return {"Identifier": self.identifier, "Name": self.name, "Description": self.description}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Agency:
        return cls(str(document["Identifier"]), str(document["Name"]), str(document.get("Description") or ""))


def parse_agencies(data: bytes) -> tuple[list[Agency], list[LineError]]:
    """Every agency of an agencies CSV file, and every fault of it."""
    table = read_csv(data, COLUMNS, REQUIRED)
    agencies = [
        Agency(record.values["Identifier"].strip(), record.values["Name"], record.values["Description"])
        for record in table.records
    ]
    errors = [*table.errors, *duplicates(table.records, "Identifier")]
    return agencies, sorted(errors, key=lambda error: error.line)


def export_agencies(agencies: list[Agency]) -> bytes:
    return write_csv(COLUMNS, [[agency.identifier, agency.name, agency.description] for agency in agencies])
