"""Analysis of an unsorted folder, sent as a ZIP, before it is deposited (what Archifiltre does).

Synchronous: the ZIP is bounded (`archipel.collect.analysis_zip.SYNC_LIMITS`), and the
answer is the report itself (`archipel.collect.analysis`). Nothing is archived or logged:
the analysis touches no archive, so it needs what a depositor holds — the ingest
permission — on the tenant it calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from archipel.api.deps import PlatformDep
from archipel.api.uploads import UPLOAD_BODY, receive_upload
from archipel.collect.analysis import AnalysisOptions, AnalysisReport
from archipel.collect.analysis_zip import SYNC_LIMITS, analyse_zip, bounded
from archipel.platform import Platform

router = APIRouter(tags=["collect"])


@router.post(
    "/analyses",
    summary="Analyse a folder sent as a ZIP: sizes, formats, duplicates, dates, names to fix",
    openapi_extra=UPLOAD_BODY,
    responses={400: {"description": "the ZIP is refused (`ZIP_REFUSED`: the message names each entry)"}},
)
async def analyse_upload(
    request: Request,
    platform: PlatformDep,
    formats: Annotated[bool, Query(description="identify PRONOM formats (most of the time taken)")] = True,
    top: Annotated[int, Query(ge=1, le=1000, description="largest folders and duplicate groups listed")] = 20,
) -> dict[str, Any]:
    settings = platform.settings
    limit = min(settings.max_upload_bytes, SYNC_LIMITS.max_total_bytes)
    path, name = await receive_upload(request, limit, settings.work_dir / "uploads")
    try:
        report = await run_in_threadpool(_analyse, platform, path, name, formats, AnalysisOptions(top=top))
    finally:
        path.unlink(missing_ok=True)
    return report.as_dict()


def _analyse(
    platform: Platform, path: Path, name: str, formats: bool, options: AnalysisOptions
) -> AnalysisReport:
    """In a worker thread: the signatures load on first use, then the ZIP is read."""
    settings = platform.settings
    identifier = platform.format_identifier() if formats else None
    scratch = settings.work_dir / "analyses"
    return analyse_zip(path, name, bounded(settings.zip), identifier, scratch, options)
