"""What a mass update does to each unit: fields set or unset, management rules added or removed.

The actions are checked once, against the tenant's referentials, before any unit is read:
a field the ontology does not know for units, a value its type refuses (the ingest's own
check, `CHECK_UNIT_SCHEMA`), a rule the rules referential does not hold or holds in
another category: the whole request is refused (`MassUpdateRefused`), every fault named.
Then each unit gets all the actions or none (`UnitRefused`: a rule to remove it does not
declare, a rule block SEDA requires more of).

Fields are the top-level elements of a unit's `Content` (`Title`, `Description`,
`StartDate`, a tenant's EXTERNAL field...); a set value replaces the element whole.
`Title` and `DescriptionLevel` are mandatory in SEDA and cannot be unset. Adding a rule
the unit already declares in that category gives it the new start date (a replacement);
its end date is computed from the referential, as at ingest. Holds (`HoldRule`) are placed
and released by the hold operations, not here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from archipel.core.errors import InvalidRequest
from archipel.ingest.ontology_checks import typed_fields, unit_findings
from archipel.ingest.rule_checks import as_list, text_of
from archipel.lifecycle.rule_dates import entry_end, iso_day, rule_label, tenant_rules
from archipel.referential.rules import ManagementRule, RuleType
from archipel.referential.seda_fields import UNIT
from archipel.referential.service import visible_documents
from archipel.seda.model import ArchiveUnit as SedaUnit

Document = dict[str, Any]
MANDATORY_FIELDS = ("Title", "DescriptionLevel")
EDITABLE_CATEGORIES = tuple(member.value for member in RuleType if member is not RuleType.HOLD)
REQUIRED_WITH_RULES: dict[str, tuple[str, ...]] = {
    RuleType.APPRAISAL.value: ("FinalAction",),
    RuleType.STORAGE.value: ("FinalAction",),
    RuleType.CLASSIFICATION.value: ("ClassificationLevel", "ClassificationOwner"),
}
"""What SEDA requires beside the rules of these categories: a rule cannot be added to a unit
whose block lacks them (a mass update does not invent a final action)."""


class MassUpdateRefused(InvalidRequest):
    """The actions themselves cannot be done in this tenant: nothing was changed."""

    code = "MASS_UPDATE_REFUSED"

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class UnitRefused(InvalidRequest):
    """This unit cannot take the actions: it is left as it was, the others go on."""

    code = "UNIT_REFUSED"


@dataclass(frozen=True)
class RuleAddition:
    category: str
    rule_id: str
    start: date


@dataclass(frozen=True)
class RuleRemoval:
    category: str
    rule_id: str


@dataclass(frozen=True)
class UpdateActions:
    """The actions of one mass update, applied to every unit selected."""

    set_fields: Mapping[str, Any] = field(default_factory=dict)
    unset_fields: tuple[str, ...] = ()
    add_rules: tuple[RuleAddition, ...] = ()
    remove_rules: tuple[RuleRemoval, ...] = ()

    def describe(self) -> str:
        parts = [f"set {name}" for name in self.set_fields]
        parts += [f"unset {name}" for name in self.unset_fields]
        parts += [f"add {rule_label(r.category, r.rule_id)} from {r.start}" for r in self.add_rules]
        parts += [f"remove {rule_label(r.category, r.rule_id)}" for r in self.remove_rules]
        return ", ".join(parts)


# -- reading the actions as the command line writes them ------------------------------------------


def parse_set(text: str) -> tuple[str, str]:
    """`FIELD=VALUE` (the value may hold `=`)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InvalidRequest(f"--set {text!r}: write FIELD=VALUE")
    return name.strip(), value


def parse_rule_addition(text: str) -> RuleAddition:
    """`TYPE:ID:START`, START a date `YYYY-MM-DD`."""
    parts = text.split(":")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise InvalidRequest(f"--add-rule {text!r}: write TYPE:ID:START (AccessRule:ACC-00002:2024-01-01)")
    category, rule_id, start = (part.strip() for part in parts)
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise InvalidRequest(f"--add-rule {text!r}: START {start!r} is not a date YYYY-MM-DD") from None
    return RuleAddition(category, rule_id, day)


def parse_rule_removal(text: str) -> RuleRemoval:
    """`TYPE:ID`."""
    parts = text.split(":")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise InvalidRequest(f"--remove-rule {text!r}: write TYPE:ID (AccessRule:ACC-00002)")
    return RuleRemoval(parts[0].strip(), parts[1].strip())


def build_actions(
    set_fields: Mapping[str, Any],
    unset_fields: list[str],
    add_rules: list[RuleAddition],
    remove_rules: list[RuleRemoval],
) -> UpdateActions:
    """The actions, refused as bad usage when there are none or when two of them contradict."""
    actions = UpdateActions(dict(set_fields), tuple(unset_fields), tuple(add_rules), tuple(remove_rules))
    if not (actions.set_fields or actions.unset_fields or actions.add_rules or actions.remove_rules):
        raise InvalidRequest(
            "nothing to do: name at least one field to set or unset, or a rule to add or remove"
        )
    both = sorted(set(actions.set_fields) & set(actions.unset_fields))
    if both:
        raise InvalidRequest(f"{', '.join(both)}: both set and unset")
    added = {(rule.category, rule.rule_id) for rule in actions.add_rules}
    removed = {(rule.category, rule.rule_id) for rule in actions.remove_rules}
    if added & removed:
        named = ", ".join(rule_label(*key) for key in sorted(added & removed))
        raise InvalidRequest(f"{named}: both added and removed")
    return actions


# -- checking them against the tenant's referentials -------------------------------------------


def check_actions(session: Session, tenant: int, actions: UpdateActions) -> dict[str, ManagementRule]:
    """The rules the actions add, by id; `MassUpdateRefused` naming every fault of the actions."""
    ontology = list(visible_documents(session, tenant, "ontology").values())
    known = {
        str(document.get("SedaField") or document.get("Identifier"))
        for document in ontology
        if not document.get("Collections") or UNIT in document["Collections"]
    }
    reasons = [
        f"{name}: not a field of archive units in the ontology of tenant {tenant}"
        for name in [*actions.set_fields, *actions.unset_fields]
        if name not in known
    ]
    reasons += [
        f"{name}: mandatory in SEDA, it cannot be unset"
        for name in actions.unset_fields
        if name in MANDATORY_FIELDS
    ]
    probe = SedaUnit(manifest_id="--set", content=dict(actions.set_fields))
    reasons += [
        finding.message.removeprefix("unit --set: ")
        for finding in unit_findings(probe, typed_fields(ontology))
    ]
    rules = tenant_rules(session, tenant)
    for category, rule_id in [(r.category, r.rule_id) for r in (*actions.add_rules, *actions.remove_rules)]:
        rule = rules.get(rule_id)
        if category == RuleType.HOLD:
            reasons.append(
                f"{rule_label(category, rule_id)}: holds are placed and released by the hold operations"
            )
        elif category not in EDITABLE_CATEGORIES:
            reasons.append(f"{category}: not a rule category (one of {', '.join(EDITABLE_CATEGORIES)})")
        elif rule is None:
            reasons.append(
                f"{rule_label(category, rule_id)}: not in the rules referential of tenant {tenant}"
            )
        elif rule.rule_type != category:
            reasons.append(f"rule {rule_id} is a {rule.rule_type.value}, not a {category}")
    if reasons:
        raise MassUpdateRefused(reasons)
    return {addition.rule_id: rules[addition.rule_id] for addition in actions.add_rules}


# -- applying them to one unit's document ---------------------------------------------------------


@dataclass
class EditedUnit:
    """A unit's document parts once the actions are applied, and what changed (for its lifecycle)."""

    content: Document
    management: Document
    rules: list[Document]
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    @property
    def seda(self) -> SedaUnit:
        """The unit as SEDA reads it: its title and description level come from its `Content`."""
        return SedaUnit(manifest_id="", content=self.content)


def apply_actions(
    document: Document, actions: UpdateActions, rules: Mapping[str, ManagementRule]
) -> EditedUnit:
    """The actions applied to copies of the document's content, management and rules list;
    `UnitRefused` if one of them cannot apply to this unit. Nothing changed: empty `before`/`after`."""
    edited = EditedUnit(
        copy.deepcopy(document.get("content") or {}),
        copy.deepcopy(document.get("management") or {}),
        copy.deepcopy(document.get("rules") or []),
    )
    for name, value in actions.set_fields.items():
        if edited.content.get(name) != value:
            edited.before[name] = edited.content.get(name)
            edited.after[name] = edited.content[name] = value
    for name in actions.unset_fields:
        if name in edited.content:
            edited.before[name] = edited.content.pop(name)
            edited.after[name] = None
    for removal in actions.remove_rules:
        _remove_rule(edited, removal)
    for addition in actions.add_rules:
        _add_rule(edited, addition, rules[addition.rule_id])
    return edited


def _entries(management: Document, category: str, rule_id: str) -> list[Document]:
    block = management.get(category)
    if not isinstance(block, dict):
        return []
    return [
        entry
        for entry in as_list(block.get("Rules"))
        if isinstance(entry, dict) and text_of(entry.get("Rule")) == rule_id
    ]


def _state(entries: list[Document]) -> dict[str, Any] | None:
    """How a change detail shows a rule's entries: start and end of the first (None: no such rule)."""
    if not entries:
        return None
    return {"start": text_of(entries[0].get("StartDate")) or None, "end": entries[0].get("EndDate")}


def _remove_rule(edited: EditedUnit, removal: RuleRemoval) -> None:
    label = rule_label(removal.category, removal.rule_id)
    found = _entries(edited.management, removal.category, removal.rule_id)
    if not found:
        raise UnitRefused(f"it declares no {label} to remove")
    edited.before[label], edited.after[label] = _state(found), None
    block = edited.management[removal.category]
    kept = [entry for entry in as_list(block.get("Rules")) if not any(entry is gone for gone in found)]
    if kept:
        block["Rules"] = kept
    else:
        block.pop("Rules", None)
    if not block:
        del edited.management[removal.category]
    edited.rules = [
        rule
        for rule in edited.rules
        if (rule["category"], rule["rule_id"]) != (removal.category, removal.rule_id)
    ]


def _add_rule(edited: EditedUnit, addition: RuleAddition, rule: ManagementRule) -> None:
    label = rule_label(addition.category, addition.rule_id)
    block = edited.management.get(addition.category)
    missing = [
        name
        for name in REQUIRED_WITH_RULES.get(addition.category, ())
        if not isinstance(block, dict) or not block.get(name)
    ]
    if missing:
        raise UnitRefused(
            f"{label} cannot be added: its {addition.category} block has no {', '.join(missing)}"
        )
    entry: Document = {"Rule": addition.rule_id, "StartDate": addition.start.isoformat()}
    end = entry_end(rule, addition.category, entry)
    if end is not None:
        entry["EndDate"] = end.isoformat()
    found = _entries(edited.management, addition.category, addition.rule_id)
    if len(found) == 1 and {key: found[0].get(key) for key in entry} == entry:
        return  # already so
    before = _state(found)
    block = edited.management.setdefault(addition.category, {})
    others = [item for item in as_list(block.get("Rules")) if not any(item is same for same in found)]
    block["Rules"] = [*others, entry]
    edited.before[label], edited.after[label] = before, {"start": entry["StartDate"], "end": iso_day(end)}
    edited.rules = [
        *(r for r in edited.rules if (r["category"], r["rule_id"]) != (addition.category, addition.rule_id)),
        {
            "category": addition.category,
            "rule_id": addition.rule_id,
            "start_date": entry["StartDate"],
            "end_date": iso_day(end),
        },
    ]
