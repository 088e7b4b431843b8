"""Ingest over HTTP: upload → operation id at once → poll the operation → fetch the reply."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request, Response, UploadFile
from fastapi.params import File

from archipel.api.deps import PlatformDep, SessionDep, TenantDep
from archipel.core.errors import Conflict, InvalidRequest, TooLarge
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog

router = APIRouter(tags=["ingest"])

CHUNK = 1024 * 1024


async def _receive(request: Request, file: UploadFile | None, limit: int, folder: Path) -> tuple[Path, str]:
    """Streams the SIP to disk, from a multipart field `file` or the raw body."""
    folder.mkdir(parents=True, exist_ok=True)
    received = 0
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".zip", delete=False) as handle:
        if file is not None:
            name = file.filename or "sip.zip"
            while chunk := await file.read(CHUNK):
                received += len(chunk)
                if received > limit:
                    break
                handle.write(chunk)
        else:
            name = request.headers.get("x-filename", "sip.zip")
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    break
                handle.write(chunk)
    path = Path(handle.name)
    if received > limit:
        path.unlink(missing_ok=True)
        raise TooLarge(f"the SIP exceeds the upload limit of {limit} bytes")
    if received == 0:
        path.unlink(missing_ok=True)
        raise InvalidRequest("empty upload: send the SIP ZIP as the body or as multipart field 'file'")
    return path, name


@router.post("/ingests", status_code=202, summary="Submit a SIP (ZIP) for ingest")
async def submit_ingest(
    request: Request,
    platform: PlatformDep,
    context: TenantDep,
    file: Annotated[UploadFile | None, File(description="the SIP ZIP")] = None,
) -> dict[str, str]:
    """Returns at once with the operation id; the ingest runs in the background."""
    path, name = await _receive(
        request, file, platform.settings.max_upload_bytes, platform.settings.work_dir / "uploads"
    )
    operation_id = IngestService(platform).submit_background(
        context.tenant, path, name, context.agent, move=True
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
