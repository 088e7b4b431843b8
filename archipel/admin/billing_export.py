"""The files a bill is exported as, by name: what the CLI's `-o` suffix and the API's `format` pick."""

from __future__ import annotations

from collections.abc import Callable

from archipel.admin.billing import BillingReport, report_csv
from archipel.admin.billing_pdf import billing_pdf
from archipel.core.errors import InvalidRequest

EXPORTS: dict[str, tuple[Callable[[BillingReport], bytes], str]] = {
    "csv": (report_csv, "text/csv; charset=utf-8"),
    "pdf": (billing_pdf, "application/pdf"),
}
"""Format → (renderer, media type)."""


def export(report: BillingReport, kind: str) -> tuple[bytes, str]:
    """The report rendered as `kind` and its media type; InvalidRequest naming the formats there are."""
    if kind not in EXPORTS:
        raise InvalidRequest(f"billing report format {kind!r}: one of json, {', '.join(EXPORTS)}")
    render, media = EXPORTS[kind]
    return render(report), media
