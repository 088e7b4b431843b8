"""Filing trees and classification plans: from the archivist's CSV (or a SEDA transfer) to archived nodes.

A tree is not stored as a referential entry but as archive units (FILING_UNIT for a filing
tree, HOLDING_UNIT for a classification plan) made by the FILING_SCHEME or HOLDING_SCHEME
ingest workflow, exactly as the reference system does: archives then attach under its
nodes like under any unit, and the tree is kept on the offers like the archives.

The CSV layout is `id,parent id,title,level,description` (INTERFACE.md, "Referential
files"): one line per node, `parent id` empty for a root, or naming another line's `id`,
or the system id of a unit the tenant already holds (the root then goes under that unit,
written `Management/UpdateOperation/SystemId`). `level` is a SEDA `DescriptionLevel`
(`RecordGrp` when empty). The file is checked whole before anything is made (every bad
line reported, nothing imported), then turned into a SEDA 2.1 transfer of units only and
ingested synchronously. A SEDA ZIP given instead of a CSV is ingested as it is.

The transfer lists every node as a top-level `ArchiveUnit` and places each child under its
parent with an `ArchiveUnitRefId` element (as `archipel.collect.sip_builder` and the
reference system's own plans do), rather than nesting units: the XML depth stays the same
whatever the tree's depth (libxml2 refuses documents nested beyond 256 levels unless told
otherwise), and the units appear in the order of the file's lines.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from lxml import etree

from archipel.collect.sip_builder import manifest_xml, unit_element, write_manifest
from archipel.core.ids import is_system_id, new_id
from archipel.ingest.context import FILING_SCHEME, HOLDING_SCHEME
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.ingest.workflow import ATTACHABLE_UNDER
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.referential.csvfile import read_csv
from archipel.referential.report import ImportRefused, ImportReport, LineError
from archipel.seda.schema import XSD_ROOT

if TYPE_CHECKING:
    from archipel.platform import Platform

KIND = "filing-tree"
COLUMNS = ("id", "parent id", "title", "level", "description")
DEFAULT_LEVEL = "RecordGrp"
"""The level of a node whose line gives none: a group of records, what a tree's nodes are."""
WORKFLOWS = {False: FILING_SCHEME, True: HOLDING_SCHEME}
"""`plan` → the ingest workflow: a filing tree (arbre, FILING_SCHEME: FILING_UNIT nodes) or a
classification plan (plan, HOLDING_SCHEME: HOLDING_UNIT nodes), as issue 3 names them. The
reference system's fixtures name them the other way round (`test_plan.zip` is FILING_SCHEME,
`OK_arbre_AN.zip` HOLDING_SCHEME): a SEDA ZIP is ingested with the workflow asked for, so
both are honoured; which word the `--plan` flag carries is a naming decision still open."""
LABELS = {FILING_SCHEME: "filing tree", HOLDING_SCHEME: "classification plan"}
ARCHIVES = "Archipel"
"""Both ends of the transfer: a tree is the archives' own work, not a producer's deposit."""
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
EVENT_FIELDS = ("step", "code", "outcome", "target", "message")
_NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

UnitTypeOf = Callable[[str], str | None]
"""The type of a unit of the tenant (INGEST, FILING_UNIT, HOLDING_UNIT), None if it has none."""


@dataclass(frozen=True)
class FilingNode:
    """One line of a tree file."""

    line: int
    identifier: str
    title: str
    level: str
    description: str = ""
    parent: str | None = None
    """The `id` of the parent line; None for a root."""
    attach_to: str | None = None
    """A root's parent among the units already archived (system id)."""


@dataclass(frozen=True)
class FilingImport:
    """The answer to a tree import: the ingest operation, its outcome, and the nodes it made."""

    operation_id: str
    workflow: str
    outcome: Outcome
    units: int
    nodes: dict[str, str] = field(default_factory=dict)
    """A node's id in the file (the CSV `id`, or the manifest id of a SEDA transfer) → its system id."""
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reply_code(self) -> str:
        """The ArchiveTransferReply's code: a FATAL ingest replies KO."""
        return "KO" if self.outcome is Outcome.FATAL else self.outcome.value

    @property
    def accepted(self) -> bool:
        return self.outcome.rank < Outcome.KO.rank

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "workflow": self.workflow,
            "reply_code": self.reply_code,
            "outcome": self.outcome.value,
            "units": self.units,
            "nodes": self.nodes,
            "events": self.events,
        }


@cache
def description_levels() -> dict[str, str]:
    """SEDA 2.1 `LevelType` values (seda-2.1-ontology.xsd): lower-case spelling → the XSD's spelling."""
    schema = etree.parse(str(XSD_ROOT / "2.1" / "seda-2.1-ontology.xsd"))
    values = schema.xpath(
        "//xsd:simpleType[@name='LevelType']//xsd:enumeration/@value",
        namespaces={"xsd": "http://www.w3.org/2001/XMLSchema"},
    )
    return {str(value).lower(): str(value) for value in values}


def column_of(header: str) -> str:
    """`Parent ID`, `parent_id`, ` PARENT-id ` → `parent id`: spreadsheets spell headers freely."""
    return " ".join(header.replace("_", " ").replace("-", " ").lower().split())


def parse_filing_tree(
    data: bytes, workflow: str = FILING_SCHEME, unit_type_of: UnitTypeOf = lambda _unit: None
) -> tuple[list[FilingNode], list[LineError]]:
    """The nodes of a tree file and every fault found in it, by line (nothing raised).

    `unit_type_of` tells which system ids name units of the tenant, so that a root may go
    under one of them where `workflow` allows (`ATTACHABLE_UNDER`).
    """
    table = read_csv(data, COLUMNS, required=(), header_key=column_of)
    errors = list(table.errors)
    nodes: list[FilingNode] = []
    for record in table.records:
        node, faults = _node(record.line, record.values)
        errors += faults
        if node is not None:
            nodes.append(node)
    if not table.errors and not table.records:
        errors.append(LineError(0, "the file holds no node"))
    errors += _duplicates(nodes)
    by_id: dict[str, FilingNode] = {}
    for node in nodes:
        by_id.setdefault(node.identifier, node)
    placed = [_place(node, by_id, workflow, unit_type_of, errors) for node in nodes]
    errors += _cycles(by_id, {node.identifier: node.parent for node in placed})
    return placed, sorted(errors, key=lambda error: error.line)


def _node(line: int, values: dict[str, str]) -> tuple[FilingNode | None, list[LineError]]:
    identifier = values["id"].strip()
    title = values["title"].strip()
    description = values["description"].strip()
    faults = []
    if not identifier:
        faults.append(LineError(line, "empty id"))
    if not title:
        faults.append(LineError(line, "empty title", identifier or None))
    for name, text in (("title", title), ("description", description), ("id", identifier)):
        bad = _NOT_XML_TEXT.search(text)
        if bad:
            faults.append(LineError(line, f"{name} holds a control character (U+{ord(bad.group()):04X})"))
    written = values["level"].strip()
    level = description_levels().get(written.lower()) if written else DEFAULT_LEVEL
    if level is None:
        allowed = ", ".join(description_levels().values())
        faults.append(
            LineError(line, f"level {written!r} is not a SEDA DescriptionLevel ({allowed})", identifier)
        )
    parent = values["parent id"].strip() or None
    if not identifier:
        return None, faults
    return FilingNode(line, identifier, title, level or written, description, parent), faults


def _duplicates(nodes: list[FilingNode]) -> list[LineError]:
    first: dict[str, int] = {}
    faults = []
    for node in nodes:
        if node.identifier in first:
            message = f"duplicate id {node.identifier!r} (first at line {first[node.identifier]})"
            faults.append(LineError(node.line, message, node.identifier))
        else:
            first[node.identifier] = node.line
    return faults


def _place(
    node: FilingNode,
    by_id: dict[str, FilingNode],
    workflow: str,
    unit_type_of: UnitTypeOf,
    errors: list[LineError],
) -> FilingNode:
    """The node with its parent resolved: a line of the file, or an archived unit it attaches to."""
    parent = node.parent
    if parent is None or parent in by_id:
        return node
    unit_type = unit_type_of(parent) if is_system_id(parent) else None
    if unit_type is None:
        message = f"unknown parent id {parent!r}: neither an id of this file nor a unit of this tenant"
        errors.append(LineError(node.line, message, node.identifier))
    elif unit_type not in ATTACHABLE_UNDER[workflow]:
        allowed = " or ".join(ATTACHABLE_UNDER[workflow])
        message = (
            f"parent id {parent} is a {unit_type} unit: a {LABELS[workflow]} goes only under {allowed} units"
        )
        errors.append(LineError(node.line, message, node.identifier))
    return FilingNode(node.line, node.identifier, node.title, node.level, node.description, None, parent)


def _cycles(by_id: dict[str, FilingNode], parent_of: dict[str, str | None]) -> list[LineError]:
    """Each line whose node is its own ancestor, with the cycle it is part of."""
    faults: list[LineError] = []
    done: set[str] = set()
    for start in by_id:
        path: list[str] = []
        position: dict[str, int] = {}
        current: str | None = start
        while current is not None and current in by_id and current not in done:
            if current in position:
                cycle = path[position[current] :]
                shown = " → ".join([*cycle, cycle[0]])
                faults += [
                    LineError(by_id[member].line, f"id {member!r} is its own ancestor ({shown})", member)
                    for member in cycle
                ]
                break
            position[current] = len(path)
            path.append(current)
            current = parent_of.get(current)
        done.update(path)
    return faults


def filing_manifest(nodes: list[FilingNode], workflow: str, source_name: str | None = None) -> bytes:
    """The SEDA 2.1 `ArchiveTransfer` of a faultless tree: one `ArchiveUnit` per node, units only."""
    manifest_ids = {node.identifier: f"N{position}" for position, node in enumerate(nodes, start=1)}
    children: dict[str, list[tuple[str, str]]] = {node.identifier: [] for node in nodes}
    for node in nodes:
        if node.parent is not None:
            child = manifest_ids[node.identifier]
            children[node.parent].append((f"R{child[1:]}", child))
    units = "".join(
        unit_element(
            manifest_ids[node.identifier],
            node.title,
            node.level,
            identifier=node.identifier,
            description=node.description or None,
            parent_system_id=node.attach_to,
            children=children[node.identifier],
        )
        for node in nodes
    )
    label = LABELS[workflow]
    return manifest_xml(
        units,
        message=label,
        archival_agency=ARCHIVES,
        transferring_agency=ARCHIVES,
        comment=f"{label} imported from {source_name}" if source_name else None,
    )


def manifest_only_sip(manifest: bytes) -> bytes:
    """A SIP holding its manifest and nothing else (a tree carries no object)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        write_manifest(archive, manifest)
    return buffer.getvalue()


def is_zip(data: bytes) -> bool:
    return data[:4] in ZIP_MAGIC


def import_filing_tree(
    platform: Platform,
    tenant: int,
    data: bytes,
    plan: bool = False,
    agent: str | None = None,
    source_name: str | None = None,
) -> FilingImport:
    """Imports a tree (CSV, or a SEDA ZIP of units) into a tenant, synchronously.

    A faulty CSV raises `ImportRefused` (kind `filing-tree`) with every bad line and makes
    nothing; otherwise the transfer is ingested with the FILING_SCHEME workflow (a filing
    tree), or HOLDING_SCHEME with `plan` (a classification plan), and the answer says how the
    ingest ended (a KO ingest is an answer too: its events say why).
    """
    workflow = WORKFLOWS[plan]
    manifest_names: dict[str, str] = {}
    if is_zip(data):
        sip = data
    else:
        with platform.database.unit_of_work() as session:
            units = UnitRepository(session, tenant)

            def unit_type_of(unit_id: str) -> str | None:
                unit = units.find_unit(unit_id)
                return unit.unit_type if unit is not None else None

            nodes, errors = parse_filing_tree(data, workflow, unit_type_of)
        if errors:
            raise ImportRefused(ImportReport(KIND, errors=errors))
        sip = manifest_only_sip(filing_manifest(nodes, workflow, source_name))
        manifest_names = {f"N{position}": node.identifier for position, node in enumerate(nodes, start=1)}

    folder = platform.settings.work_dir / "filing"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{new_id()}.zip"
    path.write_bytes(sip)
    service = IngestService(platform)
    name = source_name or f"{KIND}.zip"
    operation_id = service.submit(tenant, path, name, agent, move=True, workflow=workflow)
    result = service.run(tenant, operation_id)
    with platform.database.unit_of_work() as session:
        events = OperationLog(session, tenant).events(operation_id)
        made = UnitRepository(session, tenant).units(limit=max(result.units, 1), operation_id=operation_id)
        nodes_made = {
            manifest_names.get(unit.manifest_id or "", unit.manifest_id or ""): unit.id for unit in made
        }
        shown = [{name: getattr(event, name) for name in EVENT_FIELDS} for event in events]
    return FilingImport(operation_id, workflow, result.outcome, result.units, nodes_made, shown)


def filing_report(result: FilingImport) -> ImportReport:
    """A tree import answered like any referential import (`archipel referential import
    filing-tree`): the nodes created, or `ImportRefused` naming every fault, a refused
    transfer's KO findings included (line 0: they are about the transfer, not a line)."""
    report = ImportReport(KIND, operation_id=result.operation_id)
    if not result.accepted:
        report.errors = [
            LineError(0, f"{event['code']}: {event['message']}", event["target"])
            for event in result.events
            if event["outcome"] in (Outcome.KO.value, Outcome.FATAL.value) and event["target"]
        ] or [LineError(0, f"{result.workflow} transfer refused ({result.reply_code})")]
        raise ImportRefused(report)
    report.imported = result.units
    report.created = list(result.nodes.values())
    return report
