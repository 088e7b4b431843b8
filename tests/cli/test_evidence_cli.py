"""`archipel evidence export` and `archipel verify`: one JSON document, exit 0 / 1 / 2."""

# ruff: noqa: F811 - tests take the `cli` fixture imported from test_dip_cli as their argument

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from test_dip_cli import (
    SIP,
    cli,  # noqa: F401 - the `cli` fixture: this test's instance, on both engines
)
from test_tree_cli import Cli

from archipel.cli.main import main
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform


@pytest.fixture
def unit_id(platform: Platform) -> str:
    """A unit holding a binary, ingested in tenant 1 (not secured yet)."""
    service = IngestService(platform)
    result = service.run(1, service.submit(1, SIP, SIP.name))
    assert result.outcome is Outcome.OK
    with platform.database.unit_of_work() as session:
        units = UnitRepository(session, 1).units(operation_id=result.operation_id)
        return next(unit.id for unit in units if unit.object_group_id)


def offline(cli: Cli, home: Path, *args: str) -> tuple[int, str, str]:
    """`archipel ARGS…` with no instance: ARCHIPEL_HOME names a folder that does not exist."""
    for name in ("ARCHIPEL_DATABASE_URL", "ARCHIPEL_DEMO"):
        cli.monkeypatch.delenv(name, raising=False)
    cli.monkeypatch.setenv("ARCHIPEL_HOME", str(home))
    cli.monkeypatch.setattr(sys, "argv", ["archipel", *args])
    cli.capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main()
    captured = cli.capsys.readouterr()
    return int(ended.value.code or 0), captured.out, captured.err


def test_a_secured_unit_is_exported_then_verified_with_no_instance(
    cli: Cli, unit_id: str, tmp_path: Path
) -> None:
    assert cli.json("logbook", "secure", "--tenant", "1")["entries"] > 0
    target = tmp_path / "out" / "evidence.zip"
    summary = cli.json("evidence", "export", unit_id, "--tenant", "1", "-o", str(target))
    assert summary["unit"] == unit_id and summary["ok"] is True
    assert summary["checks"] and all(set(check) == {"name", "ok", "detail"} for check in summary["checks"])
    assert zipfile.is_zipfile(target)
    nowhere = tmp_path / "no-instance"
    code, stdout, stderr = offline(cli, nowhere, "verify", str(target), "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["ok"] is True and not nowhere.exists()
    code, stdout, _ = offline(cli, nowhere, "verify", str(target))
    assert code == 0 and "all checks hold" in stdout


def test_an_unsecured_unit_is_exported_with_exit_1_saying_so(cli: Cli, unit_id: str, tmp_path: Path) -> None:
    target = tmp_path / "evidence.zip"
    code, stdout, _ = cli("evidence", "export", unit_id, "--tenant", "1", "-o", str(target), "--json")
    summary = json.loads(stdout)
    assert (code, summary["ok"], target.exists()) == (1, False, True)
    assert [check["name"] for check in summary["checks"] if not check["ok"]] == ["secured"]


def test_verify_exits_1_naming_what_was_tampered(cli: Cli, unit_id: str, tmp_path: Path) -> None:
    cli.json("logbook", "secure", "--tenant", "1")
    target = tmp_path / "evidence.zip"
    cli.json("evidence", "export", unit_id, "--tenant", "1", "-o", str(target))
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(forged, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            copy.writestr(
                info, data.replace(b"LFC.INGEST", b"LFC.DELETE") if info.filename == "report.json" else data
            )
    code, stdout, _ = offline(cli, tmp_path / "none", "verify", str(forged), "--json")
    verdict = json.loads(stdout)
    assert (code, verdict["ok"]) == (1, False)
    failed = [check["name"] for check in verdict["checks"] if not check["ok"]]
    assert failed and all(name.startswith("entry ") for name in failed)
    code, stdout, _ = offline(cli, tmp_path / "none", "verify", str(forged))
    assert code == 1 and "FAILED" in stdout


def test_bad_usage_exits_2_with_one_line_on_stderr(cli: Cli, unit_id: str, tmp_path: Path) -> None:
    target = str(tmp_path / "evidence.zip")
    for args in (
        ("evidence", "export", unit_id, "--tenant", "1", "-o", target, "--contract", "AC-INCONNU"),
        ("evidence", "export", unit_id, "--tenant", "99", "-o", target),
    ):
        code, stdout, stderr = cli(*args, "--json")
        assert (code, stdout) == (2, ""), args
        assert len(stderr.strip().splitlines()) == 1
    code, stdout, stderr = offline(cli, tmp_path / "none", "verify", str(tmp_path / "missing.zip"), "--json")
    assert (code, stdout) == (2, "") and "no such file" in stderr
    code, _, stderr = cli(
        "evidence", "export", "01a2aaaa-0000-7000-8000-000000000000", "--tenant", "1", "-o", target
    )
    assert code == 1 and "not found" in stderr
