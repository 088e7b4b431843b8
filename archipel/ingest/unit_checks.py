"""Checks of each unit's own metadata (Vitam's `CHECK_UNIT_SCHEMA`).

The reference system validates every unit against its unit schema and a few rules of
consistency before indexing; the ones that need no referential are here:

* a unit has a title, and no title is empty (`INVALID_UNIT`, fixtures `KO_1791_SIP_TITLE_VIDE`,
  `KO_Plan_empty_title`);
* the end of the covered period is not before its start (`CONSISTENCY`, `KO_Endate_anterieur_Started`);
* a rule's start date is before the year 9000, the limit past which Vitam cannot compute
  an end date (`INVALID_UNIT`, `KO_1791_SIP_RG-STARTDATE_AN9000`);
* a hold does not end before it starts (`CONSISTENCY`, `SIP_KO_HoldRules_HoldEndDateBeforeStartDate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from archipel.ingest.findings import Finding, ko
from archipel.seda.content import RULE_CATEGORIES
from archipel.seda.model import ArchiveUnit, Manifest

STEP = "CHECK_UNIT_SCHEMA"
MAX_RULE_YEAR = 8999
"""Vitam refuses a rule start date whose year is 9000 or later ("Wrong Start Date")."""

_POINT_IN_TIME = re.compile(
    r"^\s*(-?\d{4,})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})?\s*$"
)


@dataclass(frozen=True)
class PointInTime:
    """A SEDA `xsd:date` or `xsd:dateTime`, comparable at the precision both sides have."""

    year: int
    day: date
    moment: datetime | None
    """UTC (naive) when the text has a time, a zone-less time being taken as UTC."""

    def is_before(self, other: PointInTime) -> bool:
        if self.moment is not None and other.moment is not None:
            return self.moment < other.moment
        return self.day < other.day


def parse_point_in_time(text: str) -> PointInTime | None:
    """None for text that is no ISO date or date-time (the XSD step reports those)."""
    match = _POINT_IN_TIME.match(text)
    if match is None:
        return None
    year, month, day_of_month, hour, minute, second, fraction, zone = match.groups()
    try:
        day = date(int(year), int(month), int(day_of_month))
        moment = None
        if hour is not None:
            moment = datetime(
                day.year,
                day.month,
                day.day,
                int(hour),
                int(minute),
                int(second),
                int((fraction or "0")[:6].ljust(6, "0")),
            )
            moment -= _offset(zone)
    except ValueError:
        if int(year) > date.max.year:  # valid xsd:date, beyond Python's calendar
            return PointInTime(int(year), date.max, None)
        return None
    return PointInTime(int(year), day, moment)


def _offset(zone: str | None) -> timedelta:
    if zone is None or zone == "Z":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = zone[1:].split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


def check_unit_schema(manifest: Manifest) -> list[Finding]:
    """Every unit's findings, all of them."""
    return [finding for unit in manifest.units.values() for finding in _unit_findings(unit)]


def _unit_findings(unit: ArchiveUnit) -> Iterator[Finding]:
    yield from check_title(unit)
    yield from check_covered_period(unit)
    yield from check_rule_dates(unit)


def texts(value: Any) -> Iterator[str]:
    """The strings of a JSON value built from XML: a text, `#text`, or lists and maps of them."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)
    elif isinstance(value, dict):
        if "#text" in value:
            yield from texts(value["#text"])
        else:
            for key, item in value.items():
                if not key.startswith("@"):
                    yield from texts(item)


def check_title(unit: ArchiveUnit) -> Iterator[Finding]:
    titles = [*texts(unit.content.get("Title")), *texts(unit.content.get("Title_"))]
    if not titles:
        yield ko(STEP, f"unit {unit.manifest_id} has no Title", "INVALID_UNIT", unit.manifest_id)
    elif any(not title.strip() for title in titles):
        yield ko(STEP, f"unit {unit.manifest_id} has an empty Title", "INVALID_UNIT", unit.manifest_id)


def _first_point(value: Any) -> tuple[str, PointInTime] | None:
    for text in texts(value):
        point = parse_point_in_time(text)
        if point is not None:
            return text, point
    return None


def check_covered_period(unit: ArchiveUnit) -> Iterator[Finding]:
    start = _first_point(unit.content.get("StartDate"))
    end = _first_point(unit.content.get("EndDate"))
    if start and end and end[1].is_before(start[1]):
        yield ko(
            STEP,
            f"unit {unit.manifest_id}: EndDate {end[0].strip()} is before StartDate {start[0].strip()}",
            "CONSISTENCY",
            unit.manifest_id,
        )


def rules(management: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(category, rule) for each rule of a `Management` JSON (see `archipel.seda.content`)."""
    for category in RULE_CATEGORIES:
        blocks = management.get(category)
        for block in blocks if isinstance(blocks, list) else [blocks]:
            if isinstance(block, dict):
                for rule in block.get("Rules", []):
                    yield category, rule


def check_rule_dates(unit: ArchiveUnit) -> Iterator[Finding]:
    for category, rule in rules(unit.management):
        name = next(texts(rule.get("Rule")), "").strip()
        start = _first_point(rule.get("StartDate"))
        if start and start[1].year > MAX_RULE_YEAR:
            yield ko(
                STEP,
                f"unit {unit.manifest_id}: {category} {name} starts on {start[0].strip()}, "
                f"after the year {MAX_RULE_YEAR}",
                "INVALID_UNIT",
                unit.manifest_id,
            )
        hold_end = _first_point(rule.get("HoldEndDate"))
        if start and hold_end and hold_end[1].is_before(start[1]):
            yield ko(
                STEP,
                f"unit {unit.manifest_id}: {category} {name} ends its hold on {hold_end[0].strip()}, "
                f"before its StartDate {start[0].strip()}",
                "CONSISTENCY",
                unit.manifest_id,
            )
