"""CHECK_CONTRACT_OBJECTS: what the ingest contract allows of the objects of a transfer.

Runs after format identification, so the allow-list judges the format the archive
identified, not the one the producer declared. A contract may require a master in every
object group (`MasterMandatory`), restrict usages (`DataObjectVersion`) and formats
(`FormatType`). Independently of contracts, an identified format must be one of the
platform's format referential, or preservation could not plan for it.
"""

from __future__ import annotations

from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Finding, ko
from archipel.metadata.documents import usage_and_version

STEP = "CHECK_CONTRACT_OBJECTS"
MASTERS = ("BinaryMaster", "PhysicalMaster")


def check_contract_objects(ctx: IngestContext) -> list[Finding]:
    assert ctx.manifest is not None
    if ctx.referentials is None:
        return []
    findings = _formats_known(ctx)
    contract = ctx.contract
    if contract is None:
        return findings
    manifest = ctx.manifest
    if contract.master_mandatory:
        for group_id, group in manifest.groups.items():
            usages = {
                usage_and_version(manifest.objects[object_id].version)[0] for object_id in group.object_ids
            }
            if not usages & set(MASTERS):
                message = (
                    f"object group {group_id} has no master, which contract {contract.identifier} requires"
                )
                findings.append(ko(STEP, message, "MASTER_MANDATORY_REQUIRED", group_id))
    if contract.usages is not None:
        for object_id, data_object in manifest.objects.items():
            usage = usage_and_version(data_object.version)[0]
            if usage not in contract.usages:
                message = (
                    f"object {object_id}: usage {usage} is not allowed by contract {contract.identifier}"
                )
                findings.append(ko(STEP, message, "DATAOBJECT_VERSION_NOT_ALLOWED", object_id))
    for object_id, puid in _identified(ctx):
        if puid is None:
            if not contract.unidentified_formats:
                message = (
                    f"object {object_id}: format not identified, which contract {contract.identifier} refuses"
                )
                findings.append(ko(STEP, message, "FORMAT_UNIDENTIFIED", object_id))
        elif contract.formats is not None and puid not in contract.formats:
            message = f"object {object_id}: format {puid} is not allowed by contract {contract.identifier}"
            findings.append(ko(STEP, message, "FORMAT_NOT_ALLOWED", object_id))
    return findings


def _formats_known(ctx: IngestContext) -> list[Finding]:
    assert ctx.referentials is not None
    formats = ctx.referentials.of("formats")
    if not formats:
        return []
    findings = []
    for object_id, puid in _identified(ctx):
        if puid is not None and puid not in formats:
            message = f"object {object_id}: format {puid} is not in the format referential"
            findings.append(ko(STEP, message, "FORMAT_UNCHARTED", object_id))
    return findings


def _identified(ctx: IngestContext) -> list[tuple[str, str | None]]:
    """Each binary object with the PUID the archive identified (None: not identified)."""
    return [
        (object_id, facts.identification.puid if facts.identification else None)
        for object_id, facts in ctx.facts.items()
    ]
