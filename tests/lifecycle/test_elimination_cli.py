"""`archipel elimination …` keeps the CLI conventions: one JSON document, exit 0 / 1 refused / 2 usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elimination_fonds import Fonds
from update_support import Cli

from archipel.platform import Platform
from archipel.storage import layout


@pytest.fixture
def cli(platform: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`archipel` in-process on this test's instance."""
    return Cli(platform, capsys, monkeypatch)


def test_analyse_request_approve_run_end_to_end(
    cli: Cli, platform: Platform, fonds: Fonds, tmp_path: Path
) -> None:
    analysis = cli.json(
        "elimination", "analyse", "--tenant", "1", "--query", fonds.query, "--date", "2026-01-01"
    )
    assert len(analysis["destroyable"]) == 4 and {"id", "reason"} <= set(analysis["kept"][0])
    pdf = tmp_path / "bordereau.pdf"
    made = cli.json(
        "elimination",
        "request",
        analysis["operation_id"],
        "--tenant",
        "1",
        "-o",
        str(pdf),
        "--user",
        "archiviste",
    )
    assert made["units"] == 4 and made["bytes"] > 0
    assert pdf.read_bytes().startswith(b"%PDF") and len(pdf.with_suffix(".csv").read_text().splitlines()) == 5
    request_id = made["request_id"]

    code, _, stderr = cli("elimination", "run", request_id, "--tenant", "1", "--json")
    assert code == 1 and "only an approved request" in stderr
    code, _, stderr = cli(
        "elimination", "approve", request_id, "--tenant", "1", "--user", "archiviste", "--json"
    )
    assert code == 1 and "separation of duties" in stderr
    decided = cli.json("elimination", "approve", request_id, "--tenant", "1", "--user", "directrice")
    assert (decided["request_id"], decided["status"]) == (request_id, "APPROVED")

    certificate = tmp_path / "attestation.pdf"
    done = cli.json("elimination", "run", request_id, "--tenant", "1", "-o", str(certificate))
    assert (done["eliminated"], done["objects_deleted"]) == (4, 3)
    assert certificate.read_bytes().startswith(b"%PDF")
    shown = cli.json("elimination", "show", request_id, "--tenant", "1")
    assert (shown["status"], shown["decided_by"]) == ("ELIMINATED", "directrice")
    assert cli("unit", "show", fonds["file.a"], "--tenant", "1")[0] == 1
    key = layout.operation_file_key(1, done["operation_id"], "elimination-certificate.pdf")
    assert all(offer.exists(key) for offer in platform.storage.offers)


def test_refusals_exit_1_and_bad_usage_exits_2(cli: Cli, fonds: Fonds) -> None:
    assert (
        cli("elimination", "analyse", "--tenant", "1", "--query", fonds.query, "--date", "01/01/2026")[0] == 2
    )
    assert cli("elimination", "analyse", "--tenant", "9", "--query", fonds.query)[0] == 2
    analysis = cli.json("elimination", "analyse", "--tenant", "1", "--query", fonds.query)
    request_id = cli.json("elimination", "request", analysis["operation_id"], "--tenant", "1")["request_id"]
    assert (
        cli.json("elimination", "refuse", request_id, "--tenant", "1", "--user", "directrice")["status"]
        == "REFUSED"
    )
    code, _, stderr = cli("elimination", "approve", request_id, "--tenant", "1", "--user", "autre")
    assert code == 1 and "already decided" in stderr
    assert cli("elimination", "show", request_id, "--tenant", "2")[0] == 1  # another tenant's: not found
    assert (
        json.loads(cli("unit", "show", fonds["file.a"], "--tenant", "1", "--json")[1])["id"]
        == fonds["file.a"]
    )
