"""What a collected unit must satisfy, checked when it is written and again at closing.

A depositor fixes a unit best at the moment it is sent, so each unit is judged at once
with the very checks the ingest will run on the SIP (`archipel.ingest.ontology_checks`,
`archipel.ingest.unit_profile_checks`), plus one the SEDA XSD would make at ingest: a
field the ontology does not know is refused (the official schema has no place for it).
Closing adds what only the whole transaction shows: parents inside it, no cycle, every
declared binary received. Every problem is listed, so one pass fixes them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archipel.collect.collect_model import CollectUnit
from archipel.collect.collect_staging import Staging
from archipel.ingest.ontology_checks import field_values, typed_fields, unit_findings
from archipel.ingest.unit_profile_checks import check_manifest_units
from archipel.referential.seda_fields import UNIT
from archipel.referential.view import Referentials
from archipel.seda.model import ArchiveUnit, Manifest

Document = dict[str, Any]


@dataclass(frozen=True)
class UnitRules:
    """The tenant's ontology and unit profiles, read once for a batch of units."""

    known: frozenset[str]
    """Element names the ontology declares for units (empty: no ontology, nothing refused)."""
    typed: dict[str, Any]
    profiles: Mapping[str, Document]
    profile: str | None
    """The archive-unit profile the project applies to every unit, if any."""

    @classmethod
    def of(cls, referentials: Referentials, profile: str | None) -> UnitRules:
        ontology = list(referentials.of("ontology").values())
        known = frozenset(
            str(document.get("SedaField") or document.get("Identifier"))
            for document in ontology
            if not document.get("Collections") or UNIT in document["Collections"]
        )
        return cls(known, typed_fields(ontology), referentials.of("unit-profiles"), profile)


def unit_problems(unit_id: str, content: Document, management: Document, rules: UnitRules) -> list[str]:
    """Why this unit's metadata would be refused at ingest; empty when it would pass."""
    problems = []
    if not content.get("Title") and not content.get("Title_"):
        problems.append(f"unit {unit_id}: Title is required")
    if not content.get("DescriptionLevel"):
        problems.append(f"unit {unit_id}: DescriptionLevel is required")
    if rules.known:
        unknown = sorted({name for name, _ in field_values(content) if name not in rules.known})
        problems.extend(f"unit {unit_id}: field {name!r} is not in the ontology" for name in unknown)
    seda_unit = ArchiveUnit(unit_id, content, management, archive_unit_profile=rules.profile)
    findings = unit_findings(seda_unit, rules.typed)
    if rules.profile is not None:
        manifest = Manifest(seda_version="2.2", message_identifier=unit_id, units={unit_id: seda_unit})
        findings += check_manifest_units(manifest, rules.profiles)
    return problems + [finding.message for finding in findings]


def tree_problems(units: Iterable[CollectUnit]) -> list[str]:
    """Parents outside the transaction and cycles: what would make the SIP's tree unwritable."""
    parent_of = {unit.id: unit.parent for unit in units}
    problems = [
        f"unit {unit}: parent {parent} is not a unit of this transaction"
        for unit, parent in parent_of.items()
        if parent is not None and parent not in parent_of
    ]
    for unit in parent_of:
        seen = {unit}
        parent = parent_of.get(unit)
        while parent is not None and parent in parent_of:
            if parent in seen:
                problems.append(f"unit {unit}: its parents form a cycle")
                break
            seen.add(parent)
            parent = parent_of[parent]
    return problems


def binary_problems(unit: CollectUnit, staging: Staging) -> list[str]:
    """Declared objects without their complete binary (recorded, and still on disk)."""
    return [
        f"unit {unit.id}: binary {declared['filename']!r} has not been received"
        for index, declared in enumerate(unit.objects)
        if "received" not in declared or not staging.held(unit.id, str(index)).complete
    ]


def would_cycle(unit_id: str, parent: str | None, parent_of: Mapping[str, str | None]) -> bool:
    """Whether hanging `unit_id` under `parent` puts it below itself."""
    seen: set[str] = set()
    while parent is not None and parent not in seen:
        if parent == unit_id:
            return True
        seen.add(parent)
        parent = parent_of.get(parent)
    return False


def received_problems(size: int, sha512: str | None, declared: Document, announced: str | None) -> list[str]:
    """Where a complete binary differs from what was declared for it or announced with it."""
    expected = (
        ("SHA-512", sha512, "X-Content-SHA512", (announced or "").lower() or None),
        ("SHA-512", sha512, "declared SHA-512", (declared.get("sha512") or "").lower() or None),
        ("size", size, "declared size", declared.get("size")),
    )
    return [
        f"{what} {found} does not match the {source} {value}"
        for what, found, source, value in expected
        if value is not None and found != value
    ]
