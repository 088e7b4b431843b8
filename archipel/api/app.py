"""The FastAPI application, built around one platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from archipel import __version__
from archipel.admin.tokens import signing_secret
from archipel.api import errors
from archipel.api.deps import require_permission
from archipel.api.routes import analysis as analysis_routes
from archipel.api.routes import audits, dips, ingests, logbooks, operations, referentials, trees, units
from archipel.api.routes import auth as auth_routes
from archipel.api.routes import collect as collect_routes
from archipel.api.routes import eliminations as elimination_routes
from archipel.api.routes import evidence as evidence_routes
from archipel.api.routes import mass_update as mass_update_routes
from archipel.api.routes import reclassification as reclassification_routes
from archipel.api.routes import tenants as tenant_routes
from archipel.api.routes import transfers as transfer_routes
from archipel.api.routes import users as user_routes
from archipel.api.routes import volumetry as volumetry_routes
from archipel.api.sessions import CsrfGuard
from archipel.platform import Platform
from archipel.tasks.maintenance import start_maintenance

API_PREFIX = "/api/v1"


def create_app(platform: Platform, close_on_shutdown: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _app.state.maintenance = scheduler = start_maintenance(platform, "serve")
        yield
        if scheduler is not None:
            scheduler.stop()
        if close_on_shutdown:
            platform.close()

    app = FastAPI(
        title="Archipel",
        version=__version__,
        description="Shared electronic archiving system (SAE) for local authorities: SEDA 2.x ingest, "
        "archival storage, access. Every tenant call carries `X-Tenant-Id` and either `X-Api-Key` "
        "(applications) or `Authorization: Bearer` (users: sign in at `/api/v1/auth/token`).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.platform = platform
    errors.install(app)
    app.add_middleware(
        CsrfGuard, secret=signing_secret(platform.settings), secure=platform.settings.session_cookie_secure
    )
    guarded = (
        ingests,
        analysis_routes,
        operations,
        units,
        referentials,
        trees,
        audits,
        logbooks,
        dips,
        evidence_routes,
        reclassification_routes,
        elimination_routes,
        mass_update_routes,
        transfer_routes,
        collect_routes,
        volumetry_routes,
        user_routes,
        tenant_routes,
    )
    for module in guarded:  # each route's permission: archipel/admin/permissions.py (deny by default)
        app.include_router(module.router, prefix=API_PREFIX, dependencies=[Depends(require_permission)])
    app.include_router(auth_routes.router, prefix=API_PREFIX)  # signing in needs no credential

    @app.get(f"{API_PREFIX}/status", tags=["status"], summary="Liveness: no credentials needed")
    def status() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
