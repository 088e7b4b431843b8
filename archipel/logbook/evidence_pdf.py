"""The probative-value report as a PDF a person reads (relevé de valeur probante), in French.

Rendered from the JSON report alone (`archipel.logbook.evidence`), so the PDF says nothing
the JSON does not: the JSON is what the verifier checks, the PDF is how a judge or an
expert reads it. Full hashes are printed where they are stated (an expert compares them
with `sha512sum`), shortened only inside the check details.

French needs a Unicode font: DejaVu Sans, from Debian's `fonts-dejavu-core` (present on
the machines Archipel runs on), is embedded when found. Without it the PDF falls back to
the PDF core fonts, which know Latin-1 only: French accents survive, a few typographic
signs are replaced, and the report says on its first page that it used the fallback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_FILES = {
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
    ("mono", ""): "DejaVuSansMono.ttf",
}
_LONG_HEX = re.compile(r"\b([0-9a-f]{16})[0-9a-f]{48,}\b")
_LATIN1 = str.maketrans({"…": "...", "’": "'", "œ": "oe", "Œ": "OE", "—": "-", "–": "-", "≠": "!=", "•": "-"})
ROLES = {
    "ingest operation": "Opération d'entrée",
    "unit lifecycle": "Cycle de vie de l'unité",
    "object group lifecycle": "Cycle de vie du groupe d'objets",
}


def font_files() -> dict[tuple[str, str], Path] | None:
    """The DejaVu files to embed, or None when this machine lacks them."""
    for folder in FONT_FOLDERS:
        found = {key: folder / name for key, name in FONT_FILES.items()}
        if all(path.is_file() for path in found.values()):
            return found
    return None


class ReportDocument(FPDF):
    """An A4 page set with the report's fonts (DejaVu, or the core fonts as `text_of` says) and its blocks."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        fonts = font_files()
        self.unicode = fonts is not None
        if fonts is not None:
            for (family, style), path in fonts.items():
                self.add_font(family, style, str(path))
        self.sans, self.mono = ("sans", "mono") if self.unicode else ("helvetica", "courier")

    def text_of(self, value: Any) -> str:
        """Text the fonts can show: as is with DejaVu, else Latin-1 with a few signs spelled out."""
        text = "—" if value is None or value == "" else str(value)
        return (
            text if self.unicode else text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
        )

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.sans, "", 7)
        self.cell(0, 5, self.text_of(f"Relevé de valeur probante — page {self.page_no()}/{{nb}}"), align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.sans, "B", 12)
        self.multi_cell(0, 7, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.sans, "", 9)

    def field(self, label: str, value: Any, mono: bool = False) -> None:
        """A label and its value on one row; hashes and ids in a fixed font, broken anywhere."""
        self.set_font(self.sans, "B", 8)
        self.multi_cell(48, 4.5, self.text_of(label), new_x=XPos.RIGHT, new_y=YPos.TOP, align="L")
        self.set_font(self.mono if mono else self.sans, "", 7.5 if mono else 9)
        self.multi_cell(
            0,
            4.5,
            self.text_of(value),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR if mono else WrapMode.WORD,
            align="L",
        )
        self.set_font(self.sans, "", 9)

    def paragraph(self, text: str, size: float = 9) -> None:
        self.set_font(self.sans, "", size)
        self.multi_cell(0, 4.5, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    def rows(
        self, widths: tuple[int, ...], head: list[str], rows: list[list[Any]], mono_last: bool = False
    ) -> None:
        self.set_font(self.sans, "", 7.5)
        mono = FontFace(family=self.mono, size_pt=7)
        wrap = WrapMode.CHAR if mono_last else WrapMode.WORD
        with self.table(col_widths=widths, text_align="LEFT", wrapmode=wrap, line_height=4) as table:
            heading = table.row()
            for text in head:
                heading.cell(self.text_of(text))
            for values in rows:
                row = table.row()
                for index, value in enumerate(values):
                    last = index == len(values) - 1
                    row.cell(self.text_of(value), style=mono if mono_last and last else None)
        self.set_font(self.sans, "", 9)


def render_pdf(report: dict[str, Any]) -> bytes:
    """The PDF of a report (see the module doc)."""
    pdf = ReportDocument()
    pdf.set_title(f"Relevé de valeur probante — {report['unit']['id']}")
    pdf.set_creator(report["generator"])
    pdf.add_page()
    _title(pdf, report)
    _unit(pdf, report)
    _ingest(pdf, report)
    _objects(pdf, report)
    _lifecycles(pdf, report)
    _securings(pdf, report)
    _checks(pdf, report)
    _limits(pdf, report)
    return bytes(pdf.output())


def _title(pdf: ReportDocument, report: dict[str, Any]) -> None:
    pdf.set_font(pdf.sans, "B", 16)
    pdf.multi_cell(0, 9, pdf.text_of("Relevé de valeur probante"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.sans, "", 11)
    pdf.multi_cell(0, 6, pdf.text_of(f"« {report['unit']['title']} »"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.field("Établi le", report["generated"])
    pdf.field("Par", report["generator"])
    pdf.field("Tenant", report["tenant"])
    pdf.field("Contrat d'accès", report["access_contract"] or "opérateur de l'instance (sans restriction)")
    failed = [check for check in report["checks"] if not check["ok"]]
    pdf.ln(2)
    pdf.set_font(pdf.sans, "B", 11)
    pdf.set_text_color(0, 110, 0) if not failed else pdf.set_text_color(180, 0, 0)
    verdict = (
        f"Résultat : les {len(report['checks'])} contrôles sont satisfaits."
        if not failed
        else f"Résultat : ÉCHEC de {len(failed)} contrôle(s) sur {len(report['checks'])} (voir section 6)."
    )
    pdf.multi_cell(0, 6, pdf.text_of(verdict), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    if not pdf.unicode:
        pdf.paragraph("Police de repli (DejaVu absente) : certains signes typographiques sont remplacés.", 7)
    pdf.paragraph(
        "Ce relevé est la lecture du fichier report.json du paquet de preuve ; la commande "
        "`archipel verify PAQUET.zip` en refait les contrôles sans base de données ni serveur, "
        "et le fichier README.txt du paquet explique comment les refaire à la main.",
        8,
    )


def _unit(pdf: ReportDocument, report: dict[str, Any]) -> None:
    unit = report["unit"]
    pdf.heading("1. Unité archivistique")
    pdf.field("Identifiant", unit["id"], mono=True)
    pdf.field("Intitulé", unit["title"])
    pdf.field("Niveau de description", unit["level"])
    pdf.field("Service producteur", unit["originating_agency"])
    pdf.field("Opération d'entrée", unit["operation_id"], mono=True)
    pdf.field("Groupe d'objets", unit["object_group"], mono=True)
    for document in unit["documents"]:
        pdf.field(f"Document, version {document['version']}", document["sha512"], mono=True)


def _ingest(pdf: ReportDocument, report: dict[str, Any]) -> None:
    ingest = report["ingest"]
    entry = next((item for item in report["entries"] if item["role"] == "ingest operation"), None)
    pdf.heading("2. Opération d'entrée (versement)")
    pdf.field("Identifiant", ingest["operation_id"], mono=True)
    pdf.field("Type, résultat", f"{ingest['type']}, {ingest['outcome']}")
    pdf.field("Début, fin", f"{ingest['started']} — {ingest['ended']}")
    pdf.field("Paquet reçu", ingest["source_name"])
    for name, label in (("manifest", "Bordereau de transfert"), ("reply", "Accusé (ATR), SHA-512")):
        described = ingest.get(name)
        pdf.field(label, described["sha512"] or "absent des offres", mono=True)
    if entry is not None and entry["link"]:
        pdf.field("Empreinte de chaînage", entry["link"]["hash"], mono=True)
        pdf.field(
            "Place dans la chaîne",
            f"{entry['link']['kind']} {entry['link']['chain']}, position {entry['link']['position']}",
        )


def _objects(pdf: ReportDocument, report: dict[str, Any]) -> None:
    pdf.heading("3. Objets")
    if not report["objects"]:
        pdf.paragraph("L'unité n'a pas d'objet.")
    for obj in report["objects"]:
        pdf.set_font(pdf.sans, "B", 9)
        name = obj["filename"] or obj["id"]
        title = f"{obj['usage']}_{obj['version']} — {name} — {obj['size']} octets — {obj['puid']}"
        pdf.multi_cell(0, 5, pdf.text_of(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.field("Identifiant", obj["id"], mono=True)
        pdf.field("SHA-512 à l'entrée (base)", obj["sha512_database"], mono=True)
        pdf.field("SHA-512 (doc. du groupe)", obj["sha512_document"], mono=True)
        pdf.field(f"Déclarée ({obj['declared_digest_algorithm']})", obj["declared_digest"], mono=True)
        for copy in obj["copies"]:
            pdf.field(
                f"Recalculé ({copy['offer']})", copy["sha512"] if copy["ok"] else copy["detail"], mono=True
            )
        pdf.field("Dans le paquet", obj["file"] or obj["withheld"] or obj["missing"], mono=bool(obj["file"]))
        pdf.ln(1)


def _lifecycles(pdf: ReportDocument, report: dict[str, Any]) -> None:
    pdf.heading("4. Journaux (opération d'entrée et cycles de vie)")
    rows = [
        [
            ROLES.get(entry["role"], entry["role"]),
            entry["date"],
            f"{entry['event']} {entry['outcome']}",
            entry["link"]["hash"] if entry["link"] else "non scellée",
        ]
        for entry in report["entries"]
    ]
    pdf.rows(
        (32, 34, 34, 80), ["Journal", "Date", "Événement", "Empreinte de chaînage (SHA-512)"], rows, True
    )


def _securings(pdf: ReportDocument, report: dict[str, Any]) -> None:
    pdf.heading("5. Sécurisations (traçabilité) et horodatages")
    if not report["securings"]:
        pdf.paragraph(
            "Aucun fichier de sécurisation ne couvre encore ces entrées (voir le contrôle « secured »)."
        )
    for item in report["securings"]:
        stamp = item.get("timestamp") or {}
        pdf.field(f"Sécurisation n° {item['number']}", item["file"])
        pdf.field("SHA-512 du fichier", item["sha512"], mono=True)
        pdf.field("Racine de Merkle", item["root"], mono=True)
        pdf.field("Entrées scellées", item["leaves"])
        pdf.field(
            "Horodatage (RFC 3161)",
            f"{stamp.get('gen_time')} — {stamp.get('signer')} ({stamp.get('authority')})",
        )
        proofs = [
            entry for entry in report["entries"] if entry.get("securing") == item["number"] and entry["proof"]
        ]
        for entry in proofs:
            proof = entry["proof"]
            pdf.field(
                f"Preuve {entry['id'][:13]}…",
                f"feuille {proof['leaf_index']} sur {proof['leaves']}, chemin de {len(proof['path'])} étapes",
            )
        pdf.ln(1)
    for certificate in report["tsa"].get("certificates", []):
        pdf.field("Autorité d'horodatage", certificate["subject"])
        pdf.field("Empreinte SHA-256", certificate["sha256"], mono=True)


def _checks(pdf: ReportDocument, report: dict[str, Any]) -> None:
    pdf.heading("6. Contrôles")
    rows = [
        [check["name"], "OK" if check["ok"] else "ÉCHEC", _LONG_HEX.sub(r"\1…", check["detail"])]
        for check in report["checks"]
    ]
    pdf.rows((58, 17, 105), ["Contrôle", "Résultat", "Détail"], rows)


def _limits(pdf: ReportDocument, report: dict[str, Any]) -> None:
    pdf.heading("7. Ce que ce relevé ne prouve pas")
    for text in report["limitations"]:
        pdf.paragraph(f"• {text}", 8)
