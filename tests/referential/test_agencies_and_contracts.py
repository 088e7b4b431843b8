"""Agencies CSV and contract JSON files of the reference system."""

from __future__ import annotations

import pytest
from support import FIXTURES

from archipel.referential.agencies import export_agencies, parse_agencies
from archipel.referential.contracts import (
    AccessContract,
    IngestContract,
    parse_access_contracts,
    parse_ingest_contracts,
)

REFERENTIALS = FIXTURES / "referentials"


def test_reads_the_agencies_of_the_reference_file_and_writes_them_back() -> None:
    source = (REFERENTIALS / "agencies/agencies_init.csv").read_bytes()
    agencies, errors = parse_agencies(source)
    assert errors == [] and len(agencies) == 74
    assert parse_agencies(export_agencies(agencies))[0] == agencies


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("KO_agencie_missing_field.csv", 7, "2 field(s)"),
        ("KO_agencies_empty_line.csv", 14, "empty line"),
        ("KO_agencies_same_identifer.csv", 4, "'Identifier0' already given at line 3"),
    ],
)
def test_reports_each_bad_agencies_file_at_its_line(name: str, line: int, words: str) -> None:
    _, errors = parse_agencies((REFERENTIALS / "agencies" / name).read_bytes())
    assert [(error.line, words in error.message) for error in errors] == [(line, True)]


def test_reads_ingest_contracts_with_their_rules() -> None:
    documents, errors = parse_ingest_contracts((REFERENTIALS / "contracts/ingest/IC_2194.json").read_bytes())
    assert errors == []
    contracts = {d["Identifier"]: IngestContract.from_document(d) for d in documents}
    assert contracts["IC_2194"].active is False
    assert contracts["IC_2194_DIFF"].archive_profiles == ("PROFIL_TNR_2194",)
    assert contracts["IC_2194_DIFF"].formats is None  # every format unless the contract says otherwise


def test_refuses_a_contract_with_a_date_that_is_not_a_date() -> None:
    data = (REFERENTIALS / "contracts/ingest/KO_Contrat_entree_date_mauvais_format.json").read_bytes()
    documents, errors = parse_ingest_contracts(data)
    assert documents == []
    assert [(error.line, error.message) for error in errors] == [
        (2, "CreationDate 'tom' is not a date (dd/mm/yyyy or yyyy-mm-dd)")
    ]


def test_refuses_a_contract_without_identifier() -> None:
    data = (REFERENTIALS / "contracts/ingest/KO_contractIngest_ArchiveProfile_inconnu.json").read_bytes()
    assert [error.message for error in parse_ingest_contracts(data)[1]] == ["missing Identifier"]


def test_reads_access_contracts() -> None:
    documents, errors = parse_access_contracts(
        (REFERENTIALS / "contracts/access/contract_acces_TNR.json").read_bytes()
    )
    assert errors == []
    contract = AccessContract.from_document(documents[0])
    assert contract.originating_agencies is None and contract.writing


def test_reports_json_syntax_errors_at_their_line() -> None:
    _, errors = parse_ingest_contracts(b'[\n  {"Identifier": "A",\n   "Name": }\n]')
    assert errors[0].line == 3 and errors[0].message.startswith("not JSON")
