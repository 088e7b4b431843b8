"""`archipel referential …` keeps INTERFACE.md: reports on stdout, every bad line named, exit codes 0/1/2.

The command runs in-process through `main` (the same entry point as `python -m archipel`,
mapping errors to exit codes) on an embedded instance, so each call costs no interpreter start.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from archipel.admin import service as admin
from archipel.cli.main import main
from archipel.platform import Platform

REFERENTIALS = FIXTURES / "referentials"
RULES_OK = REFERENTIALS / "rules" / "rules_ok.csv"
AGENCIES = REFERENTIALS / "agencies" / "agencies_init.csv"
PROFILE_RNG = REFERENTIALS / "profiles" / "profil_ok.rng"
EMPTY_TENANT = 3


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Archipel = Callable[..., Run]


@pytest.fixture
def archipel(
    embedded: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Archipel:
    """`archipel ARGS…` on the embedded instance: exit code, stdout, stderr.

    Tenants 1 and 2 hold the baseline referentials (tests/support.py); tenant 3 holds none.
    """
    with embedded.database.unit_of_work() as session:
        admin.create_tenant(session, "Commune C", "Métropole", EMPTY_TENANT)
    monkeypatch.setenv("ARCHIPEL_DATABASE_URL", embedded.settings.database_url)
    monkeypatch.setenv("ARCHIPEL_DEMO", "false")
    capsys.readouterr()

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["archipel", "--home", str(embedded.settings.home), *args])
        with pytest.raises(SystemExit) as exit_:
            main()
        captured = capsys.readouterr()
        return Run(int(exit_.value.code or 0), captured.out, captured.err)

    return run


def records(data: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.lstrip("\ufeff"))))


def test_import_of_valid_rules_prints_the_counts_and_the_new_version(archipel: Archipel) -> None:
    result = archipel(
        "referential", "import", "rules", str(RULES_OK), "--tenant", str(EMPTY_TENANT), "--json"
    )
    assert result.code == 0, result.stderr
    report = result.json()
    assert report["kind"] == "rules" and report["errors"] == []
    assert report["imported"] == len(report["created"]) == 67
    assert report["version"] == 1 and report["operation_id"]


def test_import_without_json_prints_a_one_line_summary(archipel: Archipel) -> None:
    result = archipel("referential", "import", "agencies", str(AGENCIES), "--tenant", str(EMPTY_TENANT))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("agencies: 74 imported (74 created, 0 updated, 0 deleted), version 1")


@pytest.mark.parametrize(
    ("file", "lines"),
    [
        ("rules_ko_duration_negative.csv", [43, 75]),
        ("rules_ko_mauvais_separateur.csv", [4, 5, 6]),
        ("rules_ko_ruleId_non_unique.csv", [7]),
        ("rules_ko_empty_line.csv", [4]),
        ("rules_ko_colonne_absente.csv", [1]),
    ],
)
def test_refused_rules_file_exits_1_names_every_bad_line_and_changes_nothing(
    archipel: Archipel, file: str, lines: list[int]
) -> None:
    before = archipel("referential", "export", "rules", "--tenant", "1").stdout
    result = archipel(
        "referential", "import", "rules", str(REFERENTIALS / "rules" / file), "-t", "1", "--json"
    )
    assert result.code == 1
    report = result.json()
    assert [error["line"] for error in report["errors"]] == lines
    assert report["imported"] == 0 and report["version"] is None and report["operation_id"]
    assert len(result.stderr.strip().splitlines()) == 1 and "refused" in result.stderr
    assert archipel("referential", "export", "rules", "--tenant", "1").stdout == before


def test_refused_import_without_json_shows_a_table_of_the_bad_lines(archipel: Archipel) -> None:
    bad = REFERENTIALS / "rules" / "rules_ko_duration_negative.csv"
    result = archipel("referential", "import", "rules", str(bad), "--tenant", "1")
    assert result.code == 1
    for expected in ("43", "ACC-00020", "negative RuleDuration -50", "75", "ACC-00036"):
        assert expected in result.stdout


def test_export_round_trips_the_imported_rules(archipel: Archipel, tmp_path: Path) -> None:
    target = tmp_path / "rules.csv"
    result = archipel("referential", "export", "rules", "--tenant", "1", "-o", str(target), "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"kind": "rules", "file": str(target), "bytes": target.stat().st_size}
    exported = records(target.read_text(encoding="utf-8"))
    assert exported == records(RULES_OK.read_text(encoding="utf-8"))
    to_stdout = archipel("referential", "export", "rules", "--tenant", "1", "-o", "-")
    assert to_stdout.code == 0 and records(to_stdout.stdout) == exported
    again = archipel("referential", "import", "rules", str(target), "--tenant", "1", "--json").json()
    assert again["imported"] == 0 and again["version"] == 1


def test_list_show_and_history_of_an_agency(archipel: Archipel) -> None:
    listed = archipel("referential", "list", "agencies", "--tenant", "1", "--json").json()
    assert len(listed) == 74 and "RATP" in [agency["Identifier"] for agency in listed]
    shown = archipel("referential", "show", "agencies", "RATP", "--tenant", "1", "--json").json()
    assert shown["Identifier"] == "RATP" and shown["Name"]
    history = archipel("referential", "history", "agencies", "RATP", "--tenant", "1", "--json").json()
    assert [(change["version"], change["action"]) for change in history] == [(1, "create")]
    human = archipel("referential", "list", "agencies", "--tenant", "1")
    assert human.code == 0 and "FRAN_NP_005761" in human.stdout


def test_delete_of_an_agency_removes_it_and_keeps_its_history(archipel: Archipel) -> None:
    result = archipel("referential", "delete", "agencies", "RATP", "--tenant", "1", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["deleted"] == ["RATP"] and result.json()["version"] == 2
    missing = archipel("referential", "show", "agencies", "RATP", "--tenant", "1", "--json")
    assert missing.code == 1 and missing.stdout == "" and "RATP" in missing.stderr
    history = archipel("referential", "history", "agencies", "RATP", "--tenant", "1", "--json").json()
    assert [change["action"] for change in history] == ["create", "delete"]
    assert len(archipel("referential", "list", "agencies", "--tenant", "1", "--json").json()) == 73


def test_entries_of_one_tenant_are_not_seen_from_another(archipel: Archipel, tmp_path: Path) -> None:
    reading_room = tmp_path / "salle.json"
    reading_room.write_text('[{"Identifier": "AC-SALLE", "Name": "Salle", "EveryOriginatingAgency": true}]')
    imported = archipel("referential", "import", "access-contracts", str(reading_room), "-t", "1", "--json")
    assert imported.code == 0, imported.stderr
    assert "AC-SALLE" in imported.json()["created"]
    listed = archipel("referential", "list", "access-contracts", "--tenant", "2", "--json").json()
    assert "AC-SALLE" not in [contract["Identifier"] for contract in listed]
    other = archipel("referential", "show", "access-contracts", "AC-SALLE", "--tenant", "2")
    assert other.code == 1 and "not found" in other.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("import", "not-a-kind", str(RULES_OK), "--tenant", "1"),
        ("import", "rules", str(REFERENTIALS / "rules" / "no_such_file.csv"), "--tenant", "1"),
        ("import", "rules", str(RULES_OK), "--tenant", "99"),
        ("list", "not-a-kind", "--tenant", "1", "--json"),
        ("attach", "agencies", "RATP", str(PROFILE_RNG), "--tenant", "1"),
        ("export", "rules", "--tenant", "1", "--json"),
    ],
    ids=[
        "unknown kind",
        "missing file",
        "unknown tenant",
        "unknown kind in list",
        "kind without file",
        "json",
    ],
)
def test_bad_usage_exits_2_with_one_line_on_stderr(archipel: Archipel, args: tuple[str, ...]) -> None:
    result = archipel("referential", *args)
    assert result.code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:")
