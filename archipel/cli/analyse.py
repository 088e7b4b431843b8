"""`archipel analyse FOLDER`: what an unsorted folder holds, before it is deposited.

Needs no instance: it reads the folder, never the archive. A summary for people on stdout
(or `--json`, the whole report: `archipel.collect.analysis`), one CSV row per file with
`--csv`, a self-contained HTML page with `--html`, a progress bar on stderr. Exit 0 once
analysed, whatever it found; 2 when FOLDER is not a readable folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich import filesize
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from archipel.cli.instance import JsonOpt
from archipel.cli.output import emit_json, err, out, table
from archipel.collect.analysis import AnalysisOptions, AnalysisReport, require_folder
from archipel.collect.analysis import Progress as ProgressCallback
from archipel.collect.analysis import analyse as analyse_folder
from archipel.collect.analysis_csv import CsvReport
from archipel.collect.analysis_html import write_html
from archipel.collect.analysis_walk import count_files
from archipel.preservation.formats import FormatIdentifier

SHOWN = 15
"""Rows of each terminal table; --json, --csv and --html have everything."""
EXAMPLES = 3


def analyse(
    folder: Annotated[Path, typer.Argument(help="the folder tree to analyse (links are not followed)")],
    json_: JsonOpt = False,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="write one row per file to this CSV")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="write a self-contained HTML report")] = None,
    no_formats: Annotated[
        bool, typer.Option("--no-formats", help="skip PRONOM identification (most of the time taken)")
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=1, help="largest folders and duplicate groups listed")
    ] = 20,
) -> None:
    """Analyse a folder before depositing it: sizes, formats, duplicates, dates, names to fix."""
    require_folder(folder)  # before the signatures load and the output files are created
    identifier = None if no_formats else FormatIdentifier()
    with ExitStack() as stack:
        sink = stack.enter_context(closing(CsvReport(csv_file))) if csv_file else None
        progress = stack.enter_context(_progress_bar(folder))
        report = analyse_folder(
            folder,
            identifier,
            AnalysisOptions(top=top),
            on_file=sink.write if sink else None,
            progress=progress,
        )
    if html:
        write_html(report, html)
    if json_:
        emit_json(report.as_dict())
    else:
        print_summary(report)


@contextmanager
def _progress_bar(folder: Path) -> Iterator[ProgressCallback | None]:
    """A bar with a total and a time left: the files are counted first (a fast walk)."""
    if not err.is_terminal:
        yield None
        return
    columns = (TextColumn("analyse"), BarColumn(), MofNCompleteColumn(), TextColumn("files"))
    with Progress(*columns, TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("analyse", total=count_files(folder))
        yield lambda files, _bytes: bar.update(task, completed=files)


def print_summary(report: AnalysisReport) -> None:
    duplicates, dates = report.duplicates, report.dates
    rows = [
        ("files", report.files),
        ("folders", report.folders),
        ("size", filesize.decimal(report.bytes)),
        ("maximum depth", report.depth),
        ("duplicates", f"{duplicates.files} files in {duplicates.groups} groups"),
        ("wasted by duplicates", filesize.decimal(duplicates.wasted_bytes)),
        ("oldest", f"{dates.oldest.modified} {dates.oldest.path}" if dates.oldest else None),
        ("newest", f"{dates.newest.modified} {dates.newest.path}" if dates.newest else None),
    ]
    table(f"Analysis of {report.root}", ["", "value"], rows)
    if report.formats_identified:
        table(
            f"Formats (PRONOM v{report.pronom_version})",
            ["PUID", "format", "MIME", "files", "size"],
            [
                (
                    fmt.puid or "-",
                    fmt.name or "not identified",
                    fmt.mime,
                    fmt.files,
                    filesize.decimal(fmt.bytes),
                )
                for fmt in report.formats[:SHOWN]
            ],
        )
    table(
        "Largest folders (cumulative)",
        ["folder", "files", "size"],
        [
            (folder.path, folder.files, filesize.decimal(folder.bytes))
            for folder in report.largest_folders[:SHOWN]
        ],
    )
    if duplicates.largest:
        table(
            "Duplicates wasting most space",
            ["size", "copies", "wasted", "paths"],
            [
                (
                    filesize.decimal(group.size),
                    group.copies,
                    filesize.decimal(group.wasted_bytes),
                    _some(group.paths, group.copies),
                )
                for group in duplicates.largest[:SHOWN]
            ],
        )
    if report.problems:
        table(
            "Problems",
            ["code", "severity", "count", "examples"],
            [(p.code, p.severity.value, p.count, _some(p.paths, p.count)) for p in report.problems],
        )
    else:
        out.print("No problem found.")


def _some(paths: list[str], count: int) -> str:
    shown = ", ".join(paths[:EXAMPLES])
    return f"{shown} (+{count - EXAMPLES} more)" if count > EXAMPLES else shown
