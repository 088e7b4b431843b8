"""Archive units, object groups and objects over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from archipel.api.deps import PageDep, PlatformDep, SessionDep, TenantDep
from archipel.metadata import service

router = APIRouter(tags=["access"])


@router.get("/units", summary="Archive units of the tenant")
def list_units(
    context: TenantDep, session: SessionDep, page: PageDep, operation_id: str | None = None
) -> list[dict[str, Any]]:
    return service.unit_summaries(session, context.tenant, page.limit, page.offset, operation_id)


@router.get("/units/{unit_id}", summary="An archive unit with its metadata, rules and objects")
def get_unit(unit_id: str, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    return service.unit_detail(session, context.tenant, unit_id)


@router.get("/object-groups/{group_id}", summary="An object group and its objects")
def get_object_group(group_id: str, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    return service.object_group_detail(session, context.tenant, group_id)


@router.get(
    "/objects/{object_id}/binary",
    summary="The bytes of an object, digest checked before serving",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_binary(
    object_id: str, context: TenantDep, session: SessionDep, platform: PlatformDep
) -> StreamingResponse:
    obj = service.binary_object(session, context.tenant, object_id)
    opened = service.open_binary(platform.storage, context.tenant, obj)
    stream = opened.__enter__()

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := stream.read(1024 * 1024):
                yield chunk
        finally:
            opened.__exit__(None, None, None)

    filename = (obj.filename or obj.id).replace('"', "")
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Digest-Algorithm": "SHA-512",
        "X-Digest": obj.sha512 or "",
    }
    if obj.size is not None:
        headers["Content-Length"] = str(obj.size)
    return StreamingResponse(chunks(), media_type=obj.mime or "application/octet-stream", headers=headers)
