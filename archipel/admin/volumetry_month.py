"""Calendar months in UTC, the period volumetry and billing count by.

A change is counted in the UTC month it happens in, whatever the commune's time zone: an
ingest at 00:30 in Paris on 1 March is counted in February. Every instance then gives the
same figures for the same rows, and a month reported after the fact never moves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from archipel.core.errors import InvalidRequest

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 240
"""The longest period one report or series covers (twenty years)."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`, else InvalidRequest naming what was given."""
        found = _PATTERN.match(text.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12:
            raise InvalidRequest(f"month {text!r}: expected YYYY-MM (e.g. 2026-01)")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime) -> Month:
        """The UTC month of an aware moment."""
        utc = moment.astimezone(UTC)
        return cls(utc.year, utc.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


def months_between(first: Month, last: Month) -> Iterator[Month]:
    """Every month from `first` to `last`, both included; InvalidRequest when reversed or too long."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count < 1:
        raise InvalidRequest(f"period {first} to {last}: the first month comes after the last")
    if count > MAX_MONTHS:
        raise InvalidRequest(f"period {first} to {last}: at most {MAX_MONTHS} months at once")
    return (first.shifted(offset) for offset in range(count))
