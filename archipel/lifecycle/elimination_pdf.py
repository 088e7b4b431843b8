"""The elimination request (bordereau) and the elimination certificate (attestation) as PDFs, in French.

Both are rendered from their JSON alone (`archipel.lifecycle.elimination_request`,
`archipel.lifecycle.elimination_certificate`), on the page set and fonts of the
probative-value report (`archipel.logbook.evidence_pdf.ReportDocument`: DejaVu Sans
embedded when present).
"""

from __future__ import annotations

from typing import Any

from archipel.logbook.evidence_pdf import ReportDocument

REQUEST_TITLE = "Bordereau d'élimination"
CERTIFICATE_TITLE = "Attestation d'élimination"


class TitledDocument(ReportDocument):
    """A titled report (a bordereau, a certificate, a bill): its name in every footer."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.name = title
        self.set_title(title)
        self.set_creator("Archipel")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.sans, "", 7)
        self.cell(0, 5, self.text_of(f"{self.name} — page {self.page_no()}/{{nb}}"), align="C")

    def title_block(self, subtitle: str) -> None:
        self.set_font(self.sans, "B", 16)
        self.cell(0, 9, self.text_of(self.name), new_x="LMARGIN", new_y="NEXT")
        self.paragraph(subtitle, 10)
        self.ln(2)


def request_pdf(document: dict[str, Any]) -> bytes:
    """The bordereau: who asks, at which date, and one row per unit proposed for destruction."""
    pdf = TitledDocument(REQUEST_TITLE)
    pdf.title_block("Demande d'autorisation d'élimination soumise au visa du service d'archives.")
    pdf.field("Demande", document["request_id"], mono=True)
    pdf.field("Analyse", document["analysis_id"], mono=True)
    pdf.field("Tenant", document["tenant"])
    pdf.field("Date de référence", document["date"])
    pdf.field("Demandée par", f"{document['requested_by']} le {document['requested_at']}")
    pdf.field("Unités", len(document["units"]))
    pdf.field("Volume", f"{document['bytes']} octets")
    pdf.heading("Unités proposées à l'élimination")
    pdf.rows(
        (52, 40, 22, 22, 22, 22),
        ["Identifiant", "Intitulé", "Dates", "Règle (échéance)", "Service producteur", "Objets, octets"],
        [
            [
                line["id"],
                line["title"],
                f"{line['start_date'] or '?'} – {line['end_date'] or '?'}",
                f"{line['appraisal_rule']} ({line['appraisal_end'] or 'héritée'})",
                line["originating_agency"],
                f"{line['objects']}, {line['bytes']}",
            ]
            for line in document["units"]
        ],
    )
    pdf.heading("Visa")
    pdf.paragraph("Visa du service d'archives (nom, qualité, date, signature) :")
    pdf.ln(18)
    return bytes(pdf.output())


def certificate_pdf(certificate: dict[str, Any]) -> bytes:
    """The attestation: what was destroyed, on whose visa, and where the proof is kept."""
    pdf = TitledDocument(CERTIFICATE_TITLE)
    pdf.title_block(
        f"{certificate['eliminated']} unité(s) archivistique(s) et {certificate['objects_deleted']} objet(s) "
        "ont été éliminés de toutes les offres de stockage."
    )
    pdf.field("Demande", certificate["request_id"], mono=True)
    pdf.field("Tenant", certificate["tenant"])
    pdf.field("Demandée par", f"{certificate['requested_by']} le {certificate['requested_at']}")
    pdf.field("Visa", f"{certificate['approved_by']} le {certificate['approved_at']}")
    pdf.field("Opération d'élimination", certificate["units_operation_id"], mono=True)
    pdf.field("Opération de clôture", certificate["action_operation_id"], mono=True)
    pdf.field("Offres", ", ".join(certificate["offers"]))
    pdf.field("Établie le", certificate["issued"])
    pdf.heading("Unités éliminées (trace conservée au journal des opérations)")
    pdf.rows(
        (50, 45, 30, 55),
        ["Identifiant", "Intitulé", "Dates", "Empreinte SHA-512 du dernier document"],
        [
            [
                unit["id"],
                unit["title"],
                f"{unit['start_date'] or '?'} – {unit['end_date'] or '?'}",
                unit["document_sha512"],
            ]
            for unit in certificate["units"]
        ],
        mono_last=True,
    )
    pdf.paragraph(
        "Les métadonnées et les fichiers de ces unités ont été supprimés ; une version finale de chaque "
        "document (pierre tombale) et le journal de l'opération, scellé dans la chaîne du tenant, "
        "prouvent ce qui a été éliminé.",
        8,
    )
    return bytes(pdf.output())
