"""The FastAPI application, built around one platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from archipel import __version__
from archipel.api import errors
from archipel.api.routes import ingests, operations, referentials, trees, units
from archipel.platform import Platform

API_PREFIX = "/api/v1"


def create_app(platform: Platform, close_on_shutdown: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
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
    for module in (ingests, operations, units, referentials, trees):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/status", tags=["status"], summary="Liveness: no credentials needed")
    def status() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
