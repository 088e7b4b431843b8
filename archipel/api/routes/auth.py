"""Signing in over HTTP: the OAuth2 password flow gives a Bearer token for the API.

These routes need no credential (they are how one gets one) and so are included without
`require_permission`. An unknown login and a wrong password get the same 401; a locked login
or a throttled address a 429 with `Retry-After` (`archipel.admin.login`). A browser signs in
with `POST /auth/session` instead: the same token, in a cookie (`archipel.api.sessions`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from archipel.admin.login import LoginPolicy, LoginService
from archipel.admin.tokens import local_tokens
from archipel.api.deps import PlatformDep
from archipel.api.sessions import close_session, open_session

router = APIRouter(tags=["auth"])


class TokenIssued(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    """Seconds the token is accepted for."""


REFUSALS: dict[int | str, dict[str, str]] = {
    401: {"description": "Unknown login or wrong password (the same answer for both)"},
    429: {"description": "Login locked or address throttled: retry after `Retry-After` seconds"},
}


@router.post("/auth/token", summary="Sign in: a Bearer token (OAuth2 password flow)", responses=REFUSALS)
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, platform: PlatformDep
) -> TokenIssued:
    settings = platform.settings
    address = request.client.host if request.client else "unknown"
    signed_in = LoginService(platform.database, LoginPolicy.of(settings)).sign_in(
        form.username, form.password, address
    )
    token = local_tokens(settings).issue(signed_in.user_id)
    return TokenIssued(access_token=token, expires_in=int(settings.token_minutes * 60))


@router.post(
    "/auth/session",
    status_code=204,
    summary="Sign in a browser: the token in an HttpOnly session cookie (the portal's way)",
    responses=REFUSALS,
)
def open_browser_session(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, platform: PlatformDep
) -> Response:
    """Unsafe calls made with the cookie then need `X-CSRF-Token` (`archipel.api.sessions`)."""
    issued = issue_token(form, request, platform)
    response = Response(status_code=204)
    open_session(response, request, platform.settings, issued.access_token)
    return response


@router.delete("/auth/session", status_code=204, summary="Sign a browser out: its session cookie removed")
def close_browser_session(request: Request, platform: PlatformDep) -> Response:
    response = Response(status_code=204)
    close_session(response, request, platform.settings)
    return response
