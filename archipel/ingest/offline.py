"""`archipel sip check`: the ingest checks, run on a SIP before sending it.

A depositor (or the tool that built the SIP) learns everything the archive would refuse
without an instance: no database, no offers, nothing stored. The checks against what
only the archive knows — the units it holds (attachment) and the tenant's referentials
(contract, agencies, rules, profiles, contract rules on objects) — are left out, and the
answer says so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from archipel.core.ids import new_id
from archipel.core.settings import Settings
from archipel.ingest.context import IngestContext, Progress, no_progress
from archipel.ingest.findings import Finding, Outcome
from archipel.ingest.workflow import INGEST_WORKFLOW, WorkflowResult, run_workflow
from archipel.preservation.formats import FormatIdentifier

NEEDS_THE_ARCHIVE = {
    "CHECK_ATTACHEMENT",
    "CHECK_HEADER",
    "CHECK_CONTRACT_OBJECTS",
    "CHECK_ARCHIVE_UNIT_PROFILE",
    "UNITS_RULES_COMPUTE",
}


def check_sip(settings: Settings, sip: Path, progress: Progress = no_progress) -> WorkflowResult:
    steps = [step for step in INGEST_WORKFLOW if step.name not in NEEDS_THE_ARCHIVE]
    with tempfile.TemporaryDirectory(prefix="archipel-check-") as scratch:
        ctx = IngestContext(
            settings=settings,
            tenant=0,
            operation_id=new_id(),
            sip=sip,
            workspace=Path(scratch),
            identifier=FormatIdentifier(),
            progress=progress,
        )
        result = run_workflow(ctx, steps)
    left_out = ", ".join(sorted(NEEDS_THE_ARCHIVE))
    result.events.append(Finding("OFFLINE_CHECK", Outcome.OK, f"not checked without the archive: {left_out}"))
    return result
