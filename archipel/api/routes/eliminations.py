"""Elimination over HTTP: analyse (202), request, approve or refuse, run (202), read the files.

The approving agent is the API key: the key that asked may not approve (separation of
duties, 403); the body's `user` names the person. A request of another tenant is a 404;
running a request that is not approved, or one holding a unit under hold, is a 409.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from archipel.api.deps import PlatformDep, TenantContext, TenantDep
from archipel.core.errors import Conflict
from archipel.lifecycle.elimination_action import EliminationService
from archipel.lifecycle.elimination_analysis import EliminationAnalysisService
from archipel.lifecycle.elimination_certificate import CERTIFICATE_PDF
from archipel.lifecycle.elimination_request import (
    REQUEST_FILES,
    Actor,
    create_request,
    decide,
    request_file,
    show_request,
)

router = APIRouter(tags=["elimination"])


class AnalysisAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: dict[str, Any] = Field(description="the search request selecting the units (docs/query.md)")
    reference_date: date | None = Field(None, alias="date", description="reference date (default: today)")


class RequestAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    analysis: str = Field(description="the ELIMINATION_ANALYSIS operation id")
    user: str | None = Field(None, description="the person asking (login)")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(None, description="the person deciding (login)")
    comment: str | None = None


def _actor(context: TenantContext, user: str | None) -> Actor:
    """A signed-in person acts as themselves: the body's `user` names the person only for a key."""
    return Actor(context.agent, context.login or user, personal=True)


@router.post("/elimination-analyses", status_code=202, summary="Analyse which units a query may eliminate")
def submit_analysis(asked: AnalysisAsked, platform: PlatformDep, context: TenantDep) -> dict[str, str]:
    service = EliminationAnalysisService(platform)
    return {
        "operation_id": service.submit_background(
            context.tenant, asked.query, asked.reference_date, context.agent
        )
    }


@router.get(
    "/elimination-analyses/{operation_id}",
    summary="An analysis: destroyable and kept units (409 while running)",
)
def get_analysis(operation_id: str, platform: PlatformDep, context: TenantDep) -> dict[str, Any]:
    return EliminationAnalysisService(platform).result(context.tenant, operation_id)


@router.post("/eliminations", status_code=201, summary="Make the elimination request of an analysis")
def submit_request(asked: RequestAsked, platform: PlatformDep, context: TenantDep) -> dict[str, Any]:
    return create_request(platform, context.tenant, asked.analysis, _actor(context, asked.user))


@router.get(
    "/eliminations/{request_id}", summary="An elimination request: status, who asked and decided, units"
)
def get_request(request_id: str, platform: PlatformDep, context: TenantDep) -> dict[str, Any]:
    return show_request(platform, context.tenant, request_id)


@router.get("/eliminations/{request_id}/request.{kind}", summary="The request as PDF or CSV")
def get_request_file(request_id: str, kind: str, platform: PlatformDep, context: TenantDep) -> Response:
    names = {
        "pdf": (REQUEST_FILES[2], "application/pdf"),
        "csv": (REQUEST_FILES[1], "text/csv; charset=utf-8"),
    }
    name, media = names.get(kind, (REQUEST_FILES[0], "application/json"))
    return Response(request_file(platform, context.tenant, request_id, request_id, name), media_type=media)


@router.post(
    "/eliminations/{request_id}/approve", summary="Approve a request (visa; not by the key that asked)"
)
def approve(request_id: str, decision: Decision, platform: PlatformDep, context: TenantDep) -> dict[str, Any]:
    actor = _actor(context, decision.user)
    return decide(platform, context.tenant, request_id, True, actor, decision.comment)


@router.post("/eliminations/{request_id}/refuse", summary="Refuse a request: nothing is destroyed")
def refuse(request_id: str, decision: Decision, platform: PlatformDep, context: TenantDep) -> dict[str, Any]:
    actor = _actor(context, decision.user)
    return decide(platform, context.tenant, request_id, False, actor, decision.comment)


@router.post(
    "/eliminations/{request_id}/run", status_code=202, summary="Run an approved request (409 otherwise)"
)
def run(request_id: str, platform: PlatformDep, context: TenantDep) -> dict[str, str]:
    """Returns at once; `GET /operations/{id}` shows progress, `GET /eliminations/{id}` the status."""
    actor = _actor(context, None)
    return {"operation_id": EliminationService(platform).submit_background(context.tenant, request_id, actor)}


@router.get("/eliminations/{request_id}/certificate", summary="The elimination certificate (PDF)")
def get_certificate(request_id: str, platform: PlatformDep, context: TenantDep) -> Response:
    shown = show_request(platform, context.tenant, request_id)
    if shown["status"] != "ELIMINATED":
        raise Conflict(f"elimination request {request_id} is {shown['status']}: no certificate yet")
    operation_id = shown["action_operation_id"]
    pdf = request_file(platform, context.tenant, request_id, operation_id, CERTIFICATE_PDF)
    return Response(pdf, media_type="application/pdf")
