"""Management rules files, read as the reference system writes them, and their end dates."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from support import FIXTURES

from archipel.referential.rules import ManagementRule, RuleType, add_duration, export_rules, parse_rules

RULES = FIXTURES / "referentials/rules"


def test_reads_every_rule_of_the_reference_file() -> None:
    rules, errors = parse_rules((RULES / "rules_ok.csv").read_bytes())
    assert errors == []
    assert len(rules) == 67
    by_id = {rule.rule_id: rule for rule in rules}
    assert by_id["ACC-00003"].rule_type is RuleType.ACCESS
    assert (by_id["ACC-00003"].duration, by_id["ACC-00003"].measurement) == (25, "year")
    assert by_id["HOL-00004"].duration is None  # "unlimited"
    assert by_id["HOL-00002"].duration is None  # no duration at all


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("rules_ko_colonne_absente.csv", 1, "missing column(s) RuleType"),
        ("rules_ko_duration_excessive.csv", 19, "excessive"),
        ("rules_ko_duration_negative.csv", 43, "negative RuleDuration -50"),
        ("rules_ko_empty_line.csv", 4, "empty line"),
        ("rules_ko_mauvais_separateur.csv", 4, "wrong separator"),
        ("rules_ko_ruleId_non_unique.csv", 7, "'ACC-00001' already given at line 6"),
        ("rules_ko_ruleType_invalide.csv", 2, "unknown RuleType 'aPPRAISALrUle'"),
    ],
)
def test_reports_the_fault_of_each_bad_rules_file_at_its_line(name: str, line: int, words: str) -> None:
    _, errors = parse_rules((RULES / name).read_bytes())
    assert any(error.line == line and words in error.message for error in errors), errors


def test_an_export_gives_back_the_records_of_the_imported_file() -> None:
    source = (RULES / "rules_ok.csv").read_bytes()
    exported = export_rules(parse_rules(source)[0])

    def records(data: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))

    assert records(exported) == records(source)
    assert parse_rules(exported)[0] == parse_rules(source)[0]


def test_accepts_french_measurements() -> None:
    data = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\nA,AccessRule,x,,3,Mois\n"
    [rule], errors = parse_rules(data.encode())
    assert errors == [] and rule.end_date(date(2024, 1, 31)) == date(2024, 4, 30)


def test_end_dates_follow_the_calendar() -> None:
    assert add_duration(date(2024, 2, 29), 1, "year") == date(2025, 2, 28)
    assert add_duration(date(2024, 1, 31), 1, "month") == date(2024, 2, 29)
    assert add_duration(date(2024, 12, 31), 1, "day") == date(2025, 1, 1)
    unlimited = ManagementRule("HOL-1", RuleType.HOLD, "gel")
    assert unlimited.end_date(date(2024, 1, 1)) is None
