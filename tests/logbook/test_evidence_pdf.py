"""The readable report (report.pdf): French text with an embedded DejaVu font, or a declared fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_evidence_export import unit_with_object

from archipel.access.scope import AccessScope
from archipel.logbook import evidence_pdf
from archipel.logbook.evidence import probative_report
from archipel.platform import Platform


@pytest.fixture
def report(embedded: Platform) -> dict:
    unit_id, _ = unit_with_object(embedded)
    return probative_report(embedded, AccessScope.operator(1, "test"), unit_id).report


@pytest.mark.skipif(evidence_pdf.font_files() is None, reason="Debian's fonts-dejavu-core is not installed")
def test_the_report_embeds_dejavu_for_french_text(report: dict) -> None:
    pdf = evidence_pdf.render_pdf(report)
    assert pdf.startswith(b"%PDF-") and b"DejaVuSans" in pdf and b"Helvetica" not in pdf


def test_without_dejavu_the_core_fonts_are_used_and_the_report_says_so(
    report: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(evidence_pdf, "FONT_FOLDERS", (tmp_path,))
    report["unit"]["title"] = "Délibération n° 12 — œuvre « 東京 »…"
    pdf = evidence_pdf.render_pdf(report)
    assert pdf.startswith(b"%PDF-") and b"Helvetica" in pdf and b"DejaVu" not in pdf
    document = evidence_pdf.ReportDocument()
    assert not document.unicode
    assert document.text_of("Délibération — œuvre « 東京 »…") == "Délibération - oeuvre « ?? »..."
