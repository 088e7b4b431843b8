"""Filing trees and classification plans over HTTP: import, read, and change their nodes.

An import runs synchronously (a tree is a few hundred units at most) and answers with the
ingest's outcome: 201 when accepted, 422 when the file is faulty (`report.errors`, every
bad line) or the ingest refused it (`events` say why). A node of another tenant is a 404
like a missing one; a change the tree rules forbid (a cycle, a plan under a filing tree,
deleting a node with children) is a 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from archipel.api.deps import PlatformDep, SessionDep, TenantDep
from archipel.api.uploads import UPLOAD_BODY, receive_upload
from archipel.core.errors import InvalidRequest
from archipel.metadata import tree
from archipel.referential.filing import import_filing_tree

router = APIRouter(prefix="/trees", tags=["filing trees"])

REFUSED = {
    422: {"description": "refused, nothing imported: `report.errors` (faulty file) or `events` (ingest KO)"}
}
CHANGE_REFUSED = {
    409: {"description": "the tree rules forbid it (cycle, attachment type, node with children)"}
}


@router.post(
    "",
    status_code=201,
    summary="Import a filing tree (CSV id,parent id,title,level,description, or a SEDA ZIP of units)",
    openapi_extra=UPLOAD_BODY,
    responses=REFUSED,
)
async def import_tree(
    request: Request,
    platform: PlatformDep,
    context: TenantDep,
    plan: Annotated[bool, Query(description="a classification plan (HOLDING_SCHEME workflow)")] = False,
) -> Any:
    path, name = await receive_upload(
        request, platform.settings.max_upload_bytes, platform.settings.work_dir / "uploads"
    )
    try:
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    named = "x-filename" in request.headers or request.headers.get("content-type", "").startswith(
        "multipart/"
    )
    source = name if named else None  # else `receive_upload` made a name up
    result = await run_in_threadpool(
        import_filing_tree, platform, context.tenant, data, plan, context.agent, source
    )
    if result.accepted:
        return result.as_dict()
    message = f"{result.workflow} transfer refused ({result.reply_code}): see events"
    return JSONResponse({"code": "TRANSFER_REFUSED", "message": message, **result.as_dict()}, status_code=422)


@router.get("", summary="The trees and plans of the tenant: root nodes, node counts, attachment")
def list_trees(context: TenantDep, session: SessionDep) -> list[dict[str, Any]]:
    return tree.list_trees(session, context.tenant)


@router.get("/{root_id}", summary="A tree (or the part below a node), nested, with archive counts")
def show_tree(root_id: str, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    return tree.show_tree(session, context.tenant, root_id)


@router.patch("/nodes/{unit_id}", summary="Rename a node or move it", responses=CHANGE_REFUSED)
def change_node(
    unit_id: str,
    context: TenantDep,
    platform: PlatformDep,
    change: Annotated[
        dict[str, Any],
        Body(description='`{"title": "…"}` to rename, `{"parent": "ID"}` to move (`null`: to the top)'),
    ],
) -> dict[str, Any]:
    asked = set(change) & {"title", "parent"}
    if len(asked) != 1 or set(change) - asked:
        raise InvalidRequest('send exactly one of {"title": "…"} or {"parent": "ID" or null}')
    if "title" in change:
        title = change["title"]
        if not isinstance(title, str):
            raise InvalidRequest("title must be a string")
        return tree.rename_node(platform, context.tenant, unit_id, title, context.agent).as_dict()
    parent = change["parent"]
    if parent is not None and not isinstance(parent, str):
        raise InvalidRequest("parent must be a unit id or null")
    return tree.move_node(platform, context.tenant, unit_id, parent, context.agent).as_dict()


@router.delete("/nodes/{unit_id}", summary="Delete a node with nothing under it", responses=CHANGE_REFUSED)
def delete_node(unit_id: str, context: TenantDep, platform: PlatformDep) -> dict[str, Any]:
    return tree.delete_node(platform, context.tenant, unit_id, context.agent).as_dict()
