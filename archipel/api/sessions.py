"""Browser sessions for the portal: the access token in a cookie, guarded against CSRF.

Scripts send their credential in a header (`X-Api-Key`, `Authorization: Bearer`), which a
browser never adds by itself: those calls cannot be forged from another site. A browser
session is different: its cookie goes with every request to the platform, including one a
malicious page makes the archivist's browser send. So a session cookie is:

* `HttpOnly` (no script reads the token), `SameSite=Strict` (not sent from another site's
  pages), `Secure` over HTTPS (or always, with `session_cookie_secure`);
* paired with a CSRF token (`archipel_csrf`, the double-submit pattern of `starlette-csrf`,
  signed with the instance's secret): every unsafe request carrying the session cookie
  must repeat that cookie's value in `X-CSRF-Token`, which only the platform's own pages
  can read. Requests without the session cookie (scripts) are not asked for it.

The token inside is the same one `POST /auth/token` gives, so it expires alike
(`token_minutes`) and one verifier checks both (`archipel.admin.tokens.token_verifier`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Scope, Send
from starlette_csrf import CSRFMiddleware

from archipel.core.settings import Settings

SESSION_COOKIE = "archipel_session"
CSRF_COOKIE = "archipel_csrf"
CSRF_HEADER = "X-CSRF-Token"


def open_session(response: Response, request: Request, settings: Settings, token: str) -> None:
    """Sets the session cookie carrying `token` on `response`."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.token_minutes * 60),
        path="/",
        secure=_secure(request, settings),
        httponly=True,
        samesite="strict",
    )


def close_session(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=_secure(request, settings), httponly=True, samesite="strict"
    )


def _secure(request: Request, settings: Settings) -> bool:
    return settings.session_cookie_secure or request.url.scheme == "https"


class CsrfGuard(CSRFMiddleware):
    """`starlette-csrf`'s double-submit check, on requests carrying the session cookie only,
    answering as every other refusal does (`{"code", "message"}`), and handing out its token
    only where a session is involved (script calls get no cookie they have no use for)."""

    def __init__(self, app: ASGIApp, secret: str, secure: bool = False) -> None:
        super().__init__(
            app,
            secret,
            sensitive_cookies={SESSION_COOKIE},
            cookie_name=CSRF_COOKIE,
            cookie_secure=secure,
            cookie_samesite="strict",
            header_name=CSRF_HEADER.lower(),
        )

    def _get_error_response(self, request: Request) -> Response:
        message = f"a session's unsafe request needs header {CSRF_HEADER} equal to the {CSRF_COOKIE} cookie"
        return JSONResponse({"code": "CSRF", "message": message}, status_code=403)

    async def send(self, message: Message, send: Send, scope: Scope) -> None:
        if message["type"] == "http.response.start" and not _session_involved(scope, message):
            await send(message)
            return
        await super().send(message, send, scope)


def _session_involved(scope: Scope, message: dict[str, Any]) -> bool:
    """The request carries a session cookie, or the response opens one."""
    if SESSION_COOKIE in Request(scope).cookies:
        return True
    opened = MutableHeaders(scope=message).getlist("set-cookie")
    return any(cookie.startswith(f"{SESSION_COOKIE}=") for cookie in opened)
