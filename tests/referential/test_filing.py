"""Filing trees and plans: a CSV checked line by line, turned into a SEDA transfer of units, ingested.

The reference system's own tree and plan SIPs get the outcome it gives them, with the
workflow `expected.csv` names; archives then attach under the nodes, by `SystemId` or by
the ingest contract's `LinkParentId`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from support import FIXTURES, ExpectedSip, expected_sips

from archipel.collect.sip_builder import Document, build_sip
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.referential.filing import (
    FilingImport,
    filing_manifest,
    filing_report,
    import_filing_tree,
    manifest_only_sip,
    parse_filing_tree,
)
from archipel.referential.report import ImportRefused
from archipel.referential.service import ReferentialService
from archipel.seda.validation import check_manifest

HEADER = "id,parent id,title,level,description\n"
TREE = HEADER + (
    "1,,Administration générale,Series,Le fonds de la commune\n"
    "1.1,1,Conseil municipal,Subseries,\n"
    '1.1.1,1.1,Délibérations,File,"Registres, extraits"\n'
    "2,,Urbanisme,,\n"
)
FILING = FIXTURES / "referentials" / "filing"
SCHEME_SIPS = [sip for sip in expected_sips() if sip.path.parent.name == "filing"]


def lines_of(data: str) -> dict[int, str]:
    """Line number → message of every fault `parse_filing_tree` finds."""
    _nodes, errors = parse_filing_tree(data.encode("utf-8"))
    return {error.line: error.message for error in errors}


def units_of(platform: Platform, tenant: int, operation_id: str) -> dict[str, tuple[str, str, list[str]]]:
    """Manifest id → (title, unit type, parents) of what an operation archived."""
    with platform.database.unit_of_work() as session:
        repository = UnitRepository(session, tenant)
        units = repository.units(limit=10_000, operation_id=operation_id)
        parents = repository.parents_of(unit.id for unit in units)
        return {unit.manifest_id or "": (unit.title, unit.unit_type, parents[unit.id]) for unit in units}


def ingest(platform: Platform, tenant: int, sip: Path) -> str:
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip, sip.name, agent="test")
    assert service.run(tenant, operation_id).outcome.rank < Outcome.KO.rank
    return operation_id


# -- the CSV file --------------------------------------------------------------------------------


def test_reads_nodes_with_their_parents_levels_and_descriptions() -> None:
    nodes, errors = parse_filing_tree(TREE.encode("utf-8"))
    assert errors == []
    assert [(n.line, n.identifier, n.parent, n.level) for n in nodes] == [
        (2, "1", None, "Series"),
        (3, "1.1", "1", "Subseries"),
        (4, "1.1.1", "1.1", "File"),
        (5, "2", None, "RecordGrp"),
    ]
    assert nodes[2].description == "Registres, extraits"


@pytest.mark.parametrize(
    "header",
    [
        "ID,Parent ID,Title,Level,Description",
        "id,parent_id,TITLE,level,description",
        " Id , PARENT_ID ,title,Level,Description",
    ],
)
def test_accepts_header_in_any_case_with_underscores_or_spaces(header: str) -> None:
    data = "\ufeff" + header + "\n1,,Racine,fonds,\n2,1,Branche,,\n"
    nodes, errors = parse_filing_tree(data.encode("utf-8"))
    assert errors == []
    assert [(node.identifier, node.parent, node.level) for node in nodes] == [
        ("1", None, "Fonds"),
        ("2", "1", "RecordGrp"),
    ]


def test_rejects_tree_file_with_empty_id() -> None:
    assert lines_of(HEADER + "1,,Racine,,\n,1,Sans id,,\n") == {3: "empty id"}


def test_rejects_tree_file_with_duplicate_id() -> None:
    faults = lines_of(HEADER + "1,,Racine,,\n2,1,A,,\n2,1,B,,\n")
    assert faults == {4: "duplicate id '2' (first at line 3)"}


def test_rejects_tree_file_with_empty_title() -> None:
    assert lines_of(HEADER + "1,,Racine,,\n2,1,  ,,\n") == {3: "empty title"}


def test_rejects_tree_file_with_unknown_parent_id() -> None:
    faults = lines_of(HEADER + "1,,Racine,,\n2,9,Orphelin,,\n")
    assert list(faults) == [3] and "unknown parent id '9'" in faults[3]


def test_rejects_tree_file_with_a_cycle_at_every_line_of_it() -> None:
    faults = lines_of(HEADER + "1,,Racine,,\n2,4,A,,\n3,2,B,,\n4,3,C,,\n5,5,Lui-même,,\n")
    assert sorted(faults) == [3, 4, 5, 6]
    assert [faults[line] for line in (3, 4, 5)] == [
        f"id '{identifier}' is its own ancestor (2 → 4 → 3 → 2)" for identifier in ("2", "3", "4")
    ]
    assert faults[6] == "id '5' is its own ancestor (5 → 5)"


def test_rejects_tree_file_with_a_level_that_is_not_a_seda_description_level() -> None:
    faults = lines_of(HEADER + "1,,Racine,Dossier,\n")
    assert list(faults) == [2]
    assert faults[2].startswith("level 'Dossier' is not a SEDA DescriptionLevel (Fonds, Subfonds, Class")


def test_reports_every_bad_line_of_the_file_at_once() -> None:
    faults = lines_of(HEADER + ",,x,,\n1,,,,\n1,,y,Bad,\n2,7,z,,\n")
    assert sorted(faults) == [2, 3, 4, 5]


def test_refuses_the_whole_file_and_imports_nothing(platform: Platform) -> None:
    data = (TREE + "9,8,Perdu,,\n").encode("utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_filing_tree(platform, 1, data)
    report = refused.value.report
    assert report.kind == "filing-tree"
    assert [(error.line, error.identifier) for error in report.errors] == [(6, "9")]
    with platform.database.unit_of_work() as session:
        assert UnitRepository(session, 1).units() == []
        assert OperationLog(session, 1).operations(type_="FILING_SCHEME") == []


# -- the transfer made of it ---------------------------------------------------------------------


def test_tree_becomes_a_schema_valid_transfer_of_units_only(tmp_path: Path) -> None:
    nodes, _ = parse_filing_tree((HEADER + "1,,Racine & cie,Fonds,<note>\n2,1,Branche,,\n").encode())
    sip = manifest_only_sip(filing_manifest(nodes, "FILING_SCHEME", "plan.csv"))
    with zipfile.ZipFile(io.BytesIO(sip)) as archive:
        assert archive.namelist() == ["manifest.xml"]
        manifest = tmp_path / "manifest.xml"
        manifest.write_bytes(archive.read("manifest.xml"))
    checked = check_manifest(manifest)
    assert checked.findings == [] and checked.seda_version == "2.1"
    text = manifest.read_text("utf-8")
    assert "<Title>Racine &amp; cie</Title>" in text and "<ArchiveUnitRefId>N2</ArchiveUnitRefId>" in text


def test_root_under_an_archived_unit_is_written_as_update_operation_system_id(tmp_path: Path) -> None:
    parent = "01a21201-a06a-734e-a4d9-2355b0ea7612"
    nodes, errors = parse_filing_tree(
        (HEADER + f"1,{parent},Racine,,\n2,1,Branche,,\n").encode(), unit_type_of=lambda _id: "HOLDING_UNIT"
    )
    assert errors == [] and nodes[0].attach_to == parent and nodes[0].parent is None
    manifest = tmp_path / "manifest.xml"
    manifest.write_bytes(filing_manifest(nodes, "FILING_SCHEME"))
    assert check_manifest(manifest).findings == []
    assert f"<UpdateOperation><SystemId>{parent}</SystemId></UpdateOperation>" in manifest.read_text()


def test_imported_tree_becomes_archived_nodes_of_its_type(platform: Platform) -> None:
    tree = import_filing_tree(platform, 1, TREE.encode("utf-8"), agent="test", source_name="plan.csv")
    assert tree.accepted and tree.workflow == "FILING_SCHEME" and tree.units == 4
    assert set(tree.nodes) == {"1", "1.1", "1.1.1", "2"}
    units = units_of(platform, 1, tree.operation_id)
    assert {title: (unit_type, parents) for title, unit_type, parents in units.values()} == {
        "Administration générale": ("FILING_UNIT", []),
        "Conseil municipal": ("FILING_UNIT", [tree.nodes["1"]]),
        "Délibérations": ("FILING_UNIT", [tree.nodes["1.1"]]),
        "Urbanisme": ("FILING_UNIT", []),
    }
    plan = import_filing_tree(platform, 1, TREE.encode("utf-8"), plan=True)
    assert plan.workflow == "HOLDING_SCHEME"
    assert {unit_type for _, unit_type, _ in units_of(platform, 1, plan.operation_id).values()} == {
        "HOLDING_UNIT"
    }


def test_root_attaches_under_a_unit_of_the_tenant_named_as_parent_id(platform: Platform) -> None:
    plan = import_filing_tree(platform, 1, TREE.encode("utf-8"), plan=True)
    data = HEADER + f"A,{plan.nodes['2']},Permis de construire,Series,\nA.1,A,2024,File,\n"
    tree = import_filing_tree(platform, 1, data.encode("utf-8"))
    assert tree.accepted
    units = units_of(platform, 1, tree.operation_id)
    assert units["N1"] == ("Permis de construire", "FILING_UNIT", [plan.nodes["2"]])


def test_parent_id_of_another_tenant_or_a_forbidden_type_is_a_bad_line(platform: Platform) -> None:
    other = import_filing_tree(platform, 2, TREE.encode("utf-8"), plan=True)
    with pytest.raises(ImportRefused) as refused:
        import_filing_tree(platform, 1, (HEADER + f"1,{other.nodes['1']},Ailleurs,,\n").encode())
    assert refused.value.report.errors[0].line == 2
    assert "unknown parent id" in refused.value.report.errors[0].message

    tree = import_filing_tree(platform, 1, TREE.encode("utf-8"))
    with pytest.raises(ImportRefused) as refused:
        import_filing_tree(platform, 1, (HEADER + f"1,{tree.nodes['1']},Plan,,\n").encode(), plan=True)
    fault = refused.value.report.errors[0]
    assert fault.line == 2 and "FILING_UNIT" in fault.message and "HOLDING_UNIT" in fault.message


# -- the reference system's tree and plan SIPs ---------------------------------------------------


def workflow_of(sip: ExpectedSip) -> str:
    """The workflow `expected.csv` gives the SIP in its reason (`workflow FILING_SCHEME`, ...)."""
    match = re.search(r"\b(FILING_SCHEME|HOLDING_SCHEME)\b", sip.reason)
    assert match, sip.reason
    return match.group(1)


def scheme_import(platform: Platform, sip: ExpectedSip) -> FilingImport:
    workflow = workflow_of(sip)
    return import_filing_tree(platform, 1, sip.path.read_bytes(), plan=workflow == "HOLDING_SCHEME")


@pytest.mark.parametrize("sip", [s for s in SCHEME_SIPS if s.expected == "OK"], ids=lambda sip: sip.name)
def test_reference_scheme_sip_is_accepted_with_its_workflow(platform: Platform, sip: ExpectedSip) -> None:
    result = scheme_import(platform, sip)
    assert result.accepted, [event for event in result.events if event["outcome"] != "OK"]
    assert result.workflow == workflow_of(sip) and result.units == 6
    expected_type = {"FILING_SCHEME": "FILING_UNIT", "HOLDING_SCHEME": "HOLDING_UNIT"}[result.workflow]
    assert {unit_type for _, unit_type, _ in units_of(platform, 1, result.operation_id).values()} == {
        expected_type
    }


@pytest.mark.parametrize("sip", [s for s in SCHEME_SIPS if s.expected == "OK"], ids=lambda sip: sip.name)
def test_reference_scheme_sip_replies_exactly_what_the_reference_system_replies(
    platform: Platform, sip: ExpectedSip
) -> None:
    assert scheme_import(platform, sip).reply_code == sip.expected


KO_CODES = {
    "KO_plan_classification_Level.zip": ("CHECK_CLASSIFICATION_LEVEL.KO", "ID6"),
    "KO_Plan_empty_title.zip": ("CHECK_UNIT_SCHEMA.INVALID_UNIT.KO", "ID4"),
    "KO_Arbre_empty_title.zip": ("CHECK_UNIT_SCHEMA.INVALID_UNIT.KO", "ID4"),
}
"""The finding each refusal comes from: the code `expected.csv` gives, or for the classification
level (its reason gives no code) the step that judges classification levels."""


@pytest.mark.parametrize("sip", [s for s in SCHEME_SIPS if s.expected == "KO"], ids=lambda sip: sip.name)
def test_reference_scheme_sip_is_refused_for_its_reason(platform: Platform, sip: ExpectedSip) -> None:
    result = scheme_import(platform, sip)
    assert result.reply_code == "KO" and result.units == 0 and result.nodes == {}
    assert result.workflow == workflow_of(sip)
    code, target = KO_CODES[sip.name]
    if sip.reason.startswith("CHECK_"):
        assert sip.reason.startswith(code)
    assert any(event["code"] == code and event["target"] == target for event in result.events), result.events


# -- archives under the nodes --------------------------------------------------------------------


def test_two_trees_coexist_and_archives_attach_under_a_node_of_each(
    platform: Platform, tmp_path: Path
) -> None:
    first = import_filing_tree(platform, 1, TREE.encode("utf-8"))
    second = scheme_import(platform, next(s for s in SCHEME_SIPS if s.name == "OK_arbre_AN.zip"))
    assert first.accepted and second.accepted
    for node in (first.nodes["1.1.1"], second.nodes["ID4"]):
        sip = build_sip(
            tmp_path / f"{node}.zip",
            [Document("Registre 2024", "registre.txt", b"deliberations")],
            attach_to=node,
        )
        operation_id = ingest(platform, 1, sip.path)
        assert units_of(platform, 1, operation_id)["U0"] == ("Versement", "INGEST", [node])


def test_ingest_contract_link_parent_id_makes_transfers_land_under_the_node(
    platform: Platform, tmp_path: Path
) -> None:
    tree = import_filing_tree(platform, 1, TREE.encode("utf-8"))
    node = tree.nodes["1.1"]
    contract = {
        "Identifier": "IC-CONSEIL",
        "Name": "Versements du conseil municipal",
        "Status": "ACTIVE",
        "LinkParentId": node,
        "EveryDataObjectVersion": True,
        "EveryFormatType": True,
    }
    ReferentialService(platform).put(1, "ingest-contracts", contract, agent="test")
    sip = build_sip(tmp_path / "sip.zip", [Document("PV", "pv.txt", b"pv")], archival_agreement="IC-CONSEIL")
    operation_id = ingest(platform, 1, sip.path)
    assert units_of(platform, 1, operation_id)["U0"][2] == [node]


def test_answers_like_a_referential_import_for_archipel_referential_import(platform: Platform) -> None:
    report = filing_report(import_filing_tree(platform, 1, TREE.encode("utf-8"), source_name="plan.csv"))
    assert (report.kind, report.imported, len(report.created), report.errors) == ("filing-tree", 4, 4, [])
    with pytest.raises(ImportRefused) as refused:
        filing_report(import_filing_tree(platform, 1, (FILING / "KO_Plan_empty_title.zip").read_bytes()))
    assert [(e.line, e.identifier) for e in refused.value.report.errors] == [(0, "ID4")]
    assert refused.value.report.errors[0].message.startswith("CHECK_UNIT_SCHEMA.INVALID_UNIT.KO")
