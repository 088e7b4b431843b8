"""Mass update (mise à jour de masse): the same change to every archive unit a query selects.

Archivists correct descriptions and management rules by the hundred: a service renamed in
every `Description`, an access rule added to a whole series. A mass update is one
`MASS_UPDATE` operation: `submit` checks the query and the actions against the tenant's
referentials (`archipel.lifecycle.update_actions`: a refusal leaves no trace) and records
the operation; `run` selects the units under the caller's access scope (the search
language, `archipel.access.dip_selection`) and changes them in batches
(`archipel.lifecycle.unit_batches`), each unit getting a new document version on every
offer and its index rows (content, title, rules with end dates, the search index and the
inherited rules of everything below it) in its batch's commit. Its events are the report:

- `MASS_UPDATE_REQUEST`: the actions and the query;
- `PREPARE_UPDATE_UNIT_LIST`: how many units the query selected;
- `MASS_UPDATE`: one event per unit, `UPDATED` (its before/after) or `REFUSED` (why);
- `MASS_UPDATE_FINALIZE`: the summary, also the operation's message.

Each updated unit's lifecycle records `LFC.MASS_UPDATE` with what the change touched,
before and after. A unit under hold is refused (`archipel.lifecycle.holds`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.access.dip_selection import check_query, select_units
from archipel.access.scope import AccessScope
from archipel.admin import service as admin
from archipel.core.errors import Forbidden
from archipel.ingest.findings import Finding, Outcome, fatal
from archipel.lifecycle.holds import refuse_if_held
from archipel.lifecycle.rule_dates import change_detail, replace_unit_rules
from archipel.lifecycle.unit_batches import (
    BATCH,
    BatchedChange,
    BatchEditor,
    Progress,
    change_and_close,
)
from archipel.lifecycle.update_actions import UpdateActions, apply_actions, check_actions
from archipel.logbook.closing import close_operation
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit
from archipel.metadata.versioning import Document, UnitEdit, next_version
from archipel.referential.rules import ManagementRule
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

OPERATION = "MASS_UPDATE"
LIFECYCLE_EVENT = "LFC.MASS_UPDATE"
REQUEST_STEP, LIST_STEP, REPORT_STEP = (
    "MASS_UPDATE_REQUEST",
    "PREPARE_UPDATE_UNIT_LIST",
    "MASS_UPDATE_FINALIZE",
)
UPDATED = "UPDATED"


@dataclass(frozen=True)
class MassUpdateRequest:
    """Which units (a search request, run under `scope`) and what to do to each."""

    scope: AccessScope
    query: Mapping[str, Any]
    actions: UpdateActions

    @property
    def tenant(self) -> int:
        return self.scope.tenant

    def describe(self) -> str:
        under = f"access contract {self.scope.contract_id}" if self.scope.contract else "the operator"
        query = json.dumps(self.query, ensure_ascii=False, sort_keys=True)
        return f"{self.actions.describe()}; units selected by {query} under {under}"


class MassUpdateService:
    def __init__(self, platform: Platform, batch: int = BATCH) -> None:
        self.platform = platform
        self.batch = batch
        """Units per commit (`archipel.lifecycle.unit_batches`)."""

    def submit(self, request: MassUpdateRequest, agent: str | None = None) -> str:
        """Checks the request and records the operation; its id. Refused with no trace: a contract
        without writing permission (Forbidden), a malformed query, actions the referentials refuse."""
        contract = request.scope.contract
        if contract is not None and not contract.writing:
            raise Forbidden(
                f"access contract {contract.identifier} does not allow writing (WritingPermission)"
            )
        check_query(request.query)
        with self.platform.database.unit_of_work() as session:
            admin.require_tenant(session, request.tenant)
            check_actions(session, request.tenant, request.actions)
            logbook = OperationLog(session, request.tenant)
            operation = logbook.start(OPERATION, agent=agent or request.scope.agent)
            operation.message = "waiting for a worker"
            logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, request.describe())])
        return operation.id

    def submit_background(self, request: MassUpdateRequest, agent: str | None = None) -> str:
        """`submit`, then the update runs on a worker; `GET /operations/{id}` follows it."""
        operation_id = self.submit(request, agent)
        job = Job(request.tenant, operation_id, "mass update")
        self.platform.tasks.submit(job, self.run, operation_id, request)
        return operation_id

    def run(
        self, operation_id: str, request: MassUpdateRequest, progress: Progress = lambda done, total: None
    ) -> BatchedChange:
        """Selects the units, updates them batch by batch and closes the operation with the report."""
        tenant = request.tenant
        try:
            with self.platform.database.unit_of_work() as session:
                rules = check_actions(session, tenant, request.actions)  # the referentials as they are now
                unit_ids = select_units(session, request.scope, request.query)
                OperationLog(session, tenant).record(
                    operation_id, [Finding(LIST_STEP, Outcome.OK, f"{len(unit_ids)} unit(s) selected")]
                )
        except Exception as error:
            close_operation(
                self.platform, tenant, operation_id, fatal(LIST_STEP, f"selection failed: {error}")
            )
            raise
        editor = _editor(tenant, request.actions, rules)
        return change_and_close(
            self.platform,
            tenant,
            OPERATION,
            operation_id,
            unit_ids,
            editor,
            REPORT_STEP,
            progress,
            self.batch,
            when_none=Outcome.KO,  # a query selecting nothing is a mistake
        )


def _editor(tenant: int, actions: UpdateActions, rules: Mapping[str, ManagementRule]) -> BatchEditor:
    def editor(session: Session, unit: ArchiveUnit, document: Document, operation_id: str) -> UnitEdit | None:
        refuse_if_held(session, tenant, [unit.id], "mass update")
        edited = apply_actions(document, actions, rules)
        if not edited.after:
            return None
        detail = change_detail(edited.before, edited.after)
        changed = next_version(document, operation_id, LIFECYCLE_EVENT, detail)
        seda = edited.seda
        changed.update(
            content=edited.content,
            management=edited.management,
            rules=edited.rules,
            title=seda.title,
            level=seda.level,
        )

        def index(session: Session, row: ArchiveUnit) -> None:
            refuse_if_held(session, tenant, [row.id], "mass update")  # a hold set meanwhile still stops it
            row.content = edited.content
            row.management = edited.management
            row.title = seda.title
            row.level = seda.level
            row.version = changed["version"]
            replace_unit_rules(session, tenant, row.id, edited.rules)

        return UnitEdit(changed, index, UPDATED, detail)

    return editor
