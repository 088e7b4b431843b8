"""The small exception hierarchy raised at service boundaries.

Services raise these; the HTTP layer maps them to a status in one handler and the CLI maps
them to an exit code in one callback, so no business code knows about HTTP or exit codes.
"""

from __future__ import annotations


class ArchipelError(Exception):
    """Base of every error a caller is expected to handle; `code` is stable for scripts."""

    code = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ArchipelError):
    """The thing does not exist *in this tenant*: another tenant's thing is also not found."""

    code = "NOT_FOUND"


class Unauthenticated(ArchipelError):
    """No credential, or one we do not know."""

    code = "UNAUTHENTICATED"


class Forbidden(ArchipelError):
    """A known credential that is not allowed to do this on this tenant."""

    code = "FORBIDDEN"


class InvalidRequest(ArchipelError):
    """The caller sent something we cannot act upon (bad parameter, bad file)."""

    code = "INVALID_REQUEST"


class Conflict(ArchipelError):
    """The request contradicts the current state (duplicate name, operation not finished)."""

    code = "CONFLICT"


class TooLarge(ArchipelError):
    """An upload beyond the configured limits."""

    code = "TOO_LARGE"


class IntegrityFault(ArchipelError):
    """Stored bytes do not match their recorded digest: never serve them silently."""

    code = "INTEGRITY_FAULT"


class ConfigurationError(ArchipelError):
    """The instance is not set up as the command needs (missing folder, bad setting)."""

    code = "CONFIGURATION"


class TooManyRequests(ArchipelError):
    """Refused for now because of how often it was asked: the same request may succeed after
    `retry_after` seconds (sent as `Retry-After`, so clients back off instead of hammering)."""

    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ArchipelError):
    """A service the platform relies on (the task queue's broker) cannot be reached now: retry later."""

    code = "UNAVAILABLE"


class Unprocessable(ArchipelError):
    """Well-formed content that breaks several rules: every problem is listed, to fix them in one pass."""

    code = "UNPROCESSABLE"

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems
