"""Signing in over HTTP: the OAuth2 password flow gives a Bearer token for the API.

This route needs no credential (it is how one gets one) and so is included without
`require_permission`; its refusals are all 401, whether the login is unknown, the password
wrong, the login locked or the address throttled (`archipel.admin.login`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from archipel.admin.login import LoginPolicy, LoginService
from archipel.admin.tokens import local_tokens
from archipel.api.deps import PlatformDep

router = APIRouter(tags=["auth"])


class TokenIssued(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    """Seconds the token is accepted for."""


@router.post("/auth/token", summary="Sign in: a Bearer token for the API (OAuth2 password flow)")
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
