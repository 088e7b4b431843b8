"""Reading and writing the referential CSV files of the reference system.

These files come from spreadsheets: a UTF-8 byte order mark, quoted fields spanning
several lines, a stray empty line, a semicolon where a comma was meant. Each record keeps
the line number where it starts in the file, so reports point where the archivist looks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from archipel.referential.report import LineError, Record, Table, decode_text


def read_csv(
    data: bytes,
    columns: Sequence[str],
    required: Sequence[str] | None = None,
    header_key: Callable[[str], str] | None = None,
) -> Table:
    """The records of a CSV file whose header must hold `columns` (extra columns are refused).

    Empty lines, records with too many or too few fields and missing values of `required`
    columns are reported with their line numbers. Values are kept as written (an export
    must give the same text back); readers strip what they treat as codes. Nothing is
    raised: the caller decides once it has every error. `header_key`, when given, maps
    each header name to the column it stands for, for layouts whose headers people
    spell freely (`Parent ID`, `parent_id`); records are keyed by `columns` either way.
    """
    errors: list[LineError] = []
    text = decode_text(data)
    if isinstance(text, Table):
        return text
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return Table([], [LineError(0, "the file is empty")])
    except csv.Error as error:
        return Table([], [LineError(1, f"unreadable header: {error}")])
    names = [name.strip() for name in header]
    if header_key is not None:
        names = [header_key(name) for name in names]
    missing = [name for name in columns if name not in names]
    unknown = [name for name in names if name not in columns]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(repr(name) for name in unknown)}")
        expected = ",".join(columns)
        return Table([], [LineError(1, f"bad header: {'; '.join(parts)} (expected {expected})")])

    records: list[Record] = []
    required = columns if required is None else required
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(LineError(start, f"unreadable record: {error}"))
            break
        line, start = start, reader.line_num + 1
        if not any(value.strip() for value in row):
            errors.append(LineError(line, "empty line"))
            continue
        if len(row) != len(names):
            errors.append(
                LineError(line, f"{len(row)} field(s) where the header has {len(names)} (wrong separator?)")
            )
            continue
        values = dict(zip(names, row, strict=True))
        empty = [name for name in required if not values[name].strip()]
        if empty:
            errors.append(
                LineError(line, f"empty required field(s) {', '.join(empty)}", values.get(names[0]))
            )
            continue
        records.append(Record(line, values))
    return Table(records, errors)


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A CSV file in the layout `read_csv` reads: header first, quoted only where needed."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def duplicates(records: Sequence[Record], column: str) -> list[LineError]:
    """A duplicate identifier is reported at each line after the first that holds it."""
    seen: dict[str, int] = {}
    errors = []
    for record in records:
        value = record.values[column].strip()
        if value in seen:
            errors.append(
                LineError(record.line, f"{column} {value!r} already given at line {seen[value]}", value)
            )
        else:
            seen[value] = record.line
    return errors
