"""The bill as a PDF for the organisation's services, in French.

Rendered from the report alone (`archipel.admin.billing`), on the page set of the
elimination documents (`archipel.lifecycle.elimination_pdf`: DejaVu Sans embedded when
present, the document's name in the footer), so every document the platform hands a
commune looks the same.
"""

from __future__ import annotations

from decimal import Decimal

from archipel.admin.billing import BillingReport, plain
from archipel.core.clock import utc_now
from archipel.lifecycle.elimination_pdf import TitledDocument

TITLE = "Relevé de facturation"
METHOD = (
    "Volume et unités : ce que chaque tenant détient à la fin du mois (UTC). Go-mois : octets détenus "
    "divisés par 10^9. Montant d'une ligne : Go-mois × prix du Go-mois + unités × prix de l'unité, arrondi "
    "au centime le plus proche (demi vers le haut) ; le forfait est dû une fois par mois de la période."
)


def _money(amount: Decimal, currency: str) -> str:
    return f"{plain(amount).replace('.', ',')} {currency}"


def billing_pdf(report: BillingReport) -> bytes:
    """One row per tenant and month, the fixed fees, the total, and how they were computed."""
    currency, tariff = report.tariff.currency, report.tariff
    pdf = TitledDocument(TITLE)
    pdf.title_block(f"{report.organisation} — du {report.first} au {report.last}")
    pdf.field("Organisation", report.organisation)
    pdf.field("Période", f"{report.first} – {report.last}")
    pdf.field("Forfait mensuel", _money(tariff.fixed_fee, currency))
    pdf.field("Prix du Go-mois", _money(tariff.price_per_gb_month, currency))
    pdf.field("Prix de l'unité par mois", _money(tariff.price_per_unit, currency))
    pdf.field("Établi le", utc_now().date().isoformat())
    pdf.heading("Volumétrie par tenant et par mois")
    pdf.rows(
        (50, 20, 22, 22, 30, 36),
        ["Tenant", "Mois", "Unités", "Objets", "Go-mois", "Montant"],
        [
            [
                f"{line.figures.tenant} — {line.tenant_name}",
                line.figures.month,
                line.figures.held.units,
                line.figures.held.objects,
                plain(line.gb_month).replace(".", ","),
                _money(line.amount, currency),
            ]
            for line in report.lines
        ],
    )
    pdf.heading("Forfaits")
    pdf.rows(
        (90, 90), ["Mois", "Montant"], [[month, _money(fee, currency)] for month, fee in report.fees.items()]
    )
    pdf.ln(2)
    pdf.field("Total", _money(report.total, currency))
    pdf.paragraph(METHOD, 8)
    return bytes(pdf.output())
