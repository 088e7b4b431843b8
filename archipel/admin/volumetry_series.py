"""Reading volumetry: a tenant's figures month by month, from the rows its changes appended.

One grouped query over the tenant's rows up to the last month asked (the (tenant, month)
index): what came before the first month is the opening stock, each month then adds its
own rows. No index table is read, so a report costs the same however many archives there
are, and a past month gives the same figures whenever it is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from archipel.admin.volumetry import MEASURES, Holdings
from archipel.admin.volumetry_model import ChangeKind, VolumetryChange
from archipel.admin.volumetry_month import Month
from archipel.db.repository import TenantScope

FLOWS = (
    "ingests",
    "bytes_ingested",
    "units_eliminated",
    "bytes_eliminated",
    "units_transferred",
    "bytes_transferred",
)
"""What came and went during a month, besides the stock at its end."""
_REMOVED = {ChangeKind.ELIMINATION: "eliminated", ChangeKind.TRANSFER: "transferred"}


@dataclass
class MonthFigures:
    """A tenant's holdings at the end of a month (logical, and bytes per offer), and its flows."""

    tenant: int
    month: str
    held: Holdings = field(default_factory=Holdings)
    bytes_by_offer: dict[str, int] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLOWS, 0))

    def as_dict(self) -> dict[str, Any]:
        """The flat document of INTERFACE.md (`archipel volumetry --json`)."""
        return {
            "tenant": self.tenant,
            "month": self.month,
            **self.held.__dict__,
            "bytes_by_offer": self.bytes_by_offer,
            **self.flows,
        }

    def count(self, kind: ChangeKind, changes: int, change: Holdings) -> None:
        """Adds a month's logical rows of one kind to its flows (removals counted positive)."""
        if kind is ChangeKind.INGEST:
            self.flows["ingests"] += changes
            self.flows["bytes_ingested"] += change.bytes
        elif kind in _REMOVED:
            self.flows[f"units_{_REMOVED[kind]}"] -= change.units
            self.flows[f"bytes_{_REMOVED[kind]}"] -= change.bytes


Group = tuple[str, str | None, int, Holdings]
"""A month's rows of one kind and offer: (kind, offer or None, how many, their sum)."""


def _groups(session: Session, tenant: int, last: Month) -> dict[str, list[Group]]:
    """Every month up to `last` that has rows, with its groups."""
    query = (
        TenantScope(session, tenant)
        .select(VolumetryChange)
        .where(VolumetryChange.month <= str(last))
        .group_by(VolumetryChange.month, VolumetryChange.kind, VolumetryChange.offer)
        .with_only_columns(
            VolumetryChange.month,
            VolumetryChange.kind,
            VolumetryChange.offer,
            func.count(),
            *(func.sum(column) for column in MEASURES),
        )
    )
    months: dict[str, list[Group]] = {}
    for month, kind, offer, changes, *sums in session.execute(query):
        months.setdefault(month, []).append(
            (kind, offer, changes, Holdings(*(int(value or 0) for value in sums)))
        )
    return months


def series(session: Session, tenant: int, months: Sequence[Month]) -> list[MonthFigures]:
    """The figures of each month asked (contiguous, in order)."""
    rows = _groups(session, tenant, months[-1])
    held, offers = Holdings(), dict[str, int]()

    def add(groups: list[Group], figures: MonthFigures | None = None) -> None:
        nonlocal held
        for kind, offer, changes, change in groups:
            if offer is not None:
                offers[offer] = offers.get(offer, 0) + change.bytes
                continue
            held += change
            if figures is not None:
                figures.count(ChangeKind(kind), changes, change)

    for month in sorted(month for month in rows if month < str(months[0])):
        add(rows[month])  # the opening stock
    result = []
    for month in months:
        figures = MonthFigures(tenant, str(month))
        add(rows.get(str(month), []), figures)
        figures.held, figures.bytes_by_offer = held, dict(sorted(offers.items()))
        result.append(figures)
    return result


def month_figures(session: Session, tenant: int, month: Month) -> MonthFigures:
    return series(session, tenant, [month])[0]
