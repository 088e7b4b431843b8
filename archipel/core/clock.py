"""One place that tells the time, in UTC, so logbooks never mix time zones."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, timezone-aware in UTC, to the microsecond."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 with an explicit offset, as SEDA dates and logbook entries want."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()
