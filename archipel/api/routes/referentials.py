"""Referentials over HTTP: the files archivists already keep, imported, edited and exported per tenant.

Every route works for every kind of `KINDS`; the path names the kind. A refused change
answers 422 with its report (every bad line, see `archipel.api.errors`), an entry of
another tenant is a 404 like any missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from archipel.api.deps import PageDep, PlatformDep, TenantDep
from archipel.core.errors import InvalidRequest, NotFound, TooLarge
from archipel.referential.kinds import KINDS, ReferentialKind
from archipel.referential.service import ReferentialService

router = APIRouter(prefix="/referentials", tags=["referentials"])

Document = dict[str, Any]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Referential files are read whole; the largest known (the PRONOM signature file) is 3.5 MB."""

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "xml": "application/xml"}

_BINARY = {"type": "string", "format": "binary"}
FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            **{media: {"schema": _BINARY} for media in (*MEDIA_TYPES.values(), "application/octet-stream")},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": _BINARY}, "required": ["file"]}
            },
        },
    }
}
REFUSED = {422: {"description": "refused, nothing changed: `report.errors` names every fault and its line"}}


def get_kind(kind: Annotated[str, PathParam(description=f"one of {', '.join(KINDS)}")]) -> ReferentialKind:
    """An unknown kind is a collection that does not exist: 404."""
    if kind not in KINDS:
        raise NotFound(f"no referential kind {kind!r} (one of {', '.join(KINDS)})")
    return KINDS[kind]


def get_service(platform: PlatformDep) -> ReferentialService:
    return ReferentialService(platform)


KindDep = Annotated[ReferentialKind, Depends(get_kind)]
ServiceDep = Annotated[ReferentialService, Depends(get_service)]


async def _received_file(request: Request) -> tuple[bytes, str | None]:
    """The file and its name: multipart field `file`, or the raw body (`curl --data-binary @rules.csv`)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("multipart upload without a 'file' field")
        data, name = await upload.read(MAX_FILE_BYTES + 1), upload.filename
    else:
        body, name = bytearray(), request.headers.get("x-filename")
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FILE_BYTES:
                break
        data = bytes(body)
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge(f"a referential file is at most {MAX_FILE_BYTES} bytes")
    if not data:
        raise InvalidRequest("empty upload: send the file as the body or as multipart field 'file'")
    return data, name


@router.get("/{kind}", summary="The entries of a referential the tenant sees (its own and shared ones)")
def list_entries(
    context: TenantDep, kind: KindDep, service: ServiceDep, page: PageDep, response: Response
) -> list[Document]:
    documents = service.entries(context.tenant, kind.name)
    response.headers["X-Total-Count"] = str(len(documents))
    return documents[page.offset : page.offset + page.limit]


@router.post(
    "/{kind}",
    summary="Import a referential file in Vitam's layout (all or nothing)",
    openapi_extra=FILE_BODY,
    responses=REFUSED,
)
async def import_file(context: TenantDep, kind: KindDep, request: Request, service: ServiceDep) -> Document:
    """A CSV kind (rules, agencies) is replaced by the file; a JSON kind gets its entries added or updated."""
    data, name = await _received_file(request)
    report = await run_in_threadpool(
        service.import_file, context.tenant, kind.name, data, context.agent, name
    )
    return report.as_dict()


@router.get(
    "/{kind}/export",
    summary="The referential as a file in Vitam's layout",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def export_file(context: TenantDep, kind: KindDep, service: ServiceDep) -> Response:
    data = service.export_file(context.tenant, kind.name)
    return Response(
        data,
        media_type=MEDIA_TYPES.get(kind.file_type, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{kind.name}.{kind.file_type}"'},
    )


@router.get("/{kind}/{identifier}", summary="One entry of a referential")
def get_entry(context: TenantDep, kind: KindDep, identifier: str, service: ServiceDep) -> Document:
    return service.get(context.tenant, kind.name, identifier)


@router.put("/{kind}/{identifier}", summary="Create or update one entry", responses=REFUSED)
def put_entry(
    context: TenantDep,
    kind: KindDep,
    identifier: str,
    document: Annotated[Document, Body(description="the entry, with Vitam's field names")],
    service: ServiceDep,
) -> Document:
    """Checked exactly as a file holding only this entry would be."""
    named = document.get(kind.id_field)
    if named is None or str(named) != identifier:
        raise InvalidRequest(f"the path names {identifier!r} but the document's {kind.id_field} is {named!r}")
    return service.put(context.tenant, kind.name, document, context.agent).as_dict()


@router.delete("/{kind}/{identifier}", summary="Delete one entry", responses=REFUSED)
def delete_entry(context: TenantDep, kind: KindDep, identifier: str, service: ServiceDep) -> Document:
    """Refused (422) while archives depend on the entry (a rule or agency they use)."""
    return service.delete(context.tenant, kind.name, identifier, context.agent).as_dict()


@router.get("/{kind}/{identifier}/history", summary="Every version of one entry")
def entry_history(context: TenantDep, kind: KindDep, identifier: str, service: ServiceDep) -> list[Document]:
    changes = service.history(context.tenant, kind.name, identifier)
    if not changes:
        raise NotFound(f"{kind.label}: {identifier} has no history in tenant {context.tenant}")
    return changes


@router.put(
    "/{kind}/{identifier}/file",
    summary="Attach a file to an entry (an archive profile's RelaxNG or XSD)",
    openapi_extra=FILE_BODY,
    responses=REFUSED,
)
async def attach_file(
    context: TenantDep, kind: KindDep, identifier: str, request: Request, service: ServiceDep
) -> Document:
    data, _name = await _received_file(request)
    report = await run_in_threadpool(
        service.attach_file, context.tenant, kind.name, identifier, data, context.agent
    )
    return report.as_dict()
