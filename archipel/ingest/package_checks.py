"""Structural checks of a manifest's data-object package (Vitam's `CHECK_DATAOBJECTPACKAGE`).

Everything here is decided from the manifest alone: usages and digest algorithms of the
objects, the unit graph, references between units and object groups, well-formed
attachment ids. What needs the received files (digests, sizes, formats, the object
count) or the database (attachment targets, referentials) is checked by other steps.

Every finding is collected, never only the first: the depositor fixes a manifest in one
pass. Codes are Vitam's sub-task codes under `CHECK_DATAOBJECTPACKAGE`
(`CHECK_MANIFEST_DATAOBJECT_VERSION.*`, `CHECK_MANIFEST.*`, `CHECK_CONSISTENCY`), and
each finding names the manifest id it is about.
"""

from __future__ import annotations

import re
from collections import defaultdict

from archipel.core.digests import SEDA_ALGORITHMS
from archipel.core.ids import is_system_id
from archipel.ingest.findings import Finding, ko, warning
from archipel.ingest.unit_checks import check_unit_schema
from archipel.seda.model import DataObject, Manifest

__all__ = ["check_data_object_package", "check_unit_schema"]
"""The workflow runs both manifest checks from here; unit checks live in `unit_checks`."""

STEP = "CHECK_DATAOBJECTPACKAGE"
VERSION = "CHECK_MANIFEST_DATAOBJECT_VERSION"

USAGES = ("BinaryMaster", "Dissemination", "Thumbnail", "TextContent", "PhysicalMaster")
_DATA_OBJECT_VERSION = re.compile(rf"^({'|'.join(USAGES)})(?:_(\d+))?$")
"""`usage` or `usage_version`, the version a non-negative integer (Vitam's grammar)."""

_VITAM_GUID = re.compile(r"^[a-z2-7]{36}$", re.IGNORECASE)
"""A GUID of the reference system (base32, 36 characters, e.g. `aeaqaaaaaahk...`):
SIPs prepared for Vitam attach to units by such ids, and they stay well formed here."""


def check_data_object_package(manifest: Manifest) -> list[Finding]:
    """All structural findings of the manifest, in the order Vitam's sub-tasks run."""
    return [
        *check_digest_algorithms(manifest),
        *check_object_versions(manifest),
        *check_required_fields(manifest),
        *check_unique_versions(manifest),
        *check_unit_references(manifest),
        *check_object_references(manifest),
        *check_unit_cycles(manifest),
        *check_attachment_ids(manifest),
        *check_orphan_groups(manifest),
        *check_objects_present(manifest),
    ]


def parse_version(version: str) -> tuple[str, int] | None:
    """`BinaryMaster_2` → (`BinaryMaster`, 2); no number is version 1; None if invalid."""
    match = _DATA_OBJECT_VERSION.match(version)
    if match is None:
        return None
    return match.group(1), int(match.group(2) or 1)


def check_digest_algorithms(manifest: Manifest) -> list[Finding]:
    """A `MessageDigest/@algorithm` must be one of SEDA's names, written exactly so."""
    return [
        ko(
            STEP,
            f"binary object {obj.manifest_id} declares digest algorithm {obj.digest.algorithm!r}, "
            f"not one of {', '.join(SEDA_ALGORITHMS)}",
            f"{VERSION}.INVALIDE_ALGO",
            obj.manifest_id,
        )
        for obj in manifest.objects.values()
        if obj.digest is not None and obj.digest.algorithm not in SEDA_ALGORITHMS
    ]


def check_object_versions(manifest: Manifest) -> list[Finding]:
    """Usages from SEDA's list; physical objects are physical masters and only they are."""
    return [finding for obj in manifest.objects.values() if (finding := _version_finding(obj)) is not None]


def _version_finding(obj: DataObject) -> Finding | None:
    parsed = parse_version(obj.version)
    if parsed is None:
        return ko(
            STEP,
            f"{obj.kind} object {obj.manifest_id}: DataObjectVersion {obj.version!r} is not "
            f"[usage] or [usage]_[version] with usage one of {', '.join(USAGES)}",
            f"{VERSION}.INVALID_DATAOBJECTVERSION",
            obj.manifest_id,
        )
    usage = parsed[0]
    if obj.kind == "physical" and usage != "PhysicalMaster":
        return ko(
            STEP,
            f"physical object {obj.manifest_id} declares usage {usage}; a physical object can only be "
            "a PhysicalMaster",
            f"{VERSION}.PDO_DATAOBJECTIONVERSION_BINARYMASTER",
            obj.manifest_id,
        )
    if obj.kind == "binary" and usage == "PhysicalMaster":
        return ko(
            STEP,
            f"binary object {obj.manifest_id} declares usage PhysicalMaster, reserved to physical objects",
            f"{VERSION}.BDO_DATAOBJECTIONVERSION_PHYSICALMASTER",
            obj.manifest_id,
        )
    return None


def check_required_fields(manifest: Manifest) -> list[Finding]:
    """A `Uri` or `PhysicalId` that is written must not be empty.

    An object with no `Uri` at all is left to the object-count step, which matches the
    declared objects with the files received.
    """
    findings: list[Finding] = []
    for obj in manifest.objects.values():
        field_name, value = ("Uri", obj.uri) if obj.kind == "binary" else ("PhysicalId", obj.physical_id)
        if value is not None and not value:
            findings.append(
                ko(
                    STEP,
                    f"{obj.kind} object {obj.manifest_id} has an empty {field_name}",
                    f"{VERSION}.EMPTY_REQUIRED_FIELD",
                    obj.manifest_id,
                )
            )
    return findings


def check_unique_versions(manifest: Manifest) -> list[Finding]:
    """One object per usage and version in a group (`BinaryMaster` is `BinaryMaster_1`)."""
    findings: list[Finding] = []
    for group in manifest.groups.values():
        holders: dict[tuple[str, int], list[str]] = defaultdict(list)
        for object_id in group.object_ids:
            parsed = parse_version(manifest.objects[object_id].version)
            if parsed is not None:
                holders[parsed].append(object_id)
        for (usage, number), object_ids in holders.items():
            if len(object_ids) > 1:
                findings.append(
                    ko(
                        STEP,
                        f"object group {group.manifest_id} holds {len(object_ids)} objects of usage "
                        f"{usage}_{number} ({', '.join(object_ids)}); a usage and version must be unique",
                        "CHECK_MANIFEST",
                        group.manifest_id,
                    )
                )
    return findings


def check_unit_references(manifest: Manifest) -> list[Finding]:
    """Every `ArchiveUnitRefId` names a unit declared in the manifest."""
    return [
        ko(
            STEP,
            f"unit {unit.manifest_id} references unit {child!r}, which the manifest does not declare",
            "CHECK_MANIFEST",
            unit.manifest_id,
        )
        for unit in manifest.units.values()
        for child in unit.children
        if child not in manifest.units
    ]


def referenced_group(manifest: Manifest, reference: str) -> str | None:
    """The group a `DataObjectReference` designates: itself, or the group of the object it names."""
    if reference in manifest.groups:
        return reference
    obj = manifest.objects.get(reference)
    return obj.group_id if obj is not None else None


def check_object_references(manifest: Manifest) -> list[Finding]:
    """A unit references one object group, by its id, declared in the manifest.

    Naming an object is accepted only for an object declared without a group (its group
    is then its own, so the id is the group's): naming one object of a declared group
    would leave the group's other objects out, which Vitam refuses (`EXISTING_OG_NOT_DECLARED`,
    fixture `KO_SIP_1986_unit_declare_IDobjet_au_lieu_IDGOT`). An unknown id is refused the
    same way: it designates no object group.
    """
    findings: list[Finding] = []
    for unit in manifest.units.values():
        for reference in unit.object_refs:
            group_id = referenced_group(manifest, reference)
            if group_id is None:
                problem = "which is no object group of the manifest"
            elif reference not in manifest.groups:
                problem = f"an object, instead of its object group {group_id}"
            else:
                continue
            findings.append(
                ko(
                    STEP,
                    f"unit {unit.manifest_id} references {reference!r}, {problem}",
                    "CHECK_MANIFEST.EXISTING_OG_NOT_DECLARED",
                    unit.manifest_id,
                )
            )
        groups = sorted({group for ref in unit.object_refs if (group := referenced_group(manifest, ref))})
        if len(groups) > 1:
            findings.append(
                ko(
                    STEP,
                    f"unit {unit.manifest_id} references several object groups ({', '.join(groups)}), "
                    "a unit has at most one",
                    "CHECK_MANIFEST.ARCHIVEUNIT_REFERENCES_MULTIPLE_OBJECTGROUP",
                    unit.manifest_id,
                )
            )
    return findings


def check_unit_cycles(manifest: Manifest) -> list[Finding]:
    """The unit graph is a DAG: a unit may have several parents, never be its own ancestor."""
    return [
        ko(
            STEP,
            f"the units form a cycle: {' → '.join([*cycle, cycle[0]])}",
            "CHECK_MANIFEST.CHECK_MANIFEST_LOOP",
            cycle[0],
        )
        for cycle in unit_cycles(manifest)
    ]


def unit_cycles(manifest: Manifest) -> list[list[str]]:
    """One cycle per back edge of a depth-first walk, each listed from its first unit.

    Iterative, so a deep chain of units (thousands in one SIP) cannot exhaust the stack.
    """
    children = {
        unit_id: [child for child in unit.children if child in manifest.units]
        for unit_id, unit in manifest.units.items()
    }
    finished: set[str] = set()
    cycles: list[list[str]] = []
    for start in manifest.units:
        if start in finished:
            continue
        path: list[str] = [start]
        on_path = {start}
        pending = [iter(children[start])]
        while pending:
            child = next(pending[-1], None)
            if child is None:
                finished.add(path[-1])
                on_path.discard(path.pop())
                pending.pop()
            elif child in on_path:
                cycles.append(path[path.index(child) :])
            elif child not in finished:
                path.append(child)
                on_path.add(child)
                pending.append(iter(children[child]))
    return cycles


def is_well_formed_unit_id(text: str) -> bool:
    """An id this archive gives, or a GUID of the reference system."""
    return is_system_id(text) or bool(_VITAM_GUID.match(text))


def check_attachment_ids(manifest: Manifest) -> list[Finding]:
    """`UpdateOperation/SystemId` must look like a system id (its existence is checked later)."""
    return [
        ko(
            STEP,
            f"unit {unit.manifest_id} attaches to {unit.attachment_system_id!r}, which is not a system id",
            "CHECK_MANIFEST.INVALID_GUID_ATTACHMENT",
            unit.manifest_id,
        )
        for unit in manifest.units.values()
        if unit.attachment_system_id is not None and not is_well_formed_unit_id(unit.attachment_system_id)
    ]


def check_orphan_groups(manifest: Manifest) -> list[Finding]:
    """Every object group is referenced by a unit: an object nobody describes is not archived."""
    referenced = {
        group_id
        for unit in manifest.units.values()
        for reference in unit.object_refs
        if (group_id := referenced_group(manifest, reference)) is not None
    }
    return [
        ko(
            STEP,
            f"object group {group.manifest_id} ({', '.join(group.object_ids) or 'no object'}) "
            "is referenced by no unit",
            "CHECK_CONSISTENCY",
            group.manifest_id,
        )
        for group in manifest.groups.values()
        if group.manifest_id not in referenced
    ]


def check_objects_present(manifest: Manifest) -> list[Finding]:
    """A SIP of units only is accepted with a warning, as Vitam does (`WARNING_SIP_sans_objet`)."""
    if manifest.objects:
        return []
    return [
        warning(
            STEP,
            "the manifest declares no data object: only descriptions are transferred",
            "CHECK_MANIFEST_OBJECTNUMBER.OBJECTS_LIST_EMPTY",
        )
    ]
