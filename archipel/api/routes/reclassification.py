"""Reclassification over HTTP: attach a unit under other parents, detach it from some.

`POST /units/{id}/reclassify` with `{"attach": [ids], "detach": [ids]}` answers the unit's
parents once the operation is done (200). A unit or parent of another tenant is a 404 like
a missing one; a cycle is a 409; a request with nothing to do, a parent the unit has not
(or already has) or one its type may not go under is a 400; a malformed body a 422.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from archipel.api.deps import PlatformDep, TenantDep
from archipel.metadata.reclassification import reclassify

router = APIRouter(tags=["reclassification"])


class ReclassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attach: list[str] = Field(default_factory=list, description="units to put this one under")
    detach: list[str] = Field(default_factory=list, description="parents to take it from")


REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"description": "nothing to do, a parent it has not (or already has), a type that may not go there"},
    404: {"description": "the unit or a parent is not in this tenant"},
    409: {"description": "the unit would be under itself (a cycle)"},
}


@router.post(
    "/units/{unit_id}/reclassify",
    summary="Attach an archive unit under other parents and detach it from some (one operation)",
    responses=REFUSED,
)
def reclassify_unit(
    unit_id: str, request: ReclassifyRequest, context: TenantDep, platform: PlatformDep
) -> dict[str, Any]:
    change = reclassify(platform, context.tenant, unit_id, request.attach, request.detach, context.agent)
    return change.as_dict()
