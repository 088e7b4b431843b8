"""Mass update over HTTP: ask → operation id at once → follow it and read the report in its events.

`POST /units/update` takes the search request selecting the units (`query`, run under the
call's access contract, which must allow writing) and the actions. It answers 202 with
the operation id once the actions are checked against the tenant's referentials (400
naming every fault otherwise: nothing is started); `GET /operations/{id}` gives progress,
then one event per unit (`MASS_UPDATE.UPDATED.OK` or `MASS_UPDATE.REFUSED.KO` with the
reason) and the summary (`MASS_UPDATE_FINALIZE`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from archipel.api.deps import AccessScopeDep, PlatformDep
from archipel.lifecycle.mass_update import MassUpdateRequest, MassUpdateService
from archipel.lifecycle.update_actions import RuleAddition, RuleRemoval, build_actions

router = APIRouter(tags=["lifecycle"])


class RuleToAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="the rule's category: AccessRule, AppraisalRule…")
    id: str = Field(description="the rule's id in the tenant's rules referential")
    start: date = Field(description="its StartDate: the end date is computed from it")


class RuleToRemove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    id: str


class MassUpdateAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: dict[str, Any] = Field(
        description="the search request selecting the units ($roots, $query, $filter)",
        examples=[{"$query": {"$match": {"Title": "voirie"}}}],
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="fields of Content to set, with their value"
    )
    unset: list[str] = Field(default_factory=list, description="fields of Content to remove")
    add_rules: list[RuleToAdd] = Field(default_factory=list)
    remove_rules: list[RuleToRemove] = Field(default_factory=list)


@router.post(
    "/units/update",
    status_code=202,
    summary="Update the description or rules of every unit a query selects (one background operation)",
    responses={
        400: {"description": "no action, a malformed query, or actions the tenant's referentials refuse"},
        403: {"description": "the access contract does not allow writing"},
    },
)
def submit_mass_update(
    asked: MassUpdateAsked, scope: AccessScopeDep, platform: PlatformDep
) -> dict[str, str]:
    actions = build_actions(
        asked.set,
        asked.unset,
        [RuleAddition(rule.type, rule.id, rule.start) for rule in asked.add_rules],
        [RuleRemoval(rule.type, rule.id) for rule in asked.remove_rules],
    )
    request = MassUpdateRequest(scope, asked.query, actions)
    return {"operation_id": MassUpdateService(platform).submit_background(request)}
