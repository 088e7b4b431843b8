"""Every error leaves the API as JSON `{"code", "message"}` with a fitting status, never a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from archipel.core import errors
from archipel.referential.report import ImportRefused
from archipel.storage.offer import OfferError

log = logging.getLogger(__name__)

STATUS: dict[type[errors.ArchipelError], int] = {
    errors.NotFound: 404,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.InvalidRequest: 400,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.TooManyRequests: 429,
    errors.IntegrityFault: 500,
    errors.ConfigurationError: 500,
    errors.Unavailable: 503,
    errors.Unprocessable: 422,
    OfferError: 503,
}


def status_of(error: errors.ArchipelError) -> int:
    """The most specific status: an offer's missing object is a NotFound before an OfferError."""
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def _body(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.ArchipelError)
    async def archipel_error(_request: Request, error: errors.ArchipelError) -> JSONResponse:
        response = _body(error.code, error.message, status_of(error))
        if isinstance(error, errors.TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        if isinstance(error, errors.Unprocessable):  # every problem listed, so one pass fixes them all
            body = {"code": error.code, "message": error.message, "problems": error.problems}
            response = JSONResponse(body, status_code=422)
        return response

    @app.exception_handler(ImportRefused)
    async def import_refused(_request: Request, error: ImportRefused) -> JSONResponse:
        """A refused referential change: the report, so every bad line is fixed in one pass."""
        body = {"code": error.code, "message": error.message, "report": error.report.as_dict()}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        details = "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg')}"
            for item in error.errors()
        )
        return _body("INVALID_REQUEST", details or "invalid request", 422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
        return _body(code, str(error.detail), error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=error)
        return _body("INTERNAL", "internal error; the server log has the details", 500)
