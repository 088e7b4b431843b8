"""The analysis report as one self-contained HTML page, for the archivist and the depositor.

Self-contained because it is mailed, attached to a transfer file and opened years later,
often offline: inline CSS, bar charts drawn here as inline SVG, no script, no font, no
external asset. Every name comes from the analysed folder — that is, from anyone — so
every piece of text goes through `html.escape`. Labels are in French, the depositors'
language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from archipel.collect.analysis import AnalysisReport, ProblemCount
from archipel.collect.analysis_names import Severity

CHART_ROWS = 15
"""Bars in a chart at most; the tables list everything."""
_LABEL_CHARS = 40
_UNITS = ("o", "ko", "Mo", "Go", "To", "Po")
_NUMERIC = ' class="n"'

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #1e1e1e; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
.error { color: #b00020; font-weight: bold; } .warning { color: #8a5a00; }
code { word-break: break-all; }
svg text { font-size: 12px; fill: #1e1e1e; } svg rect { fill: #3558a8; }
""".strip()


def write_html(report: AnalysisReport, path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")


def render_html(report: AnalysisReport) -> str:
    title = f"Analyse du dossier « {report.root} »"
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>Analysé le {escape(report.analysed_at)}"
        + (f" — signatures PRONOM v{escape(report.pronom_version)}" if report.pronom_version else "")
        + ".</p>",
        _summary(report),
        _formats(report),
        _years(report),
        _folders(report),
        _duplicates(report),
        _problems(report.problems),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _summary(report: AnalysisReport) -> str:
    dates = report.dates
    errors = sum(problem.count for problem in report.problems if problem.severity is Severity.ERROR)
    warnings = sum(problem.count for problem in report.problems if problem.severity is Severity.WARNING)
    rows = [
        ("Fichiers", _count(report.files)),
        ("Dossiers", _count(report.folders)),
        ("Taille totale", _size(report.bytes)),
        ("Profondeur maximale", _count(report.depth)),
        (
            "Doublons",
            f"{_count(report.duplicates.files)} fichiers en {_count(report.duplicates.groups)} groupes",
        ),
        ("Espace perdu en doublons", _size(report.duplicates.wasted_bytes)),
        (
            "Modification la plus ancienne",
            _dated(dates.oldest.modified, dates.oldest.path) if dates.oldest else "—",
        ),
        (
            "Modification la plus récente",
            _dated(dates.newest.modified, dates.newest.path) if dates.newest else "—",
        ),
        ("Problèmes", f"{_count(errors)} erreurs, {_count(warnings)} avertissements"),
    ]
    cells = "".join(f"<tr><th>{escape(label)}</th><td>{value}</td></tr>" for label, value in rows)
    return f"<h2>Synthèse</h2><table>{cells}</table>"


def _formats(report: AnalysisReport) -> str:
    if not report.formats_identified:
        return "<h2>Formats</h2><p>Formats non identifiés (analyse sans identification).</p>"
    bars = [(_format_label(fmt.puid, fmt.name), fmt.bytes) for fmt in report.formats]
    rows = [
        (fmt.puid or "—", fmt.name or "non identifié", fmt.mime or "", _count(fmt.files), _size(fmt.bytes))
        for fmt in report.formats
    ]
    return (
        "<h2>Formats</h2>"
        + _bar_chart("Taille par format", bars)
        + _table(("PUID", "Format", "Type MIME", "Fichiers", "Taille"), rows, numeric=(3, 4))
    )


def _years(report: AnalysisReport) -> str:
    years = report.dates.by_year
    bars = [(str(year.year), year.bytes) for year in years]
    rows = [(str(year.year), _count(year.files), _size(year.bytes)) for year in years]
    return (
        "<h2>Dates de modification</h2>"
        + _bar_chart("Taille par année de modification", bars, sort=False)
        + _table(("Année", "Fichiers", "Taille"), rows, numeric=(1, 2))
    )


def _folders(report: AnalysisReport) -> str:
    rows = [
        (f"<code>{escape(f.path)}</code>", _count(f.files), _size(f.bytes)) for f in report.largest_folders
    ]
    return "<h2>Dossiers les plus volumineux</h2>" + _table(
        ("Dossier", "Fichiers (cumulés)", "Taille (cumulée)"), rows, numeric=(1, 2), escaped=True
    )


def _duplicates(report: AnalysisReport) -> str:
    duplicates = report.duplicates
    rows = [
        (
            _size(group.size),
            _count(group.copies),
            _size(group.wasted_bytes),
            _paths(group.paths, group.copies),
        )
        for group in duplicates.largest
    ]
    return (
        "<h2>Doublons</h2>"
        f"<p>{_count(duplicates.groups)} contenus en plusieurs exemplaires ({_count(duplicates.files)} "
        f"fichiers) : {_size(duplicates.wasted_bytes)} perdus.</p>"
        + _table(("Taille", "Copies", "Espace perdu", "Chemins"), rows, numeric=(0, 1, 2), escaped=True)
    )


def _problems(problems: Sequence[ProblemCount]) -> str:
    if not problems:
        return "<h2>Problèmes</h2><p>Aucun problème relevé.</p>"
    rows = [
        (
            problem.code,
            f'<span class="{problem.severity.value}">'
            f"{'erreur' if problem.severity is Severity.ERROR else 'avertissement'}</span>",
            escape(problem.description),
            _count(problem.count),
            _paths(problem.paths, problem.count),
        )
        for problem in problems
    ]
    return "<h2>Problèmes</h2>" + _table(
        ("Code", "Gravité", "Description", "Nombre", "Chemins"), rows, numeric=(3,), escaped=True
    )


def _bar_chart(title: str, bars: Sequence[tuple[str, int]], sort: bool = True) -> str:
    """Horizontal bars as inline SVG, one per (label, bytes), the longest full width."""
    shown = sorted(bars, key=lambda bar: -bar[1])[:CHART_ROWS] if sort else list(bars)[-CHART_ROWS:]
    if not shown:
        return ""
    label_width, bar_width, row, top = 280, 420, 22, 24
    largest = max(value for _, value in shown) or 1
    height = top + row * len(shown)
    parts = [f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>']
    for index, (label, value) in enumerate(shown):
        y = top + index * row
        width = max(1, round(bar_width * value / largest)) if value else 0
        short = label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{width}" height="16">'
            f"<title>{escape(label)} : {_size(value)}</title></rect>"
            f'<text x="{label_width + width + 6}" y="{y + 13}">{_size(value)}</text>'
        )
    total_width = label_width + bar_width + 90
    return (
        f'<svg width="{total_width}" height="{height}" viewBox="0 0 {total_width} {height}" '
        f'role="img" aria-label="{escape(title)}">' + "".join(parts) + "</svg>"
    )


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    escaped: bool = False,
) -> str:
    """`rows` are plain text, escaped here, unless `escaped` says the caller made them HTML."""
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    lines = []
    for row in rows:
        cells = "".join(
            f"<td{_NUMERIC if index in numeric else ''}>{cell if escaped else escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    if not lines:
        return "<p>Aucun.</p>"
    return f"<table><tr>{head}</tr>{''.join(lines)}</table>"


def _paths(paths: Sequence[str], count: int) -> str:
    items = "".join(f"<li><code>{escape(path)}</code></li>" for path in paths)
    more = f"<li>… et {_count(count - len(paths))} autres (voir le CSV)</li>" if count > len(paths) else ""
    return f"<ul>{items}{more}</ul>"


def _dated(modified: str, path: str) -> str:
    return f"{escape(modified)} (<code>{escape(path)}</code>)"


def _format_label(puid: str | None, name: str | None) -> str:
    return f"{puid} {name}" if puid else "non identifié"


def _count(number: int) -> str:
    """French digit grouping: 12 345."""
    return f"{number:,}".replace(",", "\u202f")


def _size(size: int) -> str:
    """Decimal units, French symbols and decimal comma: 1,5 Mo."""
    value, unit = float(size), 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value /= 1000
        unit += 1
    shown = f"{int(value)}" if unit == 0 else f"{value:.1f}".replace(".", ",")
    return f"{shown}\u00a0{_UNITS[unit]}"
