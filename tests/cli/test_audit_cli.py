"""`archipel audit integrity|existence` keeps INTERFACE.md: one JSON report on stdout, exit 1 while
faults remain, 0 when every copy is sound or was repaired, 2 on bad usage."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES
from typer.testing import CliRunner, Result

from archipel.cli.main import app, main
from archipel.ingest.service import IngestService
from archipel.platform import Platform

SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"


@pytest.fixture
def archived(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    """An instance whose tenant 1 holds one ingest, opened by the CLI on the same database."""
    monkeypatch.setenv("ARCHIPEL_DATABASE_URL", platform.settings.database_url)
    monkeypatch.setenv("ARCHIPEL_DEMO", "false")
    service = IngestService(platform)
    service.run(1, service.submit(1, SIP, SIP.name))
    return platform


def archipel(platform: Platform, *args: str) -> Result:
    return CliRunner().invoke(app, ["--home", str(platform.settings.home), *args])


def report(result: Result) -> dict[str, Any]:
    document = json.loads(result.stdout)
    assert {"operation_id", "checked", "bytes", "faults", "repaired"} <= document.keys()
    return document


def object_files(platform: Platform, offer: int) -> list[Path]:
    """The files of tenant 1's objects on one offer, as an operator would find them."""
    root = Path(platform.storage.offers[offer].root)  # type: ignore[attr-defined]
    return sorted((root / "tenants" / "1" / "objects").rglob("*-*-*-*-*"))


def test_a_sound_archive_exits_0_with_an_empty_fault_list(archived: Platform) -> None:
    for kind in ("integrity", "existence"):
        result = archipel(archived, "audit", kind, "--tenant", "1", "--json")
        assert result.exit_code == 0, result.output
        document = report(result)
        assert document["checked"] == 4 and document["faults"] == [] and document["repaired"] == 0
        assert document["bytes"] == sum(path.stat().st_size for path in object_files(archived, 0))


def test_a_damaged_copy_exits_1_until_repaired(archived: Platform) -> None:
    damaged = object_files(archived, 1)[0]
    original = damaged.read_bytes()
    damaged.write_bytes(original[:-1] + bytes([original[-1] ^ 0x01]))

    found = archipel(archived, "audit", "integrity", "--tenant", "1", "--json")
    assert found.exit_code == 1
    document = report(found)
    assert [(fault["object"], fault["offer"], fault["kind"]) for fault in document["faults"]] == [
        (damaged.name, "offer-2", "corrupt")
    ]
    assert document["repaired"] == 0 and damaged.read_bytes() != original

    repaired = archipel(archived, "audit", "integrity", "--tenant", "1", "--repair", "--json")
    assert repaired.exit_code == 0, repaired.output
    assert report(repaired)["repaired"] == 1 and damaged.read_bytes() == original
    assert archipel(archived, "audit", "integrity", "--tenant", "1").exit_code == 0


def test_copies_lost_on_every_offer_exit_1_even_with_repair(archived: Platform) -> None:
    for offer in (0, 1):
        object_files(archived, offer)[0].unlink()

    result = archipel(archived, "audit", "existence", "--tenant", "1", "--repair", "--json")

    assert result.exit_code == 1
    document = report(result)
    assert {(fault["offer"], fault["kind"], fault["repaired"]) for fault in document["faults"]} == {
        ("offer-1", "missing", False),
        ("offer-2", "missing", False),
    }


def test_a_lost_copy_is_listed_for_people_and_put_back_by_an_existence_repair(archived: Platform) -> None:
    lost = object_files(archived, 0)[-1]
    lost.unlink()

    listed = archipel(archived, "audit", "existence", "--tenant", "1")
    assert listed.exit_code == 1
    assert "KO" in listed.stdout and lost.name in listed.stdout and "missing" in listed.stdout

    repaired = archipel(archived, "audit", "existence", "--tenant", "1", "--repair")
    assert repaired.exit_code == 0 and "WARNING" in repaired.stdout
    assert lost.read_bytes() == (object_files(archived, 1)[-1]).read_bytes()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--tenant", "9"], 2, "tenant 9 does not exist"),
        (["--tenant", "1", "--unit", "01a20000-0000-7000-8000-000000000000"], 1, "not found in tenant 1"),
    ],
)
def test_an_unknown_tenant_or_unit_is_refused_on_one_line(
    archived: Platform,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    message: str,
) -> None:
    """Errors become exit codes in `main`, the command's entry point."""
    home = str(archived.settings.home)
    monkeypatch.setattr(sys, "argv", ["archipel", "--home", home, "audit", "integrity", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    captured = capsys.readouterr()
    assert ended.value.code == code and message in captured.err and captured.out == ""


def test_audit_offers_lists_each_difference_by_key_and_exits_0_once_repaired(archived: Platform) -> None:
    lost = object_files(archived, 0)[0]
    lost.unlink()
    key = lost.relative_to(archived.storage.offers[0].root).as_posix()  # type: ignore[attr-defined]

    found = archipel(archived, "audit", "offers", "--tenant", "1", "--json")
    assert found.exit_code == 1, found.output
    document = json.loads(found.stdout)
    assert {"operation_id", "keys", "faults", "repaired"} <= document.keys() and document["keys"] > 4
    assert [(fault["key"], fault["offer"], fault["kind"]) for fault in document["faults"]] == [
        (key, "offer-1", "missing")
    ]

    repaired = archipel(archived, "audit", "offers", "--tenant", "1", "--repair", "--json")
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.stdout)["repaired"] == 1 and lost.exists()
    clean = archipel(archived, "audit", "offers", "--tenant", "1")
    assert clean.exit_code == 0 and "OK" in clean.stdout
