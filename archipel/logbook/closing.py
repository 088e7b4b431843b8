"""Closing a background operation: with its summary, or with the refusal or failure that stopped it.

Long operations (eliminations, mass updates, transfers) run in several transactions; whatever
stops one must still close it, so that no operation stays RUNNING in the logbook after its
work has ended, and its logbook reaches the offers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from archipel.core.errors import ArchipelError
from archipel.ingest.findings import Finding, fatal, ko
from archipel.logbook.service import OperationLog

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)


def close_operation(
    platform: Platform,
    tenant: int,
    operation_id: str,
    summary: Finding,
    units: int | None = None,
    objects: int | None = None,
) -> None:
    """Records the summary, closes the operation with its outcome (and, when given, the units and
    objects it dealt with), and writes its logbook to the offers."""
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        logbook.record(operation_id, [summary])
        operation = logbook.get(operation_id)
        if units is not None:
            operation.units = units
        if objects is not None:
            operation.objects = objects
        logbook.finish(operation, summary.outcome, summary.message)
    platform.write_operation_logbook(tenant, operation_id)


@contextmanager
def closed_on_failure(platform: Platform, tenant: int, operation_id: str, step: str) -> Iterator[None]:
    """Runs a background step: a refusal closes its operation KO, a failure FATAL; both re-raised."""
    try:
        yield
    except ArchipelError as refusal:
        close_operation(platform, tenant, operation_id, ko(step, refusal.message))
        raise
    except Exception as error:
        log.exception("%s %s failed", step, operation_id)
        close_operation(platform, tenant, operation_id, fatal(step, f"technical failure: {error}"))
        raise
