"""`archipel sip build FOLDER -o SIP.zip`: from a commune's folder to a SIP the archive accepts.

Run in-process through `main`, where errors become exit codes; building needs no instance,
the ingest at the end runs on an embedded one.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from test_analysis_cli import archipel
from test_sip_writer import ingest, ingested_units
from vrac_tree import PDF, make_tree

from archipel.ingest.findings import Outcome
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.seda.delivery import official_errors
from archipel.seda.reply import NAMESPACES

Run = Callable[..., tuple[int, str, str]]
"""`archipel` with these arguments: (exit code, stdout, stderr)."""
SEDA22 = {"seda": NAMESPACES["2.2"]}
DELIBERATIONS = {
    "2023/deliberation 2023-45.pdf": (PDF, "2023-11-20T18:00:00"),
    "2024/deliberation 2024-01.pdf": (PDF, "2024-01-16T18:00:00"),
    "2024/deliberation 2024-02.pdf": (PDF + b"%2\n", "2024-02-13T18:00:00"),
    "index.txt": (b"registre des deliberations\n", "2024-03-01T09:00:00"),
}
METADATA = (
    "File;Title;StartDate;EndDate;Keywords;AppraisalRule;AppraisalRule.FinalAction;AccessRule\n"
    ".;Registre des délibérations;;;;APP-00001:2024-01-01;Keep;\n"
    "2024/deliberation 2024-01.pdf;Budget primitif 2024;2024-01-16;2024-01-31;budget|finances;;;"
    "ACC-00001:2024-01-16\n"
)


@pytest.fixture
def deliberations(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "Délibérations", DELIBERATIONS)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    return lambda *args: archipel(monkeypatch, capsys, *args)


def manifest(sip: Path) -> etree._Element:
    with zipfile.ZipFile(sip) as archive:
        return etree.fromstring(archive.read("manifest.xml"))


def test_builds_a_sip_that_validates_and_passes_sip_check(
    deliberations: Path, tmp_path: Path, run: Run
) -> None:
    sip = tmp_path / "out" / "deliberations.zip"

    code, stdout, stderr = run("sip", "build", str(deliberations), "-o", str(sip), "--json")

    assert code == 0, stderr
    assert json.loads(stdout) | {"skipped": []} == {
        "units": 7,  # the folder, 2023, 2024 and four files
        "objects": 4,
        "bytes": sum(len(data) for data, _ in DELIBERATIONS.values()),
        "file": str(sip),
        "version": "2.2",
        "skipped": [],
    }
    with zipfile.ZipFile(sip) as archive:
        assert official_errors(archive.read("manifest.xml"), "2.2") == []
    code, stdout, stderr = run("sip", "check", str(sip), "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["reply_code"] in ("OK", "WARNING")


def test_the_built_sip_ingests_ok_with_what_the_csv_says(
    embedded: Platform,
    deliberations: Path,
    tmp_path: Path,
    run,
) -> None:
    csv_file = tmp_path / "metadata.csv"
    csv_file.write_text(METADATA, encoding="utf-8-sig")
    sip = tmp_path / "deliberations.zip"

    code, _, stderr = run("sip", "build", str(deliberations), "-o", str(sip), "--metadata", str(csv_file))
    assert code == 0, stderr
    outcome, operation_id = ingest(embedded, sip)

    assert outcome in (Outcome.OK, Outcome.WARNING)
    units = ingested_units(embedded, operation_id)
    assert set(units) == {
        "Registre des délibérations",
        "2023",
        "2024",
        "deliberation 2023-45",
        "Budget primitif 2024",
        "deliberation 2024-02",
        "index",
    }
    budget = units["Budget primitif 2024"]
    assert (budget.level, budget.content["StartDate"], budget.content["EndDate"]) == (
        "Item",
        "2024-01-16",
        "2024-01-31",
    )
    assert budget.content["Keyword"] == [{"KeywordContent": "budget"}, {"KeywordContent": "finances"}]
    assert (units["2024"].level, units["Registre des délibérations"].level) == ("File", "RecordGrp")
    with embedded.database.unit_of_work() as session:
        repository = UnitRepository(session, 1)
        assert [(r.category, r.rule_id, str(r.start_date)) for r in repository.rules_of(budget.id)] == [
            ("AccessRule", "ACC-00001", "2024-01-16")
        ]
        root_rules = repository.rules_of(units["Registre des délibérations"].id)
        assert [(r.category, r.rule_id) for r in root_rules] == [("AppraisalRule", "APP-00001")]
        [master] = repository.objects_of(budget.object_group_id)
        assert (master.filename, master.puid) == ("deliberation 2024-01.pdf", "fmt/18")


def test_options_name_the_parties_the_root_title_and_its_rules(
    deliberations: Path, tmp_path: Path, run: Run
) -> None:
    sip = tmp_path / "sip.zip"

    code, _, stderr = run(
        "sip", "build", str(deliberations), "-o", str(sip), "--no-formats",
        "--contract", "IC-MAIRIE", "--originating-agency", "Mairie-SG", "--submission-agency", "Mairie-CP",
        "--archival-agency", "AD-XX", "--transferring-agency", "Mairie-DGS",
        "--title", "Délibérations 2023-2024",
        "--rule", "AccessRule:ACC-00001:2024-01-01", "--rule", "AppraisalRule:APP-00001",
        "--final-action", "AppraisalRule:Destroy",
    )  # fmt: skip

    assert code == 0, stderr
    root = manifest(sip)

    def text(path: str) -> str | None:
        return root.findtext(path, namespaces=SEDA22)

    assert text("seda:ArchivalAgreement") == "IC-MAIRIE"
    assert text("seda:ArchivalAgency/seda:Identifier") == "AD-XX"
    assert text("seda:TransferringAgency/seda:Identifier") == "Mairie-DGS"
    assert text(".//seda:ManagementMetadata/seda:OriginatingAgencyIdentifier") == "Mairie-SG"
    assert text(".//seda:ManagementMetadata/seda:SubmissionAgencyIdentifier") == "Mairie-CP"
    first = root.find(".//seda:DescriptiveMetadata/seda:ArchiveUnit", SEDA22)
    assert first.findtext("seda:Content/seda:Title", namespaces=SEDA22) == "Délibérations 2023-2024"
    assert first.findtext("seda:Management/seda:AccessRule/seda:StartDate", namespaces=SEDA22) == "2024-01-01"
    assert (
        first.findtext("seda:Management/seda:AppraisalRule/seda:FinalAction", namespaces=SEDA22) == "Destroy"
    )
    assert root.find(".//seda:FormatIdentification", SEDA22) is None  # --no-formats


def test_dry_run_prints_the_tree_and_writes_nothing(deliberations: Path, tmp_path: Path, run: Run) -> None:
    sip = tmp_path / "sip.zip"

    code, stdout, stderr = run("sip", "build", str(deliberations), "-o", str(sip), "--dry-run")

    assert code == 0, stderr
    assert not sip.exists() and sorted(path.name for path in tmp_path.iterdir()) == ["Délibérations"]
    assert "RecordGrp Délibérations" in stdout and "File 2024" in stdout
    assert "Item deliberation 2024-02" in stdout and "fmt/18" in stdout
    assert "7 units, 4 objects" in stdout


def test_dry_run_with_json_prints_the_plan(deliberations: Path, run: Run) -> None:
    code, stdout, stderr = run("sip", "build", str(deliberations), "--dry-run", "--json", "--no-formats")

    assert code == 0, stderr
    plan = json.loads(stdout)
    assert (plan["units"], plan["objects"]) == (7, 4)
    tree = plan["tree"]
    assert [child["path"] for child in tree["children"]] == ["2023", "2024", "index.txt"]
    assert tree["children"][1]["children"][0]["objects"] == [
        {"filename": "deliberation 2024-01.pdf", "size": len(PDF), "puid": None, "mime": None}
    ]


def test_links_and_system_files_are_skipped_and_said_on_stderr(
    deliberations: Path, tmp_path: Path, run: Run
) -> None:
    (deliberations / "Thumbs.db").write_bytes(b"x")
    (deliberations / "raccourci.pdf").symlink_to(tmp_path)
    sip = tmp_path / "sip.zip"

    code, stdout, stderr = run("sip", "build", str(deliberations), "-o", str(sip), "--json", "--no-formats")

    assert code == 0, stderr
    assert "skipped: raccourci.pdf: link to" in stderr and "skipped: Thumbs.db" in stderr
    assert [entry["code"] for entry in json.loads(stdout)["skipped"]] == ["HIDDEN", "SYMLINK"]
    names = [node.text for node in manifest(sip).iterfind(".//seda:Filename", SEDA22)]
    assert "Thumbs.db" not in names and "raccourci.pdf" not in names


def test_a_missing_folder_is_bad_usage_in_one_line(tmp_path: Path, run: Run) -> None:
    code, _, stderr = run("sip", "build", str(tmp_path / "absent"), "-o", str(tmp_path / "sip.zip"))

    assert code == 2
    assert stderr.count("\n") == 1 and "absent" in stderr
    assert not (tmp_path / "sip.zip").exists()


def test_without_output_or_dry_run_or_with_a_bad_rule_is_bad_usage(
    deliberations: Path, tmp_path: Path, run: Run
) -> None:
    assert run("sip", "build", str(deliberations))[0] == 2
    code, _, stderr = run(
        "sip", "build", str(deliberations), "-o", str(tmp_path / "s.zip"), "--rule", "AppraisalRule:APP-00001"
    )
    assert code == 2 and "AppraisalRule needs a final action" in stderr
    code, _, stderr = run("sip", "build", str(deliberations), "-o", str(deliberations / "s.zip"))
    assert code == 2 and "deposited in itself" in stderr


def test_csv_problems_are_listed_with_their_lines_and_nothing_is_written(
    deliberations: Path,
    tmp_path: Path,
    run,
) -> None:
    csv_file = tmp_path / "metadata.csv"
    csv_file.write_text("File,Title,StartDate\nabsent.pdf,Absent,\nindex.txt,Index,hier\n", encoding="utf-8")
    sip = tmp_path / "sip.zip"

    code, _, stderr = run("sip", "build", str(deliberations), "-o", str(sip), "--metadata", str(csv_file))

    assert code == 2
    assert "line 2: absent.pdf: no such file or folder to deposit" in stderr
    assert "line 3: StartDate: 'hier' is not a date" in stderr
    assert not sip.exists()
