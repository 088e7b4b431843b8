"""Archive units, object groups and objects over HTTP, each call under an access contract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Body, Query
from fastapi.responses import StreamingResponse

from archipel.access import service
from archipel.access.delivery import open_object
from archipel.api.deps import AccessScopeDep, PageDep, PlatformDep, SessionDep
from archipel.metadata.model import DataObject

router = APIRouter(tags=["access"])

SEARCH_EXAMPLE = {
    "$query": {
        "$and": [
            {"$match_all": {"_all": "délibération budget"}},
            {"$range": {"StartDate": {"$gte": "2023-01-01", "$lte": "2023-12-31"}}},
        ]
    },
    "$filter": {"$limit": 20, "$orderby": {"StartDate": -1}},
    "$facets": [{"$name": "agencies", "$terms": {"$field": "#originating_agency", "$size": 10}}],
}

NOT_DELIVERED = {
    403: {"description": "the contract does not allow this usage, or the unit is not yet communicable"},
    404: {"description": "no such object in this tenant, or not covered by the access contract"},
}


@router.get("/units", summary="Archive units the access contract covers")
def list_units(
    scope: AccessScopeDep, session: SessionDep, page: PageDep, operation_id: str | None = None
) -> list[dict[str, Any]]:
    return service.unit_list(session, scope, page.limit, page.offset, operation_id)


@router.post("/units/search", summary="Search archive units with the query language (docs/query.md)")
def search_units(
    scope: AccessScopeDep,
    session: SessionDep,
    request: Annotated[dict[str, Any], Body(examples=[SEARCH_EXAMPLE])],
) -> dict[str, Any]:
    return service.search(session, scope, request)


@router.post("/objects/search", summary="Search data objects with the query language (docs/query.md)")
def search_objects(
    scope: AccessScopeDep, session: SessionDep, request: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    return service.search_object_rows(session, scope, request)


@router.get("/units/{unit_id}", summary="An archive unit with its metadata, effective rules and objects")
def get_unit(unit_id: str, scope: AccessScopeDep, session: SessionDep) -> dict[str, Any]:
    return service.unit_view(session, scope, unit_id)


@router.get(
    "/units/{unit_id}/rules", summary="The rules that apply to a unit, own and inherited, with their origin"
)
def get_unit_rules(unit_id: str, scope: AccessScopeDep, session: SessionDep) -> dict[str, Any]:
    return service.unit_rules(session, scope, unit_id)


@router.get("/object-groups/{group_id}", summary="An object group and the objects the contract may see")
def get_object_group(group_id: str, scope: AccessScopeDep, session: SessionDep) -> dict[str, Any]:
    return service.object_group_view(session, scope, group_id)


@router.get(
    "/objects/{object_id}/binary",
    summary="The bytes of an object, digest checked before serving",
    responses={200: {"content": {"application/octet-stream": {}}}, **NOT_DELIVERED},
)
def get_binary(object_id: str, scope: AccessScopeDep, platform: PlatformDep) -> StreamingResponse:
    return _stream(open_object(platform, scope, object_id))


@router.get(
    "/units/{unit_id}/binary",
    summary="The bytes of a unit's object of one usage (latest version unless one is named)",
    responses={200: {"content": {"application/octet-stream": {}}}, **NOT_DELIVERED},
)
def get_unit_binary(
    unit_id: str,
    scope: AccessScopeDep,
    platform: PlatformDep,
    usage: Annotated[
        str, Query(description="BinaryMaster, Dissemination, Thumbnail, TextContent")
    ] = "BinaryMaster",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> StreamingResponse:
    with platform.database.unit_of_work() as session:
        object_id = service.object_of_unit(session, scope, unit_id, usage, version)
    return _stream(open_object(platform, scope, object_id))


def _stream(opened: AbstractContextManager[tuple[DataObject, BinaryIO]]) -> StreamingResponse:
    """Checks and opens before the response starts (refusals are proper errors), then streams."""
    obj, stream = opened.__enter__()

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
