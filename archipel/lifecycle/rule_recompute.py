"""Recomputing end dates when a management rule's duration changes in the tenant's referential.

Ingest computes each rule's end date once, from the referential of the day, and keeps it
with the unit (`archipel.lifecycle.rule_dates`). A rule may later get longer (a longer
duration is allowed; a shorter one, or a change of category, is refused while units use it:
`archipel.referential.guards`), and every unit that declares it must then follow: its end
date decides communicability and elimination. The unit documents on the offers carry the
dates too (`Management/.../EndDate` and `rules`), and a rebuild reads them back as written
(`archipel.metadata.rebuild` does not recompute), so a recompute writes each affected
unit's next document version, then changes its `unit_rules` rows and the effective rules
of it and of everything below it that inherits them, batch by batch
(`archipel.lifecycle.unit_batches`).

Which units: those whose stored end date differs from what the referential gives now
(`stale_units`). The recompute is thus idempotent and resumable: run again after a crash,
it does what is left. A successful import of the rules referential that updated rules
submits one in the background (`ReferentialService`); `archipel rules recompute` runs one
by hand. It is one `UPDATE_RULES_ARCHIVE_UNITS` operation:

- `LIST_RULES_TO_RECOMPUTE`: which rules, how many units;
- `UPDATE_UNIT_RULES`: one event per unit (`UPDATED` with old and new end dates, or `REFUSED`);
- `UPDATE_RULES_FINALIZE`: the summary.

Each unit whose own dates changed gets `LFC.UPDATE_UNIT_RULES` in its lifecycle (old and
new end date of each rule). Units that only inherit the rule get new effective rules in
the index, not a new version: nothing of theirs is stored differently.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.admin import service as admin
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome
from archipel.ingest.rule_checks import as_list, parse_start, rule_blocks, text_of
from archipel.lifecycle.rule_dates import (
    change_detail,
    entry_end,
    iso_day,
    replace_unit_rules,
    rule_label,
    tenant_rules,
)
from archipel.lifecycle.unit_batches import (
    BATCH,
    BatchedChange,
    BatchEditor,
    Progress,
    change_and_close,
)
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, UnitRule
from archipel.metadata.versioning import Document, UnitEdit, next_version
from archipel.referential.rules import ManagementRule
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

OPERATION = "UPDATE_RULES_ARCHIVE_UNITS"
LIFECYCLE_EVENT = "LFC.UPDATE_UNIT_RULES"
LIST_STEP, REPORT_STEP = "LIST_RULES_TO_RECOMPUTE", "UPDATE_RULES_FINALIZE"
UPDATED = "UPDATED"
PAGE = 500


def stale_units(
    session: Session, tenant: int, rules: Mapping[str, ManagementRule], rule_ids: Collection[str] | None
) -> list[str]:
    """Units declaring one of `rule_ids` (every rule: None) whose stored end date is not the one
    the referential gives from its start date now, in id order."""
    query = TenantScope(session, tenant).select(UnitRule).where(UnitRule.start_date.is_not(None))
    if rule_ids is not None:
        query = query.where(UnitRule.rule_id.in_(sorted(set(rule_ids))))
    found: set[str] = set()
    for row in session.scalars(query.order_by(UnitRule.unit_id).execution_options(yield_per=PAGE)):
        rule = rules.get(row.rule_id)
        if rule is not None and row.start_date is not None and rule.end_date(row.start_date) != row.end_date:
            found.add(row.unit_id)
    return sorted(found)


class RuleRecomputeService:
    def __init__(self, platform: Platform, batch: int = BATCH) -> None:
        self.platform = platform
        self.batch = batch
        """Units per commit (`archipel.lifecycle.unit_batches`)."""

    def submit(
        self, tenant: int, rule_ids: Collection[str] | None = None, agent: str | None = None
    ) -> str | None:
        """Records the operation if some unit's end dates are out of step with the referential;
        its id, or None when every unit already agrees (nothing is logged then)."""
        with self.platform.database.unit_of_work() as session:
            admin.require_tenant(session, tenant)
            units = stale_units(session, tenant, tenant_rules(session, tenant), rule_ids)
            if not units:
                return None
            logbook = OperationLog(session, tenant)
            operation = logbook.start(OPERATION, agent=agent)
            operation.message = "waiting for a worker"
            which = ", ".join(sorted(rule_ids)) if rule_ids is not None else "every rule"
            message = (
                f"end dates recomputed from the rules referential for {which}: {len(units)} unit(s) to update"
            )
            logbook.record(operation.id, [Finding(LIST_STEP, Outcome.OK, message)])
        return operation.id

    def submit_background(
        self, tenant: int, rule_ids: Collection[str] | None = None, agent: str | None = None
    ) -> str | None:
        """`submit`, then the recompute runs on a worker."""
        operation_id = self.submit(tenant, rule_ids, agent)
        if operation_id is not None:
            job = Job(tenant, operation_id, "rules recompute")
            chosen = None if rule_ids is None else tuple(sorted(rule_ids))
            self.platform.tasks.submit(job, self.run, operation_id, tenant, chosen)
        return operation_id

    def run(
        self,
        operation_id: str,
        tenant: int,
        rule_ids: Collection[str] | None = None,
        progress: Progress = lambda done, total: None,
    ) -> BatchedChange:
        """Recomputes the units out of step now (the referential may have changed again since
        `submit`) and closes the operation with the report."""
        with self.platform.database.unit_of_work() as session:
            rules = tenant_rules(session, tenant)
            units = stale_units(session, tenant, rules, rule_ids)
        wanted = set(rule_ids) if rule_ids is not None else set(rules)
        editor = _editor(tenant, {rule_id: rules[rule_id] for rule_id in wanted if rule_id in rules})
        return change_and_close(
            self.platform, tenant, OPERATION, operation_id, units, editor, REPORT_STEP, progress, self.batch
        )


def _editor(tenant: int, rules: Mapping[str, ManagementRule]) -> BatchEditor:
    def editor(session: Session, unit: ArchiveUnit, document: Document, operation_id: str) -> UnitEdit | None:
        management = copy.deepcopy(document.get("management") or {})
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        ends: dict[tuple[str, str, str | None], str | None] = {}
        for category, block in rule_blocks(management):
            for entry in as_list(block.get("Rules")):
                rule = rules.get(text_of(entry.get("Rule"))) if isinstance(entry, dict) else None
                if rule is None:
                    continue
                start, end = (
                    iso_day(parse_start(entry.get("StartDate"))),
                    iso_day(entry_end(rule, category, entry)),
                )
                ends[(category, rule.rule_id, start)] = end
                if entry.get("EndDate") != end:
                    label = rule_label(category, rule.rule_id)
                    before.setdefault(label, {"start": start, "end": entry.get("EndDate")})
                    after.setdefault(label, {"start": start, "end": end})
                    entry.pop("EndDate", None)
                    entry.update({"EndDate": end} if end else {})
        rules_list = [_recomputed(rule, ends, before, after) for rule in document.get("rules") or []]
        if not after:
            return None
        detail = change_detail(before, after)
        changed = next_version(document, operation_id, LIFECYCLE_EVENT, detail)
        changed.update(management=management, rules=rules_list)

        def index(session: Session, row: ArchiveUnit) -> None:
            row.management = management
            row.version = changed["version"]
            replace_unit_rules(session, tenant, row.id, rules_list)

        return UnitEdit(changed, index, UPDATED, detail)

    return editor


def _recomputed(
    rule: Document,
    ends: Mapping[tuple[str, str, str | None], str | None],
    before: dict[str, Any],
    after: dict[str, Any],
) -> Document:
    """A `rules` item of the document with the end date its `Management` entry now gives."""
    key = (rule["category"], rule["rule_id"], rule.get("start_date"))
    if key not in ends or ends[key] == rule.get("end_date"):
        return rule
    label = rule_label(rule["category"], rule["rule_id"])
    before.setdefault(label, {"start": rule.get("start_date"), "end": rule.get("end_date")})
    after.setdefault(label, {"start": rule.get("start_date"), "end": ends[key]})
    return {**rule, "end_date": ends[key]}
