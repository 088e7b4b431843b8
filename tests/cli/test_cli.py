"""The `archipel` command keeps the contract of INTERFACE.md: JSON on stdout, exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

OK_SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"
KO_SIP = FIXTURES / "sip" / "ko" / "KO_BORD_empreinte_KO.zip"


def archipel(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARCHIPEL_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "archipel", *args], env=env, capture_output=True, text=True, timeout=300
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "home"
    assert archipel(folder, "init").returncode == 0
    agencies = FIXTURES / "referentials" / "agencies" / "agencies_init.csv"  # the fixture SIPs name them
    assert (
        archipel(folder, "referential", "import", "agencies", str(agencies), "--tenant", "1").returncode == 0
    )
    return folder


def test_init_twice_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    first = as_json(archipel(tmp_path / "home", "init", "--json"))
    second = as_json(archipel(tmp_path / "home", "init", "--json"))
    assert first["created"] is True and second["created"] is False
    assert first["demo_keys"] == second["demo_keys"]
    tenants = as_json(archipel(tmp_path / "home", "tenant", "list", "--json"))
    assert [tenant["id"] for tenant in tenants] == [0, 1, 2]


def test_accepted_ingest_exits_0_and_writes_the_reply(home: Path, tmp_path: Path) -> None:
    reply = tmp_path / "atr.xml"
    result = archipel(home, "ingest", str(OK_SIP), "--tenant", "1", "--json", "--reply", str(reply))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["reply_code"] == "OK" and summary["units"] == 7 and summary["objects"] == 4
    assert b"<ReplyCode>OK</ReplyCode>" in reply.read_bytes()

    units = as_json(archipel(home, "units", "list", "--tenant", "1", "--json"))
    item = next(unit for unit in units if unit["object_group"])
    detail = as_json(archipel(home, "unit", "show", item["id"], "--tenant", "1", "--json"))
    binary = detail["objects"][0]
    target = tmp_path / "document.bin"
    fetched = as_json(
        archipel(home, "object", "get", binary["id"], "--tenant", "1", "-o", str(target), "--json")
    )
    assert fetched["digest"] == binary["digest"] and target.stat().st_size == binary["size"]

    operations = as_json(archipel(home, "logbook", "operations", "--tenant", "1", "--json"))
    assert operations[0]["id"] == summary["operation_id"]


def test_refused_ingest_exits_1_with_the_reasons(home: Path) -> None:
    result = archipel(home, "ingest", str(KO_SIP), "--tenant", "1", "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["reply_code"] == "KO"
    assert any(event["code"] == "CHECK_DIGEST.KO" and event["target"] for event in summary["events"])


def test_unknown_tenant_and_missing_file_are_usage_errors(home: Path) -> None:
    unknown = archipel(home, "units", "list", "--tenant", "99", "--json")
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert "tenant 99" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = archipel(home, "ingest", "/nonexistent/sip.zip", "--tenant", "1")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    no_option = archipel(home, "dip", "export", "--tenant", "1", "-o", "dip.zip")
    assert no_option.returncode == 2 and "Missing option '--query'" in no_option.stderr


def test_another_tenants_unit_is_not_found(home: Path) -> None:
    units = as_json(archipel(home, "units", "list", "--tenant", "1", "--json"))
    result = archipel(home, "unit", "show", units[0]["id"], "--tenant", "2", "--json")
    assert result.returncode == 1
    assert "not found" in result.stderr


def test_sip_check_runs_the_ingest_checks_offline(tmp_path: Path) -> None:
    refused = archipel(tmp_path / "nowhere", "sip", "check", str(KO_SIP), "--json")
    assert refused.returncode == 1
    report = json.loads(refused.stdout)
    assert report["reply_code"] == "KO"
    assert any(event["code"] == "CHECK_DIGEST.KO" and event["target"] for event in report["events"])
    accepted = archipel(tmp_path / "nowhere", "sip", "check", str(OK_SIP), "--json")
    assert accepted.returncode == 0 and json.loads(accepted.stdout)["reply_code"] == "OK"
    assert not (tmp_path / "nowhere").exists()
