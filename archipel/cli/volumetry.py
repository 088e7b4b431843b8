"""`archipel volumetry` (a tenant's month, `recount`) and `archipel billing report` (an organisation's bill).

Both read the counts volumetry keeps as changes commit (`archipel.admin.volumetry`); only
`recount` scans the index, to back-fill an instance that held archives before them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archipel.admin.billing import BillingReport, UnknownOrganisation, organisation_report, plain
from archipel.admin.billing_export import EXPORTS, export
from archipel.admin.volumetry import counting_moment, recount
from archipel.admin.volumetry_month import Month
from archipel.admin.volumetry_series import MonthFigures, month_figures
from archipel.cli.instance import JsonOpt, TenantOpt, instance, tenant_instance
from archipel.cli.output import emit_json, out, table
from archipel.core.errors import InvalidRequest

volumetry_app = typer.Typer(
    help="A tenant's volumetry: units, object groups, objects and bytes held at a month's end, "
    "and what came and went during it.",
)
billing_app = typer.Typer(help="Billing of organisations by volume and archive units.", no_args_is_help=True)


@volumetry_app.callback(invoke_without_command=True)
def volumetry(
    context: typer.Context,
    tenant: Annotated[int | None, typer.Option("--tenant", "-t", help="tenant number")] = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (UTC); default: this month")] = None,
    json_: JsonOpt = False,
) -> None:
    """The tenant's figures for one month (`recount`: back-fill the counts from the index)."""
    if context.invoked_subcommand is not None:
        return
    if tenant is None:
        raise InvalidRequest("archipel volumetry needs --tenant N")
    asked = Month.parse(month) if month else Month.of(counting_moment())
    with tenant_instance(tenant) as opened, opened.database.unit_of_work() as session:
        figures = month_figures(session, tenant, asked)
    if json_:
        emit_json(figures.as_dict())
    else:
        _show(figures)


def _show(figures: MonthFigures) -> None:
    rows = [
        (name.replace("_", " "), value)
        for name, value in figures.as_dict().items()
        if name != "bytes_by_offer"
    ]
    rows += [(f"bytes on {offer}", size) for offer, size in (figures.bytes_by_offer or {}).items()]
    table(f"Tenant {figures.tenant}, {figures.month}", ["", "value"], rows)


@volumetry_app.command("recount")
def recount_command(tenant: TenantOpt, json_: JsonOpt = False) -> None:
    """Count the index once and record what the counts lack in this month (idempotent)."""
    with tenant_instance(tenant) as opened, opened.database.unit_of_work() as session:
        added = recount(session, tenant, opened.storage.offers)
    result = {"tenant": tenant, "month": str(Month.of(counting_moment())), "added": added.__dict__}
    if json_:
        emit_json(result)
    else:
        out.print(
            ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in added.__dict__.items())
            + " added"
        )


@billing_app.command("report")
def billing_report(
    organisation: Annotated[str, typer.Option("--organisation", help="the organisation's name")],
    first: Annotated[str, typer.Option("--from", help="first month billed, YYYY-MM")],
    last: Annotated[str, typer.Option("--to", help="last month billed, YYYY-MM")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="also write the bill: FILE.csv or FILE.pdf")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """One line per tenant and month, the fixed fees and the total, at the organisation's tariff."""
    kind = output.suffix.lower().lstrip(".") if output else None
    if kind is not None and kind not in EXPORTS:
        raise InvalidRequest(
            f"{output}: the bill is written as {' or '.join(f'.{name}' for name in EXPORTS)}"
        )
    period = Month.parse(first), Month.parse(last)
    with instance() as opened, opened.database.unit_of_work() as session:
        try:
            report = organisation_report(session, opened.settings, organisation, *period)
        except UnknownOrganisation as error:
            raise InvalidRequest(error.message) from None  # a name mistyped: bad usage (exit 2)
    if output is not None and kind is not None:
        output.write_bytes(export(report, kind)[0])
    if json_:
        emit_json(report.as_dict())
    else:
        _show_bill(report)


def _show_bill(report: BillingReport) -> None:
    currency = report.tariff.currency
    columns = ("month", "units", "objects", "gb_month", "amount")
    lines = [line.as_dict() for line in report.lines]
    table(
        f"{report.organisation}, {report.first} to {report.last}",
        ["tenant", *columns[:3], "GB-month", f"amount ({currency})"],
        [(f"{line['tenant']} {line['tenant_name']}", *(line[key] for key in columns)) for line in lines]
        + [("fixed fee", month, "", "", "", plain(fee)) for month, fee in report.fees.items()],
    )
    out.print(f"total: {plain(report.total)} {currency}")
