"""Ingest over HTTP: upload → operation id at once → poll the operation → fetch the reply."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from archipel.api.deps import PlatformDep, SessionDep, TenantDep
from archipel.api.uploads import UPLOAD_BODY, receive_upload
from archipel.core.errors import Conflict
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog

router = APIRouter(tags=["ingest"])


@router.post("/ingests", status_code=202, summary="Submit a SIP (ZIP) for ingest", openapi_extra=UPLOAD_BODY)
async def submit_ingest(request: Request, platform: PlatformDep, context: TenantDep) -> dict[str, str]:
    """Returns at once with the operation id; the ingest runs in the background."""
    path, name = await receive_upload(
        request, platform.settings.max_upload_bytes, platform.settings.work_dir / "uploads"
    )
    operation_id = IngestService(platform).submit_background(
        context.tenant, path, name=name, agent=context.agent, move=True
    )
    return {"operation_id": operation_id}


@router.get(
    "/ingests/{operation_id}/reply",
    summary="The ArchiveTransferReply (ATR) of an ingest",
    responses={200: {"content": {"application/xml": {}}}},
)
def ingest_reply(operation_id: str, context: TenantDep, session: SessionDep) -> Response:
    operation = OperationLog(session, context.tenant).get(operation_id)
    if operation.reply is None:
        raise Conflict(f"operation {operation_id} is {operation.status}: no reply yet")
    return Response(operation.reply, media_type="application/xml")
