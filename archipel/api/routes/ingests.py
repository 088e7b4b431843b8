"""Ingest over HTTP: upload → operation id at once → poll the operation → fetch the reply."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile as StarletteUploadFile

from archipel.api.deps import PlatformDep, SessionDep, TenantDep
from archipel.core.errors import Conflict, InvalidRequest, TooLarge
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog

router = APIRouter(tags=["ingest"])

CHUNK = 1024 * 1024


async def _chunks(request: Request) -> AsyncIterator[tuple[str, bytes]]:
    """The SIP's bytes: from multipart field `file`, or the raw body whatever its content type.

    `curl --data-binary @SIP.zip` labels the body as a form; it is still the ZIP itself.
    """
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, StarletteUploadFile):
            raise InvalidRequest("multipart upload without a 'file' field")
        while chunk := await upload.read(CHUNK):
            yield upload.filename or "sip.zip", chunk
        return
    name = request.headers.get("x-filename", "sip.zip")
    async for chunk in request.stream():
        yield name, chunk


async def _receive(request: Request, limit: int, folder: Path) -> tuple[Path, str]:
    """Streams the SIP to disk, refusing it past `limit` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    received = 0
    name = "sip.zip"
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".zip", delete=False) as handle:
        async for sent_name, chunk in _chunks(request):
            name = sent_name
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


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post("/ingests", status_code=202, summary="Submit a SIP (ZIP) for ingest", openapi_extra=UPLOAD_BODY)
async def submit_ingest(request: Request, platform: PlatformDep, context: TenantDep) -> dict[str, str]:
    """Returns at once with the operation id; the ingest runs in the background."""
    path, name = await _receive(
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
