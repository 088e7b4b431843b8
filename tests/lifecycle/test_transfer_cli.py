"""`archipel transfer export` and `archipel transfer reply` keep the CLI conventions: one JSON
document, exit 0 done, 1 refused or failed (a KO reply: the handover did not happen), 2 usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elimination_fonds import Fonds
from test_transfer_reply import received_reply
from update_support import Cli

from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform


@pytest.fixture
def cli(platform: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(platform, capsys, monkeypatch)


def branch_query(fonds: Fonds, role: str) -> str:
    return json.dumps({"$query": {"$eq": {"#id": fonds[role]}}})


def test_export_then_reply_end_to_end(cli: Cli, platform: Platform, fonds: Fonds, tmp_path: Path) -> None:
    sip = tmp_path / "transfert.zip"
    exported = cli.json(
        "transfer", "export", "--tenant", "1", "--query", branch_query(fonds, "series.destroy"),
        "-o", str(sip), "--archival-agency", "Service_archives", "--agreement", "ArchivalAgreement0",
        "--transferring-agency", "Service_versant",
    )  # fmt: skip
    assert exported["outcome"] == "OK" and exported["units"] == 3 and exported["file"] == str(sip)
    reply = tmp_path / "atr.xml"
    reply.write_bytes(received_reply(platform, sip, 2))
    answered = cli.json("transfer", "reply", str(reply), "--tenant", "1")
    assert (answered["reply_code"], answered["purged"], answered["transfer"]) == (
        "OK",
        3,
        exported["operation_id"],
    )
    with platform.database.unit_of_work() as session:
        assert session.get(ArchiveUnit, (1, fonds["file.a"])) is None
    code, _, stderr = cli("transfer", "reply", str(reply), "--tenant", "1", "--json")
    assert code == 1 and "already answered" in stderr


def test_a_held_branch_exits_1_and_bad_usage_exits_2(cli: Cli, fonds: Fonds, tmp_path: Path) -> None:
    held = ("transfer", "export", "--tenant", "1", "--query", branch_query(fonds, "series.held"))
    code, stdout, _ = cli(*held, "-o", str(tmp_path / "t.zip"), "--archival-agency", "AD", "--json")
    assert code == 1 and json.loads(stdout)["outcome"] == "KO" and not (tmp_path / "t.zip").exists()
    assert cli(*held, "-o", str(tmp_path / "t.zip"))[0] == 2  # no receiver named
    assert cli("transfer", "reply", str(tmp_path / "none.xml"), "--tenant", "1")[0] == 2
    (tmp_path / "bad.xml").write_bytes(b"<ArchiveTransferReply")
    code, _, stderr = cli("transfer", "reply", str(tmp_path / "bad.xml"), "--tenant", "1")
    assert code == 2 and "not well-formed" in stderr
