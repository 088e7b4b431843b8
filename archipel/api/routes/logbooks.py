"""Lifecycle logbooks, securing and verification over HTTP (the operation logbook is in operations.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from archipel.api.deps import PlatformDep, SessionDep, TenantDep
from archipel.logbook.lifecycle import OBJECT_GROUP, UNIT, lifecycle
from archipel.logbook.securing import entry_proof_of, secure
from archipel.logbook.verification import verify_logbooks

router = APIRouter(tags=["logbook"])


@router.get("/units/{unit_id}/lifecycle", summary="The lifecycle logbook of an archive unit, oldest first")
def unit_lifecycle(unit_id: str, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    return lifecycle(session, context.tenant, unit_id, UNIT)


@router.get("/object-groups/{group_id}/lifecycle", summary="The lifecycle logbook of an object group")
def object_group_lifecycle(group_id: str, context: TenantDep, session: SessionDep) -> dict[str, Any]:
    return lifecycle(session, context.tenant, group_id, OBJECT_GROUP)


@router.post(
    "/logbooks/secure",
    summary="Secure the logbooks: a time-stamped Merkle root over every entry since the last securing",
)
def secure_logbooks(context: TenantDep, platform: PlatformDep) -> dict[str, Any]:
    return secure(platform, context.tenant, context.agent).as_dict()


@router.get(
    "/logbooks/verify",
    summary="Recompute every hash chain and re-prove every securing file; `ok` false lists the faults",
)
def verify(context: TenantDep, platform: PlatformDep) -> dict[str, Any]:
    return verify_logbooks(platform, context.tenant).as_dict()


@router.get("/logbooks/proofs/{entry_id}", summary="The Merkle proof of a secured entry")
def proof(entry_id: str, context: TenantDep, platform: PlatformDep) -> dict[str, Any]:
    return entry_proof_of(platform, context.tenant, entry_id)
