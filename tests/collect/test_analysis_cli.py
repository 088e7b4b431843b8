"""`archipel analyse FOLDER`: a summary for people, `--json` for scripts, `--csv` and `--html` files.

Run in-process through `main`, where errors become exit codes; no instance is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from vrac_tree import PDF, VRAC

from archipel.cli.main import main


def archipel(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["archipel", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main()
    captured = capsys.readouterr()
    return int(ended.value.code or 0), captured.out, captured.err


def test_prints_the_report_as_json_and_writes_csv_and_html(
    vrac: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file, html_file = tmp_path / "fichiers.csv", tmp_path / "rapport.html"

    code, stdout, stderr = archipel(
        monkeypatch, capsys, "analyse", str(vrac), "--json", "--csv", str(csv_file), "--html", str(html_file)
    )

    assert code == 0, stderr
    report = json.loads(stdout)
    assert (report["files"], report["folders"], report["depth"]) == (len(VRAC), 8, 5)
    assert report["duplicates"]["wasted_bytes"] == 2 * len(PDF)
    assert len(csv_file.read_text(encoding="utf-8-sig").splitlines()) == 1 + len(VRAC)
    assert "noms/bad:name?.txt" in html_file.read_text(encoding="utf-8")


def test_prints_a_summary_for_people_and_skips_formats_when_asked(
    vrac: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = archipel(monkeypatch, capsys, "analyse", str(vrac), "--no-formats")

    assert code == 0, stderr
    assert "Analysis of vrac" in stdout and "Duplicates wasting most space" in stdout
    assert "RESERVED_NAME" in stdout and "Formats" not in stdout


def test_a_missing_folder_is_bad_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = archipel(monkeypatch, capsys, "analyse", str(tmp_path / "absent"), "--no-formats")

    assert code == 2 and stdout == ""
    assert "cannot read the folder" in stderr
