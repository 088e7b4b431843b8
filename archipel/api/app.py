"""The FastAPI application, built around one platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from archipel import __version__
from archipel.api import errors
from archipel.api.routes import audits, dips, ingests, logbooks, operations, referentials, trees, units
from archipel.api.routes import eliminations as elimination_routes
from archipel.api.routes import evidence as evidence_routes
from archipel.api.routes import mass_update as mass_update_routes
from archipel.api.routes import reclassification as reclassification_routes
from archipel.api.routes import transfers as transfer_routes
from archipel.logbook.scheduler import start_securing_scheduler
from archipel.platform import Platform

API_PREFIX = "/api/v1"


def create_app(platform: Platform, close_on_shutdown: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _app.state.securing_scheduler = scheduler = start_securing_scheduler(platform)
        yield
        if scheduler is not None:
            scheduler.stop()
        if close_on_shutdown:
            platform.close()

    app = FastAPI(
        title="Archipel",
        version=__version__,
        description="Shared electronic archiving system (SAE) for local authorities: SEDA 2.x ingest, "
        "archival storage, access. Every tenant call carries `X-Tenant-Id` and `X-Api-Key`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.platform = platform
    errors.install(app)
    for module in (ingests, operations, units, referentials, trees, audits, logbooks, dips, evidence_routes):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(reclassification_routes.router, prefix=API_PREFIX)
    app.include_router(elimination_routes.router, prefix=API_PREFIX)
    app.include_router(mass_update_routes.router, prefix=API_PREFIX)
    app.include_router(transfer_routes.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/status", tags=["status"], summary="Liveness: no credentials needed")
    def status() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
