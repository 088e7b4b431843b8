"""The collect API ("collecte en mode flux"): a SIP put together over many calls, then ingested.

Projects hold the defaults; a transaction receives units (JSON) and their binaries (one by
one, resumable with `Content-Range`), is closed once everything checks, then sent: it
becomes a SIP submitted to the normal ingest, and follows that ingest's outcome. See
`docs/collect.md` for the model, the statuses and an end-to-end example.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from archipel.api.deps import PageDep, PlatformDep, SessionDep, TenantDep
from archipel.api.uploads import UPLOAD_BODY, receive_upload
from archipel.collect import collect_bulk, collect_send
from archipel.collect.collect_bulk import BulkUpload
from archipel.collect.collect_projects import Projects, ProjectSettings, project_json
from archipel.collect.collect_staging import ByteRange
from archipel.collect.collect_transactions import (
    OPEN,
    Transactions,
    UnitDraft,
    transaction_json,
    unit_json,
)

router = APIRouter(prefix="/collect", tags=["collect"])

Json = dict[str, Any]
REFUSED = {422: {"description": "refused: `problems` lists every reason"}}
WRONG_OFFSET = {409: {"description": "a chunk at the wrong offset: the message names the expected one"}}
BULK_BODY = copy.deepcopy(UPLOAD_BODY)
BULK_BODY["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["metadata"] = {
    "type": "string",
    "format": "binary",
    "description": "the metadata CSV (`archipel.collect.metadata_csv`), unless the ZIP holds metadata.csv",
}
BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    ingest_contract: str = Field(description="an ingest contract of the tenant")
    originating_agency: str
    submission_agency: str | None = None
    archival_agency: str | None = Field(None, description="default: the originating agency")
    transferring_agency: str | None = Field(None, description="default: submission, else originating agency")
    management: Json | None = Field(
        None, description="rules of every root unit (`archipel.seda.content` JSON)"
    )
    attach_to: str | None = Field(None, description="system id of an archived unit the roots go under")
    unit_profile: str | None = Field(None, description="an archive-unit profile every unit must conform to")
    comment: str | None = None


class ProjectPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    ingest_contract: str | None = None
    originating_agency: str | None = None
    submission_agency: str | None = None
    archival_agency: str | None = None
    transferring_agency: str | None = None
    management: Json | None = None
    attach_to: str | None = None
    unit_profile: str | None = None
    comment: str | None = None


class TransactionIn(BaseModel):
    comment: str | None = None


class DeclaredObject(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    size: int | None = Field(None, ge=0, description="expected size in bytes, checked on receipt")
    sha512: str | None = Field(None, pattern="^[0-9a-fA-F]{128}$", description="expected SHA-512, hex")


class UnitIn(BaseModel):
    content: Json = Field(description="`Content` as JSON: Title, DescriptionLevel, Description, StartDate...")
    management: Json = Field(default_factory=dict)
    parent: str | None = Field(None, description="another unit of the same transaction")
    objects: list[DeclaredObject] = Field(default_factory=list, description="binaries (BinaryMaster)")


class UnitPatch(BaseModel):
    content: Json | None = None
    management: Json | None = None
    parent: str | None = None
    objects: list[DeclaredObject] | None = None


def _draft(body: UnitIn) -> UnitDraft:
    objects = [declared.model_dump(exclude_none=True) for declared in body.objects]
    return UnitDraft(body.content, body.management, body.parent, objects)


def _transactions(session: SessionDep, platform: PlatformDep, context: TenantDep) -> Transactions:
    return Transactions(session, context.tenant, platform.settings.work_dir)


TransactionsDep = Annotated[Transactions, Depends(_transactions)]
"""The tenant's transactions, in the request's database session (committed when it ends)."""


def _described(transactions: Transactions, transaction_id: str) -> Json:
    transaction = transactions.get(transaction_id)
    collect_send.follow(transactions.session, transactions, transaction)
    return transaction_json(transaction, transactions.counts(transaction_id))


def _paged(response: Response, rows: list[Json], total: int) -> list[Json]:
    response.headers["X-Total-Count"] = str(total)
    return rows


# projects


@router.post("/projects", status_code=201, summary="Create a collect project", responses=REFUSED)
def create_project(body: ProjectIn, context: TenantDep, session: SessionDep) -> Json:
    settings = ProjectSettings(**body.model_dump(exclude={"name"}))
    return project_json(Projects(session, context.tenant).create(body.name, settings))


@router.get("/projects", summary="The tenant's collect projects (X-Total-Count: how many in all)")
def list_projects(context: TenantDep, session: SessionDep, page: PageDep, response: Response) -> list[Json]:
    projects, total = Projects(session, context.tenant).page(page.limit, page.offset)
    return _paged(response, [project_json(project) for project in projects], total)


@router.get("/projects/{project_id}", summary="A collect project")
def get_project(project_id: str, context: TenantDep, session: SessionDep) -> Json:
    return project_json(Projects(session, context.tenant).get(project_id))


@router.patch("/projects/{project_id}", summary="Change a project's name or defaults", responses=REFUSED)
def update_project(project_id: str, body: ProjectPatch, context: TenantDep, session: SessionDep) -> Json:
    changes = body.model_dump(exclude_unset=True, exclude={"name"})
    return project_json(Projects(session, context.tenant).update(project_id, body.name, changes))


# transactions


@router.post("/projects/{project_id}/transactions", status_code=201, summary="Open a transaction")
def open_transaction(
    project_id: str, transactions: TransactionsDep, body: TransactionIn | None = None
) -> Json:
    transaction = transactions.open(project_id, body.comment if body else None)
    return transaction_json(transaction, transactions.counts(transaction.id))


@router.get("/transactions", summary="The tenant's transactions, by status or project (X-Total-Count)")
def list_transactions(
    transactions: TransactionsDep,
    page: PageDep,
    response: Response,
    status: Annotated[str | None, Query(description="OPEN, CLOSED, SENDING, SENT, ACK, KO, ABORTED")] = None,
    project: Annotated[str | None, Query(description="a project id")] = None,
) -> list[Json]:
    rows, total = transactions.page(status, project, page.limit, page.offset)
    return _paged(response, [_described(transactions, row.id) for row in rows], total)


@router.get("/transactions/{transaction_id}", summary="A transaction: status, counts, operation, reply link")
def get_transaction(transaction_id: str, transactions: TransactionsDep) -> Json:
    return _described(transactions, transaction_id)


STEPS: tuple[tuple[str, str, Callable[[Transactions, str], object], str], ...] = (
    ("POST", "/close", Transactions.close, "Check everything, then freeze (CLOSED; 422 lists every problem)"),
    ("POST", "/reopen", Transactions.reopen, "Back to OPEN, to correct a closed transaction"),
    ("POST", "/abort", Transactions.abort, "Abort: delete everything staged (ABORTED)"),
    ("DELETE", "", Transactions.abort, "Abort (same as POST .../abort)"),
)
"""Moves of a transaction that answer with its new state."""


def _step_route(step: Callable[[Transactions, str], object]) -> Callable[[str, Transactions], Json]:
    def route(transaction_id: str, transactions: TransactionsDep) -> Json:
        step(transactions, transaction_id)
        return _described(transactions, transaction_id)

    return route


for method, suffix, step, summary in STEPS:
    router.add_api_route(
        f"/transactions/{{transaction_id}}{suffix}",
        _step_route(step),
        methods=[method],
        summary=summary,
        name=f"{step.__name__}_transaction{suffix.replace('/', '_')}",
        responses=REFUSED,
    )


@router.post(
    "/transactions/{transaction_id}/send",
    status_code=202,
    summary="Write the SIP and submit it to the ingest; follow the transaction (or the operation)",
    responses=REFUSED,
)
async def send_transaction(transaction_id: str, platform: PlatformDep, context: TenantDep) -> Json:
    await run_in_threadpool(collect_send.send, platform, context.tenant, transaction_id, context.agent)
    with platform.database.unit_of_work() as session:
        return _described(Transactions(session, context.tenant, platform.settings.work_dir), transaction_id)


@router.get(
    "/transactions/{transaction_id}/reply",
    summary="The ArchiveTransferReply (ATR) of the transaction's ingest",
    responses={200: {"content": {"application/xml": {}}}},
)
def transaction_reply(transaction_id: str, transactions: TransactionsDep) -> Response:
    return Response(collect_send.reply(transactions, transaction_id), media_type="application/xml")


@router.post(
    "/transactions/{transaction_id}/upload",
    status_code=201,
    summary="Add a folder tree in bulk: a ZIP (+ metadata CSV), one unit per folder and file",
    openapi_extra=BULK_BODY,
    responses={
        **REFUSED,
        400: {"description": "the ZIP or the CSV is refused: the message names each entry"},
    },
)
async def upload_folder(
    transaction_id: str,
    request: Request,
    platform: PlatformDep,
    context: TenantDep,
    parent: Annotated[str | None, Query(description="a unit of the transaction the tree goes under")] = None,
) -> list[Json]:
    metadata = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        field = (await request.form()).get("metadata")  # the form is kept: `receive_upload` reads it again
        metadata = await field.read() if isinstance(field, StarletteUploadFile) else None
        metadata = metadata if metadata is not None or field is None else str(field).encode()
    settings = platform.settings
    path, name = await receive_upload(request, settings.max_upload_bytes, settings.work_dir / "uploads")
    upload = BulkUpload(path, name, metadata, parent)
    added = await run_in_threadpool(collect_bulk.add_folder, platform, context.tenant, transaction_id, upload)
    with platform.database.unit_of_work() as session:
        transactions = Transactions(session, context.tenant, settings.work_dir)
        staging = transactions.staging(transactions.get(transaction_id))
        return [unit_json(transactions.unit(transaction_id, unit_id), staging) for unit_id in added]


# units


@router.post("/transactions/{transaction_id}/units", status_code=201, summary="Add a unit", responses=REFUSED)
def add_unit(transaction_id: str, body: UnitIn, transactions: TransactionsDep) -> Json:
    (unit,) = transactions.add_units(transaction_id, [_draft(body)])
    return unit_json(unit, transactions.staging(transactions.get(transaction_id)))


@router.get("/transactions/{transaction_id}/units", summary="The transaction's units, in creation order")
def list_units(transaction_id: str, transactions: TransactionsDep) -> list[Json]:
    staging = transactions.staging(transactions.get(transaction_id))
    return [unit_json(unit, staging) for unit in transactions.units(transaction_id)]


@router.get("/transactions/{transaction_id}/units/{unit_id}", summary="A unit, with its objects' state")
def get_unit(transaction_id: str, unit_id: str, transactions: TransactionsDep) -> Json:
    staging = transactions.staging(transactions.get(transaction_id))
    return unit_json(transactions.unit(transaction_id, unit_id), staging)


@router.patch(
    "/transactions/{transaction_id}/units/{unit_id}", summary="Correct a unit (OPEN only)", responses=REFUSED
)
def update_unit(transaction_id: str, unit_id: str, body: UnitPatch, transactions: TransactionsDep) -> Json:
    changes = body.model_dump(exclude_unset=True)
    if "objects" in changes:
        changes["objects"] = [
            {key: value for key, value in declared.items() if value is not None}
            for declared in changes["objects"] or []
        ]
    unit = transactions.update_unit(transaction_id, unit_id, changes)
    return unit_json(unit, transactions.staging(transactions.get(transaction_id)))


@router.delete(
    "/transactions/{transaction_id}/units/{unit_id}",
    status_code=204,
    summary="Remove a unit and its binaries",
)
def delete_unit(transaction_id: str, unit_id: str, transactions: TransactionsDep) -> Response:
    transactions.delete_unit(transaction_id, unit_id)
    return Response(status_code=204)


# binaries

ObjectQuery = Annotated[str | None, Query(alias="object", description="filename of the declared object")]


@router.put(
    "/transactions/{transaction_id}/units/{unit_id}/binary",
    summary="Upload a declared object's binary, whole or in Content-Range chunks",
    openapi_extra=BINARY_BODY,
    responses={**REFUSED, **WRONG_OFFSET},
)
async def upload_binary(
    transaction_id: str,
    unit_id: str,
    request: Request,
    platform: PlatformDep,
    context: TenantDep,
    name: ObjectQuery = None,
    content_range: Annotated[str | None, Header(description="bytes START-END/TOTAL")] = None,
    x_content_sha512: Annotated[str | None, Header(description="SHA-512 (hex) of the whole binary")] = None,
) -> Json:
    """Each chunk is appended where the held bytes end; the last one completes the binary,
    whose size and digest are then checked (a mismatch discards it)."""
    byte_range = ByteRange.parse(content_range) if content_range else None
    work_dir = platform.settings.work_dir
    with platform.database.unit_of_work() as session:
        transactions = Transactions(session, context.tenant, work_dir)
        staging = transactions.staging(transactions.get(transaction_id, OPEN))
        index, declared = transactions.declared(transaction_id, unit_id, name)
    limit = platform.settings.max_upload_bytes
    received = await staging.receive(unit_id, str(index), request.stream(), byte_range, limit)
    answer = {"object": declared["filename"], "held": received.held, "complete": received.complete}
    if not received.complete:
        return answer
    with platform.database.unit_of_work() as session:
        transactions = Transactions(session, context.tenant, work_dir)
        transactions.accept_binary(transaction_id, unit_id, index, received, x_content_sha512)
    return {**answer, "sha512": received.sha512}


@router.get(
    "/transactions/{transaction_id}/units/{unit_id}/binary/status",
    summary="How many bytes of a declared object are held (where to resume an upload)",
)
def binary_status(
    transaction_id: str, unit_id: str, transactions: TransactionsDep, name: ObjectQuery = None
) -> Json:
    staging = transactions.staging(transactions.get(transaction_id))
    index, declared = transactions.declared(transaction_id, unit_id, name)
    held = staging.held(unit_id, str(index))
    return {"object": declared["filename"], "held": held.held, "complete": held.complete}
