"""Volumetry and billing over HTTP: the series a portal charts, and an organisation's bill.

`GET /volumetry` gives the caller's own tenant only (the tenant is the one `X-Tenant-Id`
opens; there is no parameter to name another). `GET /billing/report` gives the bill of any
organisation to a platform administrator (`platform` permission), and to anyone else with
the `billing` permission only that of the organisation owning their tenant: another
organisation is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from archipel.admin.billing import organisation_report, require_own_organisation
from archipel.admin.billing_export import export
from archipel.admin.roles import Permission
from archipel.admin.volumetry import counting_moment
from archipel.admin.volumetry_month import Month, months_between
from archipel.admin.volumetry_series import series
from archipel.api.deps import PlatformDep, TenantDep

router = APIRouter(tags=["volumetry"])

DEFAULT_MONTHS = 12
"""The months a series covers when no `from` is given: the year up to `to`."""
MONTH = r"^\d{4}-\d{2}$"


@router.get("/volumetry", summary="The tenant's holdings at the end of each month, and its flows")
def volumetry(
    platform: PlatformDep,
    context: TenantDep,
    first: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
    last: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
) -> dict[str, Any]:
    """One entry per month from `from` to `to` (default: the twelve months up to this one): units,
    object groups, objects and bytes held at the month's end (and per offer); ingests, bytes
    ingested, units and bytes eliminated and transferred during it."""
    end = Month.parse(last) if last else Month.of(counting_moment())
    start = Month.parse(first) if first else end.shifted(1 - DEFAULT_MONTHS)
    months = list(months_between(start, end))
    with platform.database.unit_of_work() as session:
        figures = series(session, context.tenant, months)
    return {
        "tenant": context.tenant,
        "from": str(start),
        "to": str(end),
        "months": [line.as_dict() for line in figures],
    }


@router.get("/billing/report", summary="An organisation's bill for a period (JSON, CSV or PDF)")
def billing_report(
    platform: PlatformDep,
    context: TenantDep,
    organisation: Annotated[str, Query(min_length=1, description="the organisation's name")],
    first: Annotated[str, Query(alias="from", pattern=MONTH, description="first month")],
    last: Annotated[str, Query(alias="to", pattern=MONTH, description="last month")],
    format: Literal["json", "csv", "pdf"] = "json",
) -> Any:
    with platform.database.unit_of_work() as session:
        if not context.allows(Permission.PLATFORM):
            require_own_organisation(session, context.tenant, organisation)
        report = organisation_report(
            session, platform.settings, organisation, Month.parse(first), Month.parse(last)
        )
    if format == "json":
        return report.as_dict()
    content, media = export(report, format)
    name = f"billing-{report.first}-{report.last}.{format}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
