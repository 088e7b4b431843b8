"""Management rules (règles de gestion): the durations that drive access, appraisal and the rest.

A rule is an id (`ACC-00003`), a category (`AccessRule`...), a label and a duration
(`25` + `Year`). Units name rules in their `Management`; the end date of each is its
`StartDate` plus the duration. The file layout is the reference system's CSV:
`RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from archipel.referential.csvfile import duplicates, read_csv, write_csv
from archipel.referential.report import LineError, Record


class RuleType(StrEnum):
    """The rule categories of SEDA 2.x `Management` (written exactly so in files and manifests)."""

    APPRAISAL = "AppraisalRule"
    """Durée d'utilité administrative (DUA) and its final action (keep or destroy)."""
    ACCESS = "AccessRule"
    """Communicability delay."""
    STORAGE = "StorageRule"
    DISSEMINATION = "DisseminationRule"
    REUSE = "ReuseRule"
    CLASSIFICATION = "ClassificationRule"
    HOLD = "HoldRule"
    """A hold (gel): blocks elimination while it runs."""


COLUMNS = ("RuleId", "RuleType", "RuleValue", "RuleDescription", "RuleDuration", "RuleMeasurement")
REQUIRED = ("RuleId", "RuleType", "RuleValue")

UNLIMITED = "unlimited"
"""A duration with no end (the reference system's word); so is an empty duration."""

MEASUREMENTS: dict[str, str] = {
    "year": "year",
    "years": "year",
    "année": "year",
    "années": "year",
    "an": "year",
    "ans": "year",
    "month": "month",
    "months": "month",
    "mois": "month",
    "day": "day",
    "days": "day",
    "jour": "day",
    "jours": "day",
}
"""Units of `RuleMeasurement`, in any case, English as the reference system writes them or French."""

LAST_YEAR = 9999
"""End dates are calendar dates: a duration that cannot end before this year is refused."""


@dataclass(frozen=True)
class ManagementRule:
    rule_id: str
    rule_type: RuleType
    value: str
    description: str = ""
    duration: int | None = None
    """None: no end (an `unlimited` or empty duration)."""
    measurement: str | None = None
    """`year`, `month` or `day`; None when there is no duration."""
    written_duration: str = ""
    written_measurement: str = ""
    """The duration and unit as the file wrote them, given back on export."""

    def end_date(self, start: date) -> date | None:
        """`start` plus the duration; None for a rule without end."""
        if self.duration is None or self.measurement is None:
            return None
        return add_duration(start, self.duration, self.measurement)

    def document(self) -> dict[str, Any]:
        return {
            "RuleId": self.rule_id,
            "RuleType": self.rule_type.value,
            "RuleValue": self.value,
            "RuleDescription": self.description,
            "RuleDuration": self.written_duration,
            "RuleMeasurement": self.written_measurement,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ManagementRule:
        rule, errors = _rule(document, 0)
        if rule is None:
            raise ValueError(f"not a management rule: {errors[0].message}")
        return rule


def add_duration(start: date, amount: int, measurement: str) -> date:
    """Calendar arithmetic: one month after 31 January is the last day of February."""
    if measurement == "day":
        return date.fromordinal(start.toordinal() + amount)
    months = amount * 12 if measurement == "year" else amount
    total = start.year * 12 + (start.month - 1) + months
    year, month = divmod(total, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def parse_rules(data: bytes) -> tuple[list[ManagementRule], list[LineError]]:
    """Every rule of a rules CSV file, and every fault of it (all lines are checked)."""
    table = read_csv(data, COLUMNS, REQUIRED)
    errors = list(table.errors)
    rules = []
    for record in table.records:
        rule, faults = _record(record)
        errors.extend(faults)
        if rule is not None:
            rules.append(rule)
    errors.extend(duplicates(table.records, "RuleId"))
    return rules, sorted(errors, key=lambda error: error.line)


def export_rules(rules: list[ManagementRule]) -> bytes:
    return write_csv(COLUMNS, [[rule.document()[column] for column in COLUMNS] for rule in rules])


def _record(record: Record) -> tuple[ManagementRule | None, list[LineError]]:
    return _rule(record.values, record.line)


def _rule(values: dict[str, Any], line: int) -> tuple[ManagementRule | None, list[LineError]]:
    rule_id = str(values.get("RuleId", "")).strip()
    errors: list[LineError] = []
    if not rule_id:
        return None, [LineError(line, "empty RuleId")]
    written_type = str(values.get("RuleType", "")).strip()
    try:
        rule_type = RuleType(written_type)
    except ValueError:
        known = ", ".join(member.value for member in RuleType)
        errors.append(LineError(line, f"unknown RuleType {written_type!r} (one of {known})", rule_id))
        rule_type = None
    written_duration = str(values.get("RuleDuration", "")).strip()
    written_measurement = str(values.get("RuleMeasurement", "")).strip()
    duration, measurement = None, None
    if written_duration and written_duration.lower() != UNLIMITED:
        measurement = MEASUREMENTS.get(written_measurement.lower())
        if measurement is None:
            errors.append(
                LineError(
                    line, f"unknown RuleMeasurement {written_measurement!r} (Year, Month or Day)", rule_id
                )
            )
        try:
            duration = int(written_duration)
        except ValueError:
            errors.append(
                LineError(line, f"RuleDuration {written_duration!r} is not a whole number", rule_id)
            )
        else:
            if duration < 0:
                errors.append(LineError(line, f"negative RuleDuration {duration}", rule_id))
            elif measurement and _too_long(duration, measurement):
                errors.append(
                    LineError(
                        line,
                        f"RuleDuration {duration} {written_measurement} is excessive: "
                        f"it would end after the year {LAST_YEAR}",
                        rule_id,
                    )
                )
    if errors or rule_type is None:
        return None, errors
    rule = ManagementRule(
        rule_id=rule_id,
        rule_type=rule_type,
        value=str(values.get("RuleValue", "")),
        description=str(values.get("RuleDescription", "")),
        duration=duration,
        measurement=measurement,
        written_duration=written_duration,
        written_measurement=written_measurement,
    )
    return rule, []


def _too_long(duration: int, measurement: str) -> bool:
    years = {"year": duration, "month": duration // 12, "day": duration // 366}[measurement]
    return date.today().year + years > LAST_YEAR
