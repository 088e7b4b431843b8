"""`archipel update` keeps the CLI conventions: one JSON document, exit 0 done / 1 refused / 2 usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from access.access_archive import Archive, ingest_archive
from update_support import Cli, ids_query, own_rules, unit_row

from archipel.platform import Platform


@pytest.fixture
def archive(platform: Platform, tmp_path: Path) -> Archive:
    return ingest_archive(platform, tmp_path)


@pytest.fixture
def cli(platform: Platform, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(platform, capsys, monkeypatch)


def test_updates_and_prints_the_report(cli: Cli, platform: Platform, archive: Archive) -> None:
    query = json.dumps({"$roots": [archive.series]})
    report = cli.json(
        "update", "--tenant", "1", "--query", query,
        "--set", "Description=Voirie = chaussées", "--add-rule", "AccessRule:ACC-00002:2021-06-01",
    )  # fmt: skip

    assert report["updated"] == 3 and report["refused"] == [] and report["operation_id"]
    assert unit_row(platform, archive.closed).content["Description"] == "Voirie = chaussées"
    assert ("AccessRule", "ACC-00002", "2021-06-01", "2046-06-01") in own_rules(platform, archive.closed)


def test_a_refused_unit_exits_1_with_the_report(cli: Cli, archive: Archive) -> None:
    query = json.dumps(ids_query(archive.series, archive.other))
    code, stdout, _ = cli(
        "update", "--tenant", "1", "--query", query, "--remove-rule", "AccessRule:ACC-00003", "--json"
    )

    assert code == 1
    report = json.loads(stdout)
    assert report["updated"] == 1
    assert report["refused"] == [
        {"unit": archive.other, "reason": "it declares no AccessRule ACC-00003 to remove"}
    ]


@pytest.mark.parametrize(
    ("options", "code", "said"),
    [
        (["--set", "NumeroDossier=12"], 1, "not a field of archive units"),
        (["--set", "StartDate=hier"], 1, "is not of type DATE"),
        (["--add-rule", "AccessRule:ACC-99999:2020-01-01"], 1, "not in the rules referential"),
        (["--add-rule", "AppraisalRule:ACC-00001:2020-01-01"], 1, "is a AccessRule, not a AppraisalRule"),
        ([], 2, "nothing to do"),
        (["--set", "Description"], 2, "FIELD=VALUE"),
        (["--add-rule", "AccessRule:ACC-00001:demain"], 2, "is not a date"),
        (["--remove-rule", "ACC-00001"], 2, "TYPE:ID"),
    ],
)
def test_refused_actions_exit_1_and_bad_usage_exits_2(
    cli: Cli, archive: Archive, options: list[str], code: int, said: str
) -> None:
    ended, stdout, stderr = cli("update", "--tenant", "1", "--query", "{}", *options, "--json")
    assert (ended, stdout) == (code, "") and said in stderr, stderr


def test_a_query_that_is_not_json_is_bad_usage(cli: Cli, archive: Archive) -> None:
    code, _, stderr = cli("update", "--tenant", "1", "--query", "voirie", "--set", "Description=x")
    assert code == 2 and "not valid JSON" in stderr
    assert cli("update", "--tenant", "9", "--query", "{}", "--set", "Description=x")[0] == 2
