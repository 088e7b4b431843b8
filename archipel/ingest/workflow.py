"""The ingest workflow as data: a list of named steps run in order.

Step names are those of the reference SAE's `DefaultIngestWorkflow`, so an archivist reads
Archipel's logbook and replies as they read Vitam's. A *blocking* step that ends KO stops
the workflow (later steps would have nothing sound to work on); a non-blocking step lets
the next ones run so one reply lists everything to fix.

Three workflows share the steps: INGEST (archives), FILING_SCHEME and HOLDING_SCHEME (filing
trees and classification plans, whose nodes are FILING_UNIT and HOLDING_UNIT units, as in
the reference system); the last two carry units only, which become the nodes other transfers attach under.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archipel.ingest.container import check_container_layout
from archipel.ingest.context import FILING_SCHEME, HOLDING_SCHEME, INGEST, IngestContext
from archipel.ingest.contract_checks import check_contract_objects
from archipel.ingest.findings import Finding, Outcome, ko, worst
from archipel.ingest.header_checks import check_header
from archipel.ingest.object_checks import check_digests, check_object_files, identify_formats
from archipel.ingest.ontology_checks import check_ontology
from archipel.ingest.package_checks import check_data_object_package, check_unit_schema
from archipel.ingest.rule_checks import check_classification_level, compute_rules
from archipel.ingest.safezip import unpack_sip
from archipel.ingest.unit_profile_checks import check_unit_profiles
from archipel.seda.manifest import read_manifest
from archipel.seda.validation import check_manifest

StepFunction = Callable[[IngestContext], list[Finding]]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFunction
    blocking: bool = True


def unpack(ctx: IngestContext) -> list[Finding]:
    unpacked = unpack_sip(
        ctx.sip,
        ctx.workspace / "sip",
        ctx.settings.zip,
        progress=lambda done: ctx.progress("unpack", done, 0),  # uncompressed total not known up front
    )
    ctx.files = unpacked.files
    return unpacked.findings


def locate_manifest(ctx: IngestContext) -> list[Finding]:
    layout = check_container_layout(ctx.files)
    ctx.manifest_name = layout.manifest
    return layout.findings


def validate_manifest(ctx: IngestContext) -> list[Finding]:
    assert ctx.manifest_name is not None
    checked = check_manifest(ctx.files[ctx.manifest_name])
    ctx.tree, ctx.seda_version = checked.tree, checked.seda_version
    if ctx.tree is not None and ctx.seda_version is not None and not checked.findings:
        ctx.manifest = read_manifest(ctx.tree, ctx.seda_version)
    return checked.findings


NO_OBJECT = "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY"


def check_package(ctx: IngestContext) -> list[Finding]:
    """The package structure; a tree or plan has no object by nature, which is no remark for it."""
    assert ctx.manifest is not None
    findings = check_data_object_package(ctx.manifest)
    if ctx.workflow != INGEST:
        findings = [finding for finding in findings if finding.code != NO_OBJECT]
    return findings


def check_units(ctx: IngestContext) -> list[Finding]:
    """The unit structure, then each metadata value against the type the ontology gives its field."""
    assert ctx.manifest is not None
    return [*check_unit_schema(ctx.manifest), *check_ontology(ctx)]


UNIT_TYPES = {INGEST: "INGEST", FILING_SCHEME: "FILING_UNIT", HOLDING_SCHEME: "HOLDING_UNIT"}
"""The type of the units each workflow makes (the reference system's `_unitType`)."""

ATTACHABLE_UNDER: dict[str, tuple[str, ...]] = {
    INGEST: tuple(UNIT_TYPES.values()),
    FILING_SCHEME: (UNIT_TYPES[FILING_SCHEME], UNIT_TYPES[HOLDING_SCHEME]),
    HOLDING_SCHEME: (UNIT_TYPES[HOLDING_SCHEME],),
}
"""Which units a transfer of each workflow may attach under: archives go anywhere, a filing
tree under a plan or another tree, a plan only under a plan (the reference system's rule),
so a plan never ends up inside the archives it classifies."""

ATTACHMENT = "CHECK_DATAOBJECTPACKAGE"
"""Attachment faults carry the reference system's code, `CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.*`."""


def check_attachment(ctx: IngestContext) -> list[Finding]:
    """Units attached under an already archived unit: it must exist in this tenant.

    A unit names its parent with `UpdateOperation/SystemId`; root units that name none go
    under the contract's `LinkParentId`. Another tenant's unit is reported exactly like a
    unit that does not exist.
    """
    assert ctx.manifest is not None
    allowed = ATTACHABLE_UNDER[ctx.workflow]
    findings = []
    parents = [(unit.manifest_id, unit.attachment_system_id) for unit in ctx.manifest.units.values()]
    contract = ctx.contract
    link_parent = contract.link_parent if contract else None
    if contract and link_parent:
        parents.append((f"contract {contract.identifier}", link_parent))
    for target, system_id in parents:
        if not system_id:
            continue
        unit_type = ctx.unit_type_of(system_id)
        if unit_type is None:
            message = f"{target} attaches to unit {system_id}, which does not exist in this tenant"
            findings.append(ko(ATTACHMENT, message, "CHECK_MANIFEST.NOT_FOUND_ATTACHMENT", target))
        elif unit_type not in allowed:
            message = (
                f"{target}: a {ctx.workflow} transfer cannot attach under a {unit_type} unit ({system_id})"
            )
            findings.append(ko(ATTACHMENT, message, "CHECK_MANIFEST.UNAUTHORIZED_ATTACHMENT", target))
    if link_parent and not findings:
        ctx.link_parent = link_parent
    return findings


def check_no_object(ctx: IngestContext) -> list[Finding]:
    """A filing tree or a plan describes places, not documents: it carries no object."""
    assert ctx.manifest is not None
    return [
        ko(
            "CHECK_NO_OBJECT",
            f"object {object_id}: a {ctx.workflow} transfer carries no object",
            None,
            object_id,
        )
        for object_id in ctx.manifest.objects
    ]


_RECEIVE = (
    Step("CHECK_CONTAINER", unpack),
    Step("MANIFEST_FILE_NAME_CHECK", locate_manifest),
    Step("CHECK_SEDA", validate_manifest),
    Step("CHECK_HEADER", check_header),
)
_DESCRIBE = (
    Step("CHECK_UNIT_SCHEMA", check_units, blocking=False),
    Step("CHECK_ARCHIVE_UNIT_PROFILE", check_unit_profiles, blocking=False),
    Step("CHECK_CLASSIFICATION_LEVEL", check_classification_level, blocking=False),
    Step("UNITS_RULES_COMPUTE", compute_rules, blocking=False),
)

INGEST_WORKFLOW: tuple[Step, ...] = (
    *_RECEIVE,
    Step("CHECK_DATAOBJECTPACKAGE", check_package),
    Step("CHECK_ATTACHEMENT", check_attachment, blocking=False),
    Step("CHECK_MANIFEST_OBJECTNUMBER", check_object_files),
    Step("CHECK_DIGEST", check_digests, blocking=False),
    Step("OG_OBJECTS_FORMAT_CHECK", identify_formats, blocking=False),
    Step("CHECK_CONTRACT_OBJECTS", check_contract_objects, blocking=False),
    *_DESCRIBE,
)
SCHEME_WORKFLOW: tuple[Step, ...] = (
    *_RECEIVE,
    Step("CHECK_DATAOBJECTPACKAGE", check_package),
    Step("CHECK_NO_OBJECT", check_no_object),
    Step("CHECK_ATTACHEMENT", check_attachment, blocking=False),
    *_DESCRIBE,
)
WORKFLOWS: dict[str, tuple[Step, ...]] = {
    INGEST: INGEST_WORKFLOW,
    FILING_SCHEME: SCHEME_WORKFLOW,
    HOLDING_SCHEME: SCHEME_WORKFLOW,
}


@dataclass
class WorkflowResult:
    outcome: Outcome
    events: list[Finding]
    """For each step that ran: its findings, then one summary event for the step."""


def run_workflow(ctx: IngestContext, steps: Sequence[Step] = INGEST_WORKFLOW) -> WorkflowResult:
    """Runs steps in order, collecting every finding; stops after a blocking step fails."""
    events: list[Finding] = []
    outcomes: list[Outcome] = []
    for step in steps:
        findings = step.run(ctx)
        step_outcome = worst([finding.outcome for finding in findings])
        events.extend(findings)
        events.append(Finding(step.name, step_outcome, _summary(step.name, findings)))
        outcomes.append(step_outcome)
        if step.blocking and step_outcome.rank >= Outcome.KO.rank:
            break
    return WorkflowResult(worst(outcomes), events)


def _summary(step: str, findings: list[Finding]) -> str:
    if not findings:
        return f"{step}: OK"
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.outcome.value] = counts.get(finding.outcome.value, 0) + 1
    detail = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
    return f"{step}: {detail}"
