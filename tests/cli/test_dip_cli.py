"""`archipel dip export` keeps the CLI conventions: one JSON document, exit 0 / 1 / 2."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from support import FIXTURES
from test_tree_cli import Cli

from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"
"""7 archive units in a tree, 4 binaries (BinaryMaster only)."""


@pytest.fixture
def cli(platform: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`archipel` run in-process on this test's instance, on either database engine."""
    for name, value in (
        ("ARCHIPEL_DATABASE_URL", platform.settings.database_url),
        ("ARCHIPEL_DEMO", "false"),
    ):
        monkeypatch.setenv(name, value)
    return Cli(platform, capsys, monkeypatch)


@pytest.fixture
def query(platform: Platform) -> str:
    """The units of one ingested transfer, as a search request."""
    service = IngestService(platform)
    result = service.run(1, service.submit(1, SIP, SIP.name))
    assert result.outcome is Outcome.OK
    return json.dumps({"$query": {"$eq": {"#opi": result.operation_id}}})


def test_export_writes_the_dip_and_prints_its_summary(cli: Cli, query: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "dip.zip"
    summary = cli.json("dip", "export", "--tenant", "1", "--query", query, "-o", str(target))
    assert (summary["outcome"], summary["units"], summary["objects"]) == ("OK", 7, 4)
    assert summary["bytes"] == target.stat().st_size
    assert summary["digest"] == hashlib.sha512(target.read_bytes()).hexdigest()
    with zipfile.ZipFile(target) as dip:
        assert "manifest.xml" in dip.namelist() and len(dip.namelist()) == 5


def test_a_query_file_under_a_contract_lists_what_the_contract_left_out(
    cli: Cli, platform: Platform, query: str, tmp_path: Path
) -> None:
    contract = {
        "Identifier": "AC-DIFFUSION",
        "Name": "Diffusion seulement",
        "Status": "ACTIVE",
        "EveryOriginatingAgency": True,
        "DataObjectVersion": ["Dissemination"],
    }
    ReferentialService(platform).put(1, "access-contracts", contract)
    request = tmp_path / "query.json"
    request.write_text(query, encoding="utf-8")
    target = tmp_path / "dip.zip"
    code, stdout, _ = cli(
        "dip", "export", "--tenant", "1", "--query", f"@{request}", "--contract", "AC-DIFFUSION",
        "-o", str(target), "--json",
    )  # fmt: skip
    summary = json.loads(stdout)
    assert (code, summary["outcome"], summary["units"], summary["objects"]) == (0, "WARNING", 7, 0)
    assert [refusal["code"] for refusal in summary["refused"]] == ["USAGE_NOT_ALLOWED"] * 4


def test_plain_words_select_every_unit_holding_them(cli: Cli, query: str, tmp_path: Path) -> None:
    summary = cli.json(
        "dip", "export", "--tenant", "1", "--query", "dossier2", "-o", str(tmp_path / "dip.zip")
    )
    assert (summary["outcome"], summary["units"]) == ("OK", 1)


def test_an_export_that_selects_nothing_exits_1_and_writes_no_file(
    cli: Cli, query: str, tmp_path: Path
) -> None:
    target = tmp_path / "dip.zip"
    nobody = json.dumps({"$query": {"$eq": {"#originating_agency": "Personne"}}})
    code, stdout, _ = cli("dip", "export", "--tenant", "1", "--query", nobody, "-o", str(target), "--json")
    assert (code, json.loads(stdout)["outcome"], target.exists()) == (1, "KO", False)


def test_bad_usage_exits_2_with_one_line_on_stderr(cli: Cli, query: str, tmp_path: Path) -> None:
    target = str(tmp_path / "dip.zip")
    for args in (
        ("--query", "{not json"),
        ("--query", '{"$query": {"$nope": 1}}'),
        ("--query", query, "--contract", "AC-INCONNU"),
        ("--query", "@/no/such/query.json"),
    ):
        code, stdout, stderr = cli("dip", "export", "--tenant", "1", *args, "-o", target, "--json")
        assert (code, stdout) == (2, ""), (args, stderr)
        assert stderr.count("\n") == 1 and "error" in stderr
