"""DIPs over HTTP: ask (202 + operation id), follow, download; or estimate first.

The body of a request is the search request selecting the units (`$roots`, `$query`,
`$filter`), as `POST /units/search` takes it; the call's access contract decides what is
delivered. The DIP is then fetched under the same tenant and contract.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse

from archipel.access.dip import DipRequest, DipService
from archipel.api.deps import AccessScopeDep, PlatformDep

router = APIRouter(tags=["access"])

QueryBody = Annotated[
    dict[str, Any],
    Body(
        description="the search request selecting the units",
        examples=[{"$query": {"$match": {"Title": "marché"}}}],
    ),
]
Requester = Annotated[
    str | None, Query(description="who asked for it (SEDA Requester; default: the API key)")
]
RequestId = Annotated[str | None, Query(description="the requester's reference (MessageRequestIdentifier)")]


@router.post("/dips", status_code=202, summary="Ask for a DIP of the units a query selects")
def submit_dip(
    query: QueryBody,
    scope: AccessScopeDep,
    platform: PlatformDep,
    requester: Requester = None,
    request_id: RequestId = None,
) -> dict[str, str]:
    """Returns at once with the operation id; the DIP is built in the background."""
    request = DipRequest(query=query, requester=requester, request_identifier=request_id)
    return {"operation_id": DipService(platform).submit_background(scope, request)}


@router.post("/dips/estimate", summary="What a DIP of these units would hold, without building it")
def estimate_dip(query: QueryBody, scope: AccessScopeDep, platform: PlatformDep) -> dict[str, int]:
    """Units, binaries and bytes of binaries the call's contract would receive."""
    return DipService(platform).estimate(scope, DipRequest(query=query))


@router.get("/dips/{operation_id}", summary="A DIP's state: status, units, objects, size")
def get_dip(operation_id: str, scope: AccessScopeDep, platform: PlatformDep) -> dict[str, Any]:
    return DipService(platform).status(scope, operation_id)


@router.get(
    "/dips/{operation_id}/content",
    summary="The DIP ZIP (409 while it is being built)",
    responses={200: {"content": {"application/zip": {}}}},
)
def get_dip_content(operation_id: str, scope: AccessScopeDep, platform: PlatformDep) -> FileResponse:
    service = DipService(platform)
    path = service.package(scope, operation_id)
    digest = service.status(scope, operation_id)["digest"] or ""
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"DIP-{operation_id}.zip",
        headers={"X-Digest-Algorithm": "SHA-512", "X-Digest": digest},
    )
