"""Audits of the offers over HTTP: ask → operation id at once → read the report in the operation's events."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from archipel.api.deps import PlatformDep, TenantDep
from archipel.core.errors import InvalidRequest
from archipel.storage.audit import AuditRequest, AuditService
from archipel.storage.copies import AuditKind
from archipel.storage.offer_audit import OfferAuditService
from archipel.storage.selection import ObjectSelection

router = APIRouter(tags=["audit"])


class AuditAsked(BaseModel):
    """An audit of the tenant's binary objects on every offer, or of the offers against each other."""

    kind: Literal["integrity", "existence", "offers"] = Field(
        description="existence: every copy present with its recorded size; "
        "integrity: every copy read and its SHA-512 compared with the recorded one; "
        "offers: every key of the tenant compared between the offers (presence, size, SHA-512)"
    )
    repair: bool = Field(False, description="restore faulty copies from a healthy copy on another offer")
    units: list[str] = Field(
        default_factory=list, description="only the objects of these archive units (not for offers)"
    )
    operation: str | None = Field(
        None, description="only the objects archived by this ingest operation (not for offers)"
    )


@router.post(
    "/audits", status_code=202, summary="Start an audit of the offers (existence, integrity, or offers)"
)
def submit_audit(asked: AuditAsked, platform: PlatformDep, context: TenantDep) -> dict[str, str]:
    """Returns at once with the operation id; `GET /operations/{id}` gives progress, then the
    report: one event per faulty copy and per repair, and the summary (`REPORT_AUDIT`)."""
    if asked.kind == "offers":
        if asked.units or asked.operation:
            raise InvalidRequest("an offers audit compares every key of the tenant: no units, no operation")
        service = OfferAuditService(platform)
        return {"operation_id": service.submit_background(context.tenant, asked.repair, agent=context.agent)}
    selection = ObjectSelection(context.tenant, tuple(asked.units), asked.operation)
    request = AuditRequest(AuditKind(asked.kind), selection, asked.repair)
    return {"operation_id": AuditService(platform).submit_background(request, agent=context.agent)}
