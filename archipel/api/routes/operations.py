"""The operation logbook over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from archipel.api.deps import PageDep, SessionDep, TenantDep
from archipel.logbook.service import OperationLog, OperationView

router = APIRouter(tags=["logbook"])


@router.get("/operations", summary="Operations of the tenant, newest first")
def list_operations(
    context: TenantDep, session: SessionDep, page: PageDep, type: str | None = None
) -> list[dict[str, Any]]:
    logbook = OperationLog(session, context.tenant)
    return [
        OperationView(operation, logbook.events(operation.id)).as_dict()
        for operation in logbook.operations(page.limit, page.offset, type)
    ]


@router.get("/operations/{operation_id}", summary="An operation: status, outcome and events")
def get_operation(operation_id: str, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    logbook = OperationLog(session, context.tenant)
    return OperationView(logbook.get(operation_id), logbook.events(operation_id)).as_dict()
