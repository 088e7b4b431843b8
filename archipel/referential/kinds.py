"""The kinds of referential, each with the file it is exchanged as.

A kind says how its file is read and written, which field identifies an entry, whether
an import replaces the whole referential (the CSV files are complete lists) or adds and
updates entries (the JSON files of contracts and profiles), and whether every tenant
shares it (tenant 0 owns the shared ones).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from archipel.core.errors import InvalidRequest
from archipel.referential import agencies, contracts, formats, ontology, profiles, rules, unit_profiles
from archipel.referential.csvfile import read_csv
from archipel.referential.jsonfile import read_json_array
from archipel.referential.report import LineError

Document = dict[str, Any]
Parser = Callable[[bytes], tuple[list[Document], list[LineError]]]
Exporter = Callable[[list[Document]], bytes]


class CheckContext(Protocol):
    """What an import may consult besides its own file: the tenant's other referentials and units."""

    tenant: int
    """The tenant importing (some kinds let tenant 0 do more: INTERNAL ontology fields)."""

    def entries(self, kind: str) -> Mapping[str, Document]:
        """The current entries of a kind (shared kinds included), by identifier."""
        ...

    def unit_exists(self, unit_id: str) -> bool: ...


CrossCheck = Callable[[list[Document], list[int], CheckContext], list[LineError]]
"""Faults only other referentials reveal (a contract naming a profile that does not exist);
called with the documents and the line each starts at."""

SHARED_TENANT = 0
"""Owner of the referentials every tenant reads (PRONOM formats, the internal ontology)."""


@dataclass(frozen=True)
class ReferentialKind:
    name: str
    """As in `archipel referential import NAME`, and in offer keys."""
    label: str
    id_field: str
    file_type: str
    """`csv`, `json` or `xml`: the extension of exported files."""
    parse: Parser
    export: Exporter
    replaces: bool
    """True: an import is the complete new list; entries it lacks are deleted."""
    shared: bool = False
    """Tenant 0's entries are seen by every tenant, beside the tenant's own (the ontology)."""
    platform_only: bool = False
    """Only tenant 0 may change it (the PRONOM formats)."""
    record_lines: Callable[[bytes], list[int]] = lambda data: []
    """The line each entry of a faultless file starts at, in file order (for reports)."""
    cross_check: CrossCheck | None = None
    stamp: Callable[[Document | None, Document, date], Document] | None = None
    """Fields the archive sets itself on a change (a contract's activation dates)."""
    attach: Callable[[Document, bytes], tuple[Document, list[LineError]]] | None = None
    """For kinds whose entries carry a file (archive profiles: the RelaxNG or XSD): checks
    the file and returns the entry with it attached, or the faults of the file."""

    def identifier(self, document: Document) -> str:
        return str(document[self.id_field])


def _rules(data: bytes) -> tuple[list[Document], list[LineError]]:
    parsed, errors = rules.parse_rules(data)
    return [rule.document() for rule in parsed], errors


def _agencies(data: bytes) -> tuple[list[Document], list[LineError]]:
    parsed, errors = agencies.parse_agencies(data)
    return [agency.document() for agency in parsed], errors


def csv_lines(columns: tuple[str, ...]) -> Callable[[bytes], list[int]]:
    return lambda data: [record.line for record in read_csv(data, columns, required=()).records]


def json_lines(data: bytes) -> list[int]:
    return [record.line for record in read_json_array(data).records]


def json_kind(name: str, label: str, parse: Parser, export: Exporter, **options: Any) -> ReferentialKind:
    """A kind exchanged as a JSON array of notices (`Identifier`...), imported entry by entry."""
    settings: dict[str, Any] = {"replaces": False, "record_lines": json_lines, **options}
    id_field = settings.pop("id_field", "Identifier")
    return ReferentialKind(name, label, id_field, "json", parse, export, **settings)


KINDS: dict[str, ReferentialKind] = {
    kind.name: kind
    for kind in (
        ReferentialKind(
            "rules",
            "management rules",
            "RuleId",
            "csv",
            _rules,
            lambda documents: rules.export_rules([rules.ManagementRule.from_document(d) for d in documents]),
            replaces=True,
            record_lines=csv_lines(rules.COLUMNS),
        ),
        ReferentialKind(
            "agencies",
            "agencies",
            "Identifier",
            "csv",
            _agencies,
            lambda documents: agencies.export_agencies([agencies.Agency.from_document(d) for d in documents]),
            replaces=True,
            record_lines=csv_lines(agencies.COLUMNS),
        ),
        json_kind(
            "ingest-contracts",
            "ingest contracts",
            contracts.parse_ingest_contracts,
            contracts.export_contracts,
            cross_check=contracts.check_ingest_contracts,
            stamp=contracts.stamp_status_dates,
        ),
        json_kind(
            "access-contracts",
            "access contracts",
            contracts.parse_access_contracts,
            contracts.export_contracts,
            cross_check=contracts.check_access_contracts,
            stamp=contracts.stamp_status_dates,
        ),
        json_kind(
            "profiles",
            "archive profiles",
            profiles.parse_profiles,
            profiles.export_profiles,
            cross_check=profiles.check_files_kept,
            attach=profiles.attach_profile_file,
        ),
        json_kind(
            "unit-profiles",
            "archive-unit profiles",
            unit_profiles.parse_unit_profiles,
            unit_profiles.export_unit_profiles,
        ),
        json_kind(
            "formats",
            "formats",
            formats.parse_formats,
            formats.export_formats,
            id_field="PUID",
            replaces=True,
            platform_only=True,
            record_lines=formats.format_lines,
            cross_check=formats.check_formats,
        ),
        json_kind(
            "ontology",
            "ontology fields",
            ontology.parse_ontology,
            ontology.export_ontology,
            shared=True,
            cross_check=ontology.check_ontology_import,
        ),
    )
}


def kind_named(name: str) -> ReferentialKind:
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidRequest(f"unknown referential kind {name!r} (one of {', '.join(KINDS)})") from None
