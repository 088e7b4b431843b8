"""`archipel tree …` keeps the CLI conventions: `--json` on stdout, exit 0 done / 1 refused / 2 usage.

Commands run in-process through `main` (errors become exit codes there) on an embedded
instance whose tenants 1 and 2 hold the baseline referentials.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from archipel.cli.main import main
from archipel.platform import Platform

TREE = (
    "id,parent id,title,level,description\n"
    "1,,Administration générale,Series,\n"
    "1.1,1,Conseil municipal,Subseries,\n"
    "2,,Urbanisme,,\n"
)


@dataclass
class Cli:
    """`archipel ARGS…` on one instance, answering (exit code, stdout, stderr)."""

    platform: Platform
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str) -> tuple[int, str, str]:
        home = str(self.platform.settings.home)
        self.monkeypatch.setattr(sys, "argv", ["archipel", "--home", home, *args])
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as ended:
            main()
        captured = self.capsys.readouterr()
        return int(ended.value.code or 0), captured.out, captured.err

    def json(self, *args: str) -> Any:
        code, stdout, stderr = self(*args, "--json")
        assert code == 0, stderr
        return json.loads(stdout)


@pytest.fixture
def cli(embedded: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("ARCHIPEL_DATABASE_URL", embedded.settings.database_url)
    monkeypatch.setenv("ARCHIPEL_DEMO", "false")
    return Cli(embedded, capsys, monkeypatch)


@pytest.fixture
def tree_file(tmp_path: Path) -> Path:
    path = tmp_path / "arbre.csv"
    path.write_text(TREE, encoding="utf-8")
    return path


def test_imports_a_tree_and_lists_and_shows_it(cli: Cli, tree_file: Path) -> None:
    imported = cli.json("tree", "import", str(tree_file), "--tenant", "1")
    assert imported["workflow"] == "FILING_SCHEME" and imported["units"] == 3
    assert imported["reply_code"] in ("OK", "WARNING") and set(imported["nodes"]) == {"1", "1.1", "2"}
    plan = cli.json("tree", "import", str(tree_file), "--tenant", "1", "--plan")
    assert plan["workflow"] == "HOLDING_SCHEME"

    trees = cli.json("tree", "list", "--tenant", "1")
    assert sorted((t["unit_type"], t["title"], t["nodes"]) for t in trees) == [
        ("FILING_UNIT", "Administration générale", 2),
        ("FILING_UNIT", "Urbanisme", 1),
        ("HOLDING_UNIT", "Administration générale", 2),
        ("HOLDING_UNIT", "Urbanisme", 1),
    ]
    root = imported["nodes"]["1"]
    shown = cli.json("tree", "show", root, "--tenant", "1")
    assert [child["title"] for child in shown["children"]] == ["Conseil municipal"]
    code, stdout, _ = cli("tree", "show", root, "--tenant", "1")
    assert code == 0
    assert stdout.splitlines()[1].startswith("  Conseil municipal  [Subseries, FILING_UNIT]")


def test_a_faulty_tree_file_exits_1_naming_each_bad_line(cli: Cli, tmp_path: Path) -> None:
    faulty = tmp_path / "faulty.csv"
    faulty.write_text(TREE + "3,9,Perdu,,\n4,,,Dossier,\n", encoding="utf-8")
    code, stdout, stderr = cli("tree", "import", str(faulty), "--tenant", "1", "--json")
    assert code == 1 and "filing-tree import refused" in stderr
    report = json.loads(stdout)
    assert report["kind"] == "filing-tree"
    assert [error["line"] for error in report["errors"]] == [5, 6, 6]
    assert cli.json("tree", "list", "--tenant", "1") == []


def test_a_refused_transfer_exits_1(cli: Cli) -> None:
    sip = FIXTURES / "referentials" / "filing" / "KO_Plan_empty_title.zip"
    code, stdout, _ = cli("tree", "import", str(sip), "--tenant", "1", "--json")
    assert code == 1
    result = json.loads(stdout)
    assert result["reply_code"] == "KO"
    assert any(event["code"] == "CHECK_UNIT_SCHEMA.INVALID_UNIT.KO" for event in result["events"])


def test_renames_moves_and_deletes_nodes(cli: Cli, tree_file: Path) -> None:
    nodes = cli.json("tree", "import", str(tree_file), "--tenant", "1")["nodes"]
    renamed = cli.json("tree", "rename", nodes["1.1"], "Conseil", "--tenant", "1")
    assert (renamed["title"], renamed["version"]) == ("Conseil", 2)
    moved = cli.json("tree", "move", nodes["1.1"], nodes["2"], "--tenant", "1")
    assert moved["parents"] == [nodes["2"]] and moved["version"] == 3
    top = cli.json("tree", "move", nodes["1.1"], "--top", "--tenant", "1")
    assert top["parents"] == []
    deleted = cli.json("tree", "delete", nodes["1.1"], "--tenant", "1")
    assert deleted["deleted"] is True
    assert {t["id"] for t in cli.json("tree", "list", "--tenant", "1")} == {nodes["1"], nodes["2"]}


def test_refused_changes_exit_1_and_bad_usage_exits_2(cli: Cli, tree_file: Path) -> None:
    nodes = cli.json("tree", "import", str(tree_file), "--tenant", "1")["nodes"]
    code, _, stderr = cli("tree", "delete", nodes["1"], "--tenant", "1")
    assert code == 1 and "has 1 child unit" in stderr
    code, _, stderr = cli("tree", "move", nodes["1"], nodes["1.1"], "--tenant", "1")
    assert code == 1 and "cycle" in stderr
    code, _, _ = cli("tree", "rename", nodes["1"], "Autre", "--tenant", "2")
    assert code == 1  # another tenant's node: not found
    code, _, _ = cli("tree", "move", nodes["1.1"], "--tenant", "1")
    assert code == 2  # neither a parent nor --top
    code, _, _ = cli("tree", "import", str(tree_file.with_name("absent.csv")), "--tenant", "1")
    assert code == 2
    code, _, _ = cli("tree", "list", "--tenant", "99")
    assert code == 2
