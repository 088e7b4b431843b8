"""`archipel reclassify` keeps the CLI conventions: one JSON document, exit 0 done / 1 refused / 2 usage."""

# ruff: noqa: F811 - tests take the `cli` fixture imported from test_dip_cli as their argument

from __future__ import annotations

from pathlib import Path

import pytest
from metadata.reclassification_fonds import Fonds, ancestors, foreign_node, make_fonds
from test_dip_cli import cli  # noqa: F401 - the `cli` fixture: this test's instance, on both engines
from test_tree_cli import Cli

from archipel.platform import Platform


@pytest.fixture
def fonds(platform: Platform, tmp_path: Path) -> Fonds:
    return make_fonds(platform, tmp_path)


def test_attaches_and_detaches_printing_the_parents_and_the_operation(
    cli: Cli,
    platform: Platform,
    fonds: Fonds,
) -> None:
    series, nodes = fonds.archive.series, fonds.nodes
    both = cli.json("reclassify", series, "--tenant", "1", "--attach", nodes["M.1"], "--attach", nodes["A"])
    assert both["unit"] == series and both["parents"] == sorted([nodes["M.1"], nodes["A"]])
    assert both["operation_id"] and both["version"] == 2
    assert ancestors(platform, 1, fonds.archive.closed) == {series, nodes["M"], nodes["M.1"], nodes["A"]}
    code, stdout, _ = cli("reclassify", series, "--tenant", "1", "--detach", nodes["M.1"])
    assert code == 0 and f"now under {nodes['A']}" in stdout


def test_refusals_exit_1_and_bad_usage_exits_2(cli: Cli, platform: Platform, fonds: Fonds) -> None:
    archive, node_a = fonds.archive, fonds.nodes["A"]
    refused = [
        ("--attach", archive.closed, "cycle"),
        ("--attach", foreign_node(platform), "not found in tenant 1"),
        ("--detach", archive.other, "is not under"),
    ]
    for option, parent, reason in refused:
        code, stdout, stderr = cli("reclassify", archive.series, "--tenant", "1", option, parent, "--json")
        assert (code, stdout) == (1, "") and reason in stderr, stderr
    code, _, stderr = cli("reclassify", node_a, "--tenant", "1", "--attach", archive.series)
    assert code == 1 and "cannot go under a INGEST unit" in stderr
    assert cli("reclassify", archive.series, "--tenant", "1")[0] == 2  # no parent named
    assert cli("reclassify", archive.series, "--tenant", "9", "--attach", node_a)[0] == 2  # no such tenant
    shown = cli.json("unit", "show", archive.series, "--tenant", "1")
    assert (shown["parents"], shown["version"]) == ([], 1)
