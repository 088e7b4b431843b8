"""An organisation's bill for a period: one line per tenant and month, then the fixed fees.

How the figures are made (docs/billing.md says the same to the people who pay):
- a line bills what the tenant holds **at the end of the month** (UTC), as volumetry counts
  it (`archipel.admin.volumetry`): `gb_month` is the logical bytes held then, in GB of
  10^9 bytes, exact (no rounding); units are the archive units held then. A month-end stock
  rather than an average keeps a past month's figure fixed the day the month ends, and lets
  a commune check its bill against its own count at that date;
- `amount = gb_month × price_per_gb_month + units × price_per_unit`, rounded to the cent,
  half up, line by line (what an invoice shows is what is added);
- the fixed fee is billed once per organisation and month of the period, whatever it holds;
- the total is the sum of the rounded lines and fees. Money is `Decimal` throughout.
The tenants billed are those the organisation owns when the report is made.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archipel.admin.model import Organisation, Tenant
from archipel.admin.tariff import tariff_for
from archipel.admin.volumetry_month import Month, months_between
from archipel.admin.volumetry_series import MonthFigures, series
from archipel.core.errors import NotFound
from archipel.core.settings import Settings, Tariff

GB = Decimal(10**9)
CENT = Decimal("0.01")
BYTE = Decimal("1E-9")
"""One byte in GB: `gb_month` is exact to it."""


def plain(value: Decimal) -> str:
    """A decimal written out in full (`0.000000005`, never `5E-9`)."""
    return format(value, "f")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BillingLine:
    """One tenant's month: what it held at the month's end, and what that costs."""

    tenant_name: str
    figures: MonthFigures
    tariff: Tariff

    @property
    def gb_month(self) -> Decimal:
        return (Decimal(self.figures.held.bytes) / GB).quantize(BYTE)

    @property
    def amount(self) -> Decimal:
        return line_amount(self.tariff, self.gb_month, self.figures.held.units)

    def as_dict(self) -> dict[str, Any]:
        held = self.figures.held
        return {
            "tenant": self.figures.tenant,
            "tenant_name": self.tenant_name,
            "month": self.figures.month,
            "units": held.units,
            "objects": held.objects,
            "bytes": held.bytes,
            "gb_month": plain(self.gb_month),
            "amount": plain(self.amount),
        }


def line_amount(tariff: Tariff, gb_month: Decimal, units: int) -> Decimal:
    return cents(gb_month * tariff.price_per_gb_month + units * tariff.price_per_unit)


@dataclass(frozen=True)
class BillingReport:
    organisation: str
    months: list[Month]
    tariff: Tariff
    lines: list[BillingLine] = field(default_factory=list)

    @property
    def first(self) -> str:
        return str(self.months[0])

    @property
    def last(self) -> str:
        return str(self.months[-1])

    @property
    def fees(self) -> dict[str, Decimal]:
        """The fixed fee of each month of the period."""
        return {str(month): cents(self.tariff.fixed_fee) for month in self.months}

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0)) + sum(self.fees.values(), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        """The JSON document; decimals as strings, so no reader turns money into floats."""
        return {
            "organisation": self.organisation,
            "from": self.first,
            "to": self.last,
            "currency": self.tariff.currency,
            "tariff": {name: str(value) for name, value in self.tariff.model_dump().items()},
            "lines": [line.as_dict() for line in self.lines],
            "fixed_fees": [{"month": month, "amount": plain(fee)} for month, fee in self.fees.items()],
            "total": plain(self.total),
        }


class UnknownOrganisation(NotFound):
    code = "UNKNOWN_ORGANISATION"


def organisation_tenants(session: Session, name: str) -> list[Tenant]:
    """The tenants the organisation owns now; UnknownOrganisation when nobody gave that name."""
    organisation_id = session.scalar(select(Organisation.id).where(Organisation.name == name))
    if organisation_id is None:
        raise UnknownOrganisation(f"organisation {name!r} does not exist")
    return list(
        session.scalars(select(Tenant).where(Tenant.organisation_id == organisation_id).order_by(Tenant.id))
    )


def require_own_organisation(session: Session, tenant: int, name: str) -> None:
    """UnknownOrganisation unless `name` owns the tenant: to one who may see only their own
    organisation's bill, no other exists (the same 404 as a name nobody gave)."""
    own = session.scalars(
        select(Organisation.name)
        .join(Tenant, Tenant.organisation_id == Organisation.id)
        .where(Tenant.id == tenant)
    ).one_or_none()
    if own != name:
        raise UnknownOrganisation(f"organisation {name!r} does not exist")


def billing_report(
    session: Session, organisation: str, first: Month, last: Month, tariff: Tariff
) -> BillingReport:
    """The bill of the organisation's tenants, month by month, at `tariff` (see the module doc)."""
    report = BillingReport(organisation, list(months_between(first, last)), tariff)
    for tenant in organisation_tenants(session, organisation):
        report.lines.extend(
            BillingLine(tenant.name, figures, tariff) for figures in series(session, tenant.id, report.months)
        )
    return report


def organisation_report(
    session: Session, settings: Settings, organisation: str, first: Month, last: Month
) -> BillingReport:
    """The report of the organisation named, at its own tariff (`archipel.admin.tariff`)."""
    return billing_report(session, organisation, first, last, tariff_for(settings, organisation))


CSV_HEADER = (
    "Organisation",
    "Tenant",
    "Nom",
    "Mois",
    "Unités",
    "Objets",
    "Octets",
    "Go-mois",
    "Montant",
    "Devise",
)


def _french(value: Decimal) -> str:
    """A decimal as French spreadsheets read it: a comma before the decimals."""
    return plain(value).replace(".", ",")


def report_csv(report: BillingReport) -> bytes:
    """The bill for a spreadsheet: `;`-separated, decimal commas, UTF-8 with a BOM (French Excel
    opens it as is); lines, then one fixed-fee row per month, then the total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    name, currency = report.organisation, report.tariff.currency
    for line in report.lines:
        row = line.as_dict()  # in the header's order
        row["gb_month"], row["amount"] = _french(line.gb_month), _french(line.amount)
        writer.writerow([name, *row.values(), currency])
    blank = [""] * 4
    for month, fee in report.fees.items():
        writer.writerow([name, "", "Forfait mensuel", month, *blank, _french(fee), currency])
    period = f"{report.first} – {report.last}"
    writer.writerow([name, "", "Total", period, *blank, _french(report.total), currency])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
