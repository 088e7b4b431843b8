"""Transfers over HTTP: hand units on to another archive, fetch the SIP, then send its reply.

`POST /transfers` answers 202 with the operation id at once; the SIP is built in the
background like a DIP and fetched from `/transfers/{id}/content`. Once the receiving archive
has answered, its ArchiveTransferReply is posted to `/transfers/{id}/reply` (the XML as the
body): OK purges the units it took, KO keeps them. A transfer is the archive's own act: it
runs without an access contract, in the tenant the key opens (a later issue's roles will
restrict it to archivists). Another tenant's transfer is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from archipel.access.scope import AccessScope
from archipel.api.deps import PlatformDep, TenantDep
from archipel.core.errors import TooLarge
from archipel.lifecycle.transfer import TransferRequest, TransferService
from archipel.lifecycle.transfer_reply import TransferReplyService

router = APIRouter(tags=["lifecycle"])

MAX_REPLY_BYTES = 64 * 1024 * 1024
"""A reply lists units, objects and events, never binaries: more than this is not a reply."""


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: dict[str, Any] = Field(
        description="the search request selecting the units (all below them go too)"
    )
    archival_agency: str = Field(description="the receiving archive, as its agencies referential names it")
    archival_agreement: str | None = Field(None, description="the receiver's ingest contract")
    transferring_agency: str | None = Field(None, description="this archive as the receiver knows it")


def _scope(context: TenantDep) -> AccessScope:
    return AccessScope.operator(context.tenant, context.agent)


@router.post("/transfers", status_code=202, summary="Hand the units a query selects on to another archive")
def submit_transfer(body: TransferBody, context: TenantDep, platform: PlatformDep) -> dict[str, str]:
    request = TransferRequest(
        query=body.query,
        archival_agency=body.archival_agency,
        archival_agreement=body.archival_agreement,
        transferring_agency=body.transferring_agency,
    )
    return {"operation_id": TransferService(platform).submit_background(_scope(context), request)}


@router.get("/transfers/{operation_id}", summary="A transfer's state: status, units, objects, size")
def get_transfer(operation_id: str, context: TenantDep, platform: PlatformDep) -> dict[str, Any]:
    return TransferService(platform).status(_scope(context), operation_id)


@router.get(
    "/transfers/{operation_id}/content",
    summary="The transfer's SIP (409 while it is being built)",
    responses={200: {"content": {"application/zip": {}}}},
)
def get_transfer_content(operation_id: str, context: TenantDep, platform: PlatformDep) -> FileResponse:
    service = TransferService(platform)
    path = service.package(_scope(context), operation_id)
    return FileResponse(path, media_type="application/zip", filename=f"SIP-{operation_id}.zip")


@router.post(
    "/transfers/{operation_id}/reply",
    summary="The receiving archive's ArchiveTransferReply: OK purges the units it took, KO keeps them",
    responses={
        400: {"description": "not a readable reply, or a reply to another transfer"},
        404: {"description": "no such transfer in this tenant"},
        409: {"description": "already answered, or a unit not acknowledged or under hold"},
    },
)
async def post_transfer_reply(
    operation_id: str, request: Request, context: TenantDep, platform: PlatformDep
) -> dict[str, Any]:
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_REPLY_BYTES:
            raise TooLarge(f"a reply larger than {MAX_REPLY_BYTES} bytes is not a reply")
    report = TransferReplyService(platform).receive(context.tenant, bytes(data), context.agent, operation_id)
    return report.as_dict()
