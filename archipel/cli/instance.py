"""What the `archipel` sub-commands share: the options every tenant command takes, and the instance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from archipel.admin import service as admin

if TYPE_CHECKING:
    from archipel.platform import Platform

AGENT = "cli"
TenantOpt = Annotated[int, typer.Option("--tenant", "-t", help="tenant number")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]


@contextmanager
def instance() -> Iterator[Platform]:
    """The instance, initialised, closed afterwards."""
    from archipel.cli.main import platform  # main imports the sub-commands to register them: import late

    opened = platform()
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def tenant_instance(tenant: int) -> Iterator[Platform]:
    """The instance, once the tenant is known to exist (else exit 2 through `main`)."""
    with instance() as opened:
        with opened.database.unit_of_work() as session:
            admin.require_tenant(session, tenant)
        yield opened
