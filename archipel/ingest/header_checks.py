"""CHECK_HEADER: the transfer names an active ingest contract and agencies the tenant knows.

The contract (`ArchivalAgreement`) is what the depositor agreed with the archives; without
it nobody can say which profiles, formats and filing place apply. Agencies are checked
against the tenant's referential so that every unit's originating agency, on which access
contracts filter, is one the archivist declared.

A filing tree or a classification plan (FILING_SCHEME, HOLDING_SCHEME) is the archivist's
own referential work, not a transfer from a producer: it needs neither contract nor
originating agency, but those it names must exist like any other.
"""

from __future__ import annotations

from archipel.ingest.context import INGEST, IngestContext
from archipel.ingest.findings import Finding, ko
from archipel.referential.contracts import IngestContract

STEP = "CHECK_HEADER"


def check_header(ctx: IngestContext) -> list[Finding]:
    assert ctx.manifest is not None
    if ctx.referentials is None:
        return []
    findings = check_agencies(ctx)
    contract, contract_findings = _contract(ctx)
    findings += contract_findings
    if contract is not None:
        ctx.contract = contract
        findings += check_profile_relation(ctx, contract)
    return findings


def check_agencies(ctx: IngestContext) -> list[Finding]:
    assert ctx.manifest is not None and ctx.referentials is not None
    manifest = ctx.manifest
    findings = []
    if ctx.workflow == INGEST and not (manifest.originating_agency or "").strip():
        findings.append(
            ko(
                STEP,
                "the transfer names no originating agency (OriginatingAgencyIdentifier is required)",
                "CHECK_AGENT.EMPTY_REQUIRED_FIELD",
                "OriginatingAgencyIdentifier",
            )
        )
    for field, value in (
        ("OriginatingAgencyIdentifier", manifest.originating_agency),
        ("SubmissionAgencyIdentifier", manifest.submission_agency),
    ):
        if value and value.strip() and not ctx.referentials.has_agency(value.strip()):
            findings.append(
                ko(
                    STEP,
                    f"{field} {value.strip()!r} is not in the agencies referential of tenant {ctx.tenant}",
                    "CHECK_AGENT.UNKNOWN",
                    field,
                )
            )
    return findings


def _contract(ctx: IngestContext) -> tuple[IngestContract | None, list[Finding]]:
    assert ctx.manifest is not None and ctx.referentials is not None
    name = (ctx.manifest.archival_agreement or "").strip()
    if not name and ctx.workflow != INGEST:
        return None, []
    if not name:
        return None, [
            ko(
                STEP,
                "the transfer names no ingest contract (ArchivalAgreement)",
                "CHECK_CONTRACT_INGEST",
                "ArchivalAgreement",
            )
        ]
    contract = ctx.referentials.ingest_contract(name)
    if contract is None:
        message = f"ingest contract {name!r} does not exist in tenant {ctx.tenant}"
        return None, [ko(STEP, message, "CHECK_CONTRACT_INGEST.CONTRACT_UNKNOWN", "ArchivalAgreement")]
    if not contract.active:
        message = f"ingest contract {name!r} is inactive"
        return None, [ko(STEP, message, "CHECK_CONTRACT_INGEST.CONTRACT_INACTIVE", "ArchivalAgreement")]
    return contract, []


def check_profile_relation(ctx: IngestContext, contract: IngestContract) -> list[Finding]:
    """The archive profile the transfer names, against the contract and the profiles referential."""
    from archipel.referential.profiles import check_profile

    assert ctx.manifest is not None and ctx.referentials is not None and ctx.tree is not None
    return check_profile(
        ctx.manifest.archival_profile,
        contract.archive_profiles,
        ctx.referentials.of("profiles"),
        ctx.tree,
    )
