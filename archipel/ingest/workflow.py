"""The ingest workflow as data: a list of named steps run in order.

Step names are those of the reference SAE's `DefaultIngestWorkflow`, so an archivist reads
Archipel's logbook and replies as they read Vitam's. A *blocking* step that ends KO stops
the workflow (later steps would have nothing sound to work on); a non-blocking step lets
the next ones run so one reply lists everything to fix. Referential checks (agencies,
contracts, profiles, rules) are further steps inserted here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archipel.ingest.container import check_container_layout
from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Finding, Outcome, ko, worst
from archipel.ingest.object_checks import check_digests, check_object_files, identify_formats
from archipel.ingest.package_checks import check_data_object_package, check_unit_schema
from archipel.ingest.safezip import unpack_sip
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
    return checked.findings


def check_package(ctx: IngestContext) -> list[Finding]:
    assert ctx.tree is not None and ctx.seda_version is not None
    ctx.manifest = read_manifest(ctx.tree, ctx.seda_version)
    return check_data_object_package(ctx.manifest)


def check_units(ctx: IngestContext) -> list[Finding]:
    assert ctx.manifest is not None
    return check_unit_schema(ctx.manifest)


def check_attachment(ctx: IngestContext) -> list[Finding]:
    """Units attached under an already archived unit: it must exist in this tenant.

    Another tenant's unit is reported exactly like a unit that does not exist.
    """
    assert ctx.manifest is not None
    findings = []
    for unit in ctx.manifest.units.values():
        system_id = unit.attachment_system_id
        if system_id and not ctx.known_unit(system_id):
            findings.append(
                ko(
                    "CHECK_DATAOBJECTPACKAGE",
                    f"unit {unit.manifest_id} attaches to unit {system_id}, "
                    "which does not exist in this tenant",
                    "CHECK_MANIFEST.NOT_FOUND_ATTACHMENT",
                    unit.manifest_id,
                )
            )
    return findings


INGEST_WORKFLOW: tuple[Step, ...] = (
    Step("CHECK_CONTAINER", unpack),
    Step("MANIFEST_FILE_NAME_CHECK", locate_manifest),
    Step("CHECK_SEDA", validate_manifest),
    Step("CHECK_DATAOBJECTPACKAGE", check_package),
    Step("CHECK_ATTACHEMENT", check_attachment, blocking=False),
    Step("CHECK_MANIFEST_OBJECTNUMBER", check_object_files),
    Step("CHECK_DIGEST", check_digests, blocking=False),
    Step("OG_OBJECTS_FORMAT_CHECK", identify_formats, blocking=False),
    Step("CHECK_UNIT_SCHEMA", check_units, blocking=False),
)


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
