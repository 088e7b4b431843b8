"""Receiving a ZIP over HTTP: a SIP, a filing tree, a folder to analyse, a collect's bulk folder.

Every route that takes a ZIP takes it the same two ways — the raw body (`curl
--data-binary @SIP.zip`, whatever content type curl puts on it) or a multipart field
`file` — streams it to disk under the instance's work folder, and documents it in the
OpenAPI with `UPLOAD_BODY`.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile as StarletteUploadFile

from archipel.core.errors import InvalidRequest, TooLarge

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


async def receive_upload(request: Request, limit: int, folder: Path) -> tuple[Path, str]:
    """Streams the upload to a file of `folder` (its path and the name it was sent under),
    refusing it past `limit` bytes or empty: never held whole in memory."""
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
