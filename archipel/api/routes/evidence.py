"""A unit's evidence of probative value over HTTP: the bundle (ZIP) and the report (JSON).

Both run under the call's access scope (`AccessScopeDep`): a unit the contract does not
cover is a 404, and a binary it may not receive is stated by its digests but left out of
the bundle, with the reason. The bundle is built in the instance's work folder and removed
once sent; whether every check held is in `X-Evidence-Ok` (the report inside says which).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from archipel.api.deps import AccessScopeDep, PlatformDep
from archipel.core.ids import new_id
from archipel.logbook.bundle import export_bundle
from archipel.logbook.evidence import probative_report

router = APIRouter(tags=["evidence"])

NOT_COVERED = {404: {"description": "no such unit in this tenant, or not covered by the access contract"}}


@router.get(
    "/units/{unit_id}/evidence",
    summary="The unit's evidence bundle: report (JSON, PDF), documents, logbook proofs, tokens, binaries",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}, **NOT_COVERED},
)
def evidence_bundle(unit_id: str, scope: AccessScopeDep, platform: PlatformDep) -> FileResponse:
    target = platform.settings.work_dir / "evidence" / str(scope.tenant) / f"{new_id()}.zip"
    evidence = export_bundle(platform, scope, unit_id, target)
    return FileResponse(
        target,
        media_type="application/zip",
        filename=f"evidence-{evidence.unit_id}.zip",
        headers={"X-Evidence-Ok": "true" if evidence.ok else "false"},
        background=BackgroundTask(target.unlink, missing_ok=True),
    )


@router.get(
    "/units/{unit_id}/evidence/report",
    summary="The unit's probative-value report (relevé de valeur probante), archipel:probative-report:1",
    responses=NOT_COVERED,
)
def evidence_report(unit_id: str, scope: AccessScopeDep, platform: PlatformDep) -> dict[str, Any]:
    return probative_report(platform, scope, unit_id).report
