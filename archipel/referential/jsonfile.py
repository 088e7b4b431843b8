"""Reading the referential JSON files of the reference system: an array of objects.

Contracts, profiles and archive-unit profiles come as `[{...}, {...}]` with the reference
system's field names. Each object keeps the line where it starts, so a report names the
line an archivist opens in their editor, as for CSV files.
"""

from __future__ import annotations

import json
from typing import Any

from archipel.referential.report import LineError, Record, Table, decode_text


def read_json_array(data: bytes) -> Table:
    """The objects of a JSON array file; a syntax error is reported at its line."""
    text = decode_text(data)
    if isinstance(text, Table):
        return text
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return Table([], [LineError(error.lineno, f"not JSON: {error.msg} (column {error.colno})")])
    if isinstance(parsed, dict):
        text, parsed = f"[{text}]", [parsed]
    if not isinstance(parsed, list):
        return Table([], [LineError(1, "expected a JSON array of objects")])
    records, errors = [], []
    for line, value in zip(_element_lines(text), parsed, strict=True):
        if isinstance(value, dict):
            records.append(Record(line, value))
        else:
            errors.append(LineError(line, f"expected an object, found {type(value).__name__}"))
    if not parsed:
        errors.append(LineError(1, "the array is empty"))
    return Table(records, errors)


def write_json_array(documents: list[dict[str, Any]]) -> bytes:
    return (json.dumps(documents, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _element_lines(text: str) -> list[int]:
    """The line where each element of the (already valid) top-level array starts.

    Lines are counted from one element to the next, not from the start of the file each
    time: a format referential holds thousands of entries.
    """
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    lines: list[int] = []
    line, counted = 1, 0
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return lines
        line, counted = line + text.count("\n", counted, index), index
        lines.append(line)
        _, index = decoder.raw_decode(text, index)


def type_faults(
    values: dict[str, Any], fields: dict[str, type], line: int, identifier: str | None
) -> list[LineError]:
    """Fields present with the wrong JSON type (`str`, `bool`, `list` of strings...); absent ones pass."""
    faults = []
    for name, expected in fields.items():
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, expected) or (
            expected is list and not all(isinstance(item, str) for item in value)
        ):
            kind = "a list of strings" if expected is list else f"a {expected.__name__}"
            faults.append(LineError(line, f"{name} must be {kind}", identifier))
    return faults
