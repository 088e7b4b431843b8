"""Ingest as a service: accept a SIP, run the workflow in the background, answer with a reply.

`submit` records the operation and returns its id at once; `run` does the work (in a
worker thread by default) and always ends the operation with a reply, OK, WARNING, KO
or, when the fault is ours, FATAL.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archipel.admin import service as admin
from archipel.core.clock import utc_now
from archipel.core.errors import InvalidRequest
from archipel.ingest.archiving import SystemIds, assign_ids, store_and_index
from archipel.ingest.context import INGEST, IngestContext, Progress, no_progress
from archipel.ingest.findings import Finding, Outcome, fatal
from archipel.ingest.workflow import WORKFLOWS, run_workflow
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.referential.view import load_referentials
from archipel.seda.reply import build_reply
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    operation_id: str
    outcome: Outcome
    units: int
    objects: int


class IngestService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _incoming(self, operation_id: str) -> Path:
        return self.platform.settings.work_dir / "incoming" / f"{operation_id}.zip"

    def submit(
        self,
        tenant: int,
        source: Path,
        name: str | None = None,
        agent: str | None = None,
        move: bool = False,
        workflow: str = INGEST,
    ) -> str:
        """Records a new ingest operation and keeps a private copy of the SIP for it.

        `workflow` is INGEST for archives, FILING_SCHEME (FILING_UNIT nodes) or
        HOLDING_SCHEME (HOLDING_UNIT nodes) for a filing tree or a classification plan;
        it is the operation's type. The upload step is logged in the same transaction that
        creates the operation.
        """
        if not source.is_file():
            raise InvalidRequest(f"{source}: no such file")
        if workflow not in WORKFLOWS:
            raise InvalidRequest(f"unknown ingest workflow {workflow!r} (one of {', '.join(WORKFLOWS)})")
        with self.platform.database.unit_of_work() as session:
            admin.require_writable_tenant(session, tenant)
            logbook = OperationLog(session, tenant)
            operation = logbook.start(workflow, agent=agent, source_name=name or source.name)
            incoming = self._incoming(operation.id)
            incoming.parent.mkdir(parents=True, exist_ok=True)
            if move:
                shutil.move(source, incoming)
            else:
                shutil.copyfile(source, incoming)
            size = incoming.stat().st_size
            logbook.record(
                operation.id, [Finding("STP_UPLOAD_SIP", Outcome.OK, f"SIP received ({size} bytes)")]
            )
        return operation.id

    def submit_background(self, tenant: int, source: Path, **submission: Any) -> str:
        """`submit` (same options), then the ingest runs on a worker."""
        operation_id = self.submit(tenant, source, **submission)
        self.platform.tasks.submit(Job(tenant, operation_id, "ingest"), self.run, tenant, operation_id)
        return operation_id

    def run(self, tenant: int, operation_id: str, progress: Progress = no_progress) -> IngestResult:
        """Runs the ingest workflow and closes the operation; never leaves it RUNNING on error."""
        settings = self.platform.settings
        workspace = settings.work_dir / "ingests" / operation_id
        workspace.mkdir(parents=True, exist_ok=True)

        def unit_type_of(system_id: str) -> str | None:
            with self.platform.database.unit_of_work() as session:
                unit = UnitRepository(session, tenant).find_unit(system_id)
                return unit.unit_type if unit is not None else None

        with self.platform.database.unit_of_work() as session:
            operation = OperationLog(session, tenant).get(operation_id)
            workflow = operation.type
            referentials = load_referentials(session, tenant)

        ctx = IngestContext(
            settings=settings,
            tenant=tenant,
            operation_id=operation_id,
            sip=self._incoming(operation_id),
            workspace=workspace,
            identifier=self.platform.format_identifier(),
            progress=progress,
            unit_type_of=unit_type_of,
            referentials=referentials,
            workflow=workflow,
        )
        try:
            return self._run(ctx)
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
            ctx.sip.unlink(missing_ok=True)

    def _run(self, ctx: IngestContext) -> IngestResult:
        try:
            result = run_workflow(ctx, WORKFLOWS[ctx.workflow])
        except Exception as error:  # a bug or an I/O failure of ours: FATAL, never KO
            log.exception("ingest %s failed during checks", ctx.operation_id)
            return self._refuse(
                ctx, [fatal("STP_INGEST_CONTROL", f"technical failure during checks: {error}")], Outcome.FATAL
            )
        if result.outcome.rank >= Outcome.KO.rank:
            return self._refuse(ctx, result.events, result.outcome)

        ids = assign_ids(ctx)
        outcome = result.outcome
        events = result.events
        reply = self._reply(
            ctx, outcome, [*events, Finding("ATR_NOTIFICATION", Outcome.OK, "reply written")], ids
        )
        try:
            store_and_index(ctx, self.platform.database, self.platform.storage, ids, reply, events, outcome)
        except Exception as error:
            log.exception("ingest %s failed while storing", ctx.operation_id)
            from archipel.ingest.recovery import roll_back

            left = roll_back(self.platform, ctx.operation_id)
            undone = (
                "everything rolled back"
                if not left
                else f"rolled back but for {left} writes, retried at next start"
            )
            failure = fatal("STP_STORAGE", f"technical failure while storing, {undone}: {error}")
            return self._refuse(ctx, [*events, failure], Outcome.FATAL)
        self.platform.write_operation_logbook(ctx.tenant, ctx.operation_id)
        assert ctx.manifest is not None
        return IngestResult(ctx.operation_id, outcome, len(ctx.manifest.units), len(ctx.facts))

    def _reply(
        self, ctx: IngestContext, outcome: Outcome, events: list[Finding], ids: SystemIds | None
    ) -> bytes:
        manifest = ctx.manifest
        return build_reply(
            seda_version=ctx.seda_version or "2.1",
            operation_id=ctx.operation_id,
            reply_code=outcome,
            date=utc_now(),
            manifest=manifest,
            events=events,
            unit_ids=ids.units if ids else {},
            group_ids=ids.groups if ids else {},
            object_ids=ids.objects if ids else {},
            archival_agency=manifest.archival_agency if manifest else None,
            transferring_agency=manifest.transferring_agency if manifest else None,
        )

    def _refuse(self, ctx: IngestContext, events: list[Finding], outcome: Outcome) -> IngestResult:
        """A KO or FATAL end: nothing archived, the reply and the logbook say why."""
        notification = Finding("ATR_NOTIFICATION", Outcome.OK, "reply written")
        reply = self._reply(ctx, outcome, [*events, notification], None)
        failed = [event for event in events if event.outcome.rank >= Outcome.KO.rank and event.target]
        reasons = "; ".join(f"{event.key} on {event.target}" for event in failed[:5])
        message = f"transfer refused ({outcome.value})" + (f": {reasons}" if reasons else "")
        with self.platform.database.unit_of_work() as session:
            logbook = OperationLog(session, ctx.tenant)
            operation = logbook.get(ctx.operation_id)
            logbook.record(ctx.operation_id, [*events, notification])
            operation.reply = reply
            logbook.finish(operation, outcome, message)
        self.platform.write_operation_logbook(ctx.tenant, ctx.operation_id)
        return IngestResult(ctx.operation_id, outcome, 0, 0)
