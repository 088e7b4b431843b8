"""`archipel sip build FOLDER -o SIP.zip`: a folder tree as a SEDA 2.2 SIP, ready to deposit.

Needs no instance, like `sip check`: it reads the folder and writes a ZIP. The tree is
planned (`archipel.collect.folder_plan`), the metadata CSV applied
(`archipel.collect.metadata_csv`), the SIP written and checked against the official XSD
(`archipel.collect.sip_writer`). The agencies and the contract default to those of the
demo referentials, so that a SIP built without options is accepted by a demo instance;
a real transfer names its own.

Exit codes: 0 written (or planned, with `--dry-run`); 1 refused (the manifest fails the
XSD, a file changed while it was copied); 2 bad usage (no such folder, a bad option, a
metadata CSV with problems: every problem is listed, with its line).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import filesize
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from rich.tree import Tree

from archipel.cli.instance import JsonOpt
from archipel.cli.output import emit_json, err, out
from archipel.collect.folder_plan import FolderDefaults, Notice, plan_folder, units_of
from archipel.collect.metadata_csv import MAX_PROBLEMS_IN_MESSAGE, MetadataErrors, read_metadata
from archipel.collect.rule_spec import RuleSpecError, category_block, parse_rule
from archipel.collect.sip_writer import InvalidSip, PlannedUnit, SipHeader, WrittenSip, write_sip
from archipel.core import errors
from archipel.core.clock import iso, utc_now

DEMO_CONTRACT = "ArchivalAgreement0"
DEMO_ORIGINATING_AGENCY = "Service_producteur"
DEMO_ARCHIVAL_AGENCY = "Service_archives"
NAME_EXAMPLES = 3


def build(
    folder: Annotated[Path, typer.Argument(help="the folder tree to deposit (links are not followed)")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="the SIP ZIP to write")] = None,
    contract: Annotated[str, typer.Option("--contract", help="ingest contract")] = DEMO_CONTRACT,
    originating_agency: Annotated[
        str, typer.Option("--originating-agency", help="service producteur")
    ] = DEMO_ORIGINATING_AGENCY,
    submission_agency: Annotated[
        str | None, typer.Option("--submission-agency", help="service versant, when it is not the producer")
    ] = None,
    archival_agency: Annotated[
        str, typer.Option("--archival-agency", help="the archives receiving the SIP")
    ] = DEMO_ARCHIVAL_AGENCY,
    transferring_agency: Annotated[
        str | None,
        typer.Option("--transferring-agency", help="who transfers (default: the originating agency)"),
    ] = None,
    attach_to: Annotated[
        str | None, typer.Option("--attach-to", help="system id of an archived unit to put the root under")
    ] = None,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="a rule of the root unit, CATEGORY:RULEID[:START] (repeatable)"),
    ] = None,
    final_actions: Annotated[
        list[str] | None,
        typer.Option("--final-action", help="CATEGORY:ACTION, e.g. AppraisalRule:Keep (repeatable)"),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="the root unit's title (default: FOLDER's name)")
    ] = None,
    metadata: Annotated[
        Path | None, typer.Option("--metadata", help="CSV of titles, dates, keywords and rules by path")
    ] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="the transfer's comment")] = None,
    include_hidden: Annotated[
        bool, typer.Option("--include-hidden", help="deposit hidden entries and Thumbs.db, .DS_Store...")
    ] = False,
    no_formats: Annotated[
        bool, typer.Option("--no-formats", help="skip PRONOM identification (the ingest identifies anyway)")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the units, write nothing")] = False,
    json_: JsonOpt = False,
) -> None:
    """Build a SEDA 2.2 SIP from a folder tree: folders and files become units, files their objects."""
    if output is None and not dry_run:
        raise errors.InvalidRequest("-o/--output: name the SIP ZIP to write (or use --dry-run)")
    if output is not None and output.resolve().is_relative_to(folder.resolve()):
        raise errors.InvalidRequest(f"{output}: inside {folder}, the SIP would be deposited in itself")
    defaults = FolderDefaults(title, root_management(rules or [], final_actions or []), include_hidden)
    table = read_metadata(metadata) if metadata else None
    notices: list[Notice] = []
    with _progress_bars() as bars:
        try:
            plan = plan_folder(
                folder,
                metadata=table,
                defaults=defaults,
                formats=not no_formats,
                on_notice=notices.append,
                progress=bars.identified,
            )
        except MetadataErrors as refused:
            _print_problems(refused)
            raise
        if not dry_run:
            assert output is not None  # checked above
            header = SipHeader(
                message_identifier=f"{plan.content['Title']} {iso(utc_now())}",
                archival_agency=archival_agency,
                transferring_agency=transferring_agency or originating_agency,
                archival_agreement=contract,
                originating_agency=originating_agency,
                submission_agency=submission_agency,
                comment=comment,
                attach_to=attach_to,
            )
            try:
                written = write_sip(output, header, [plan], progress=bars.written)
            except InvalidSip as invalid:
                raise errors.ArchipelError(f"{output}: not written, {invalid}") from None
    _report(notices)
    if dry_run:
        _print_plan(plan, json_, notices)
    else:
        _print_written(written, json_, notices)


def root_management(rules: list[str], final_actions: list[str]) -> dict[str, Any]:
    """The root's rule categories, from `--rule CATEGORY:RULEID[:START]` and
    `--final-action CATEGORY:ACTION`."""
    by_category: dict[str, list[dict[str, str]]] = {}
    actions: dict[str, str] = {}
    try:
        for text in rules:
            category, _, rule = text.partition(":")
            by_category.setdefault(category.strip(), []).append(parse_rule(rule))
        for text in final_actions:
            category, _, action = text.partition(":")
            actions[category.strip()] = action.strip()
        return {
            category: category_block(category, by_category.get(category, []), actions.get(category))
            for category in dict.fromkeys([*by_category, *actions])
        }
    except RuleSpecError as error:
        raise errors.InvalidRequest(f"--rule/--final-action: {error}") from None


class _Bars:
    """Progress on stderr: formats identified (files), then bytes copied into the ZIP."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}

    def identified(self, done: int, total: int) -> None:
        self._update("formats", done, total, f"{done}/{total} files")

    def written(self, done: int, total: int) -> None:
        self._update("write", done, total, f"{filesize.decimal(done)}/{filesize.decimal(total)}")

    def _update(self, phase: str, done: int, total: int, shown: str) -> None:
        if self.progress is None:
            return
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(phase, total=total, shown=shown)
        self.progress.update(self.tasks[phase], completed=done, total=total, shown=shown)


@contextmanager
def _progress_bars() -> Iterator[_Bars]:
    if not err.is_terminal:
        yield _Bars(None)
        return
    shown = TextColumn("{task.fields[shown]}")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        shown,
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        yield _Bars(bar)


def _print_problems(refused: MetadataErrors) -> None:
    """Every problem of the CSV, when more than the error line holds."""
    if len(refused.problems) > MAX_PROBLEMS_IN_MESSAGE:
        for problem in refused.problems:
            err.print(f"  {problem}", highlight=False, markup=False)


def _report(notices: list[Notice]) -> None:
    """What was not deposited, one line each; names to fix, counted by problem."""
    names: dict[str, list[str]] = {}
    for notice in notices:
        if notice.skipped:
            err.print(f"skipped: {notice.path}: {notice.detail}", highlight=False, markup=False)
        else:
            names.setdefault(notice.code, []).append(notice.path)
    for code, paths in names.items():
        shown = ", ".join(paths[:NAME_EXAMPLES]) + (
            f" (+{len(paths) - NAME_EXAMPLES} more)" if len(paths) > NAME_EXAMPLES else ""
        )
        err.print(f"warning: {code}: {len(paths)} names, {shown}", highlight=False, markup=False)


def _print_written(written: WrittenSip, json_: bool, notices: list[Notice]) -> None:
    if json_:
        skipped = [_notice_json(notice) for notice in notices if notice.skipped]
        emit_json(
            {
                "units": written.units,
                "objects": written.objects,
                "bytes": written.bytes,
                "file": str(written.path),
                "version": written.version,
                "skipped": skipped,
            }
        )
    else:
        counts = f"{written.units} units, {written.objects} objects, {filesize.decimal(written.bytes)}"
        out.print(f"{written.path}: {counts} (SEDA {written.version})")


def _print_plan(plan: PlannedUnit, json_: bool, notices: list[Notice]) -> None:
    units = list(units_of(plan))
    objects = [obj for unit in units for obj in unit.objects]
    totals = {"units": len(units), "objects": len(objects), "bytes": sum(obj.size or 0 for obj in objects)}
    if json_:
        skipped = [_notice_json(notice) for notice in notices if notice.skipped]
        emit_json({**totals, "skipped": skipped, "tree": _unit_json(plan)})
        return
    out.print(_tree(plan))
    out.print(f"{totals['units']} units, {totals['objects']} objects, {filesize.decimal(totals['bytes'])}")


def _label(unit: PlannedUnit) -> Text:
    label = Text.assemble(
        (unit.content.get("DescriptionLevel", ""), "bold"), " ", str(unit.content.get("Title", ""))
    )
    for obj in unit.objects:
        label.append(f"  {filesize.decimal(obj.size or 0)}", "dim")
        label.append(f"  {obj.format_id or '-'}", "cyan")
    return label


def _tree(plan: PlannedUnit) -> Tree:
    """The units as a Rich tree, built without recursion (a folder tree may be deep)."""
    tree = Tree(_label(plan))
    pending = [(tree, plan)]
    while pending:
        node, unit = pending.pop()
        for child in unit.children:
            pending.append((node.add(_label(child)), child))
    return tree


def _unit_json(unit: PlannedUnit) -> dict[str, Any]:
    document: dict[str, Any] = {"path": unit.key, "content": unit.content}
    if unit.management:
        document["management"] = unit.management
    if unit.objects:
        document["objects"] = [
            {"filename": obj.filename, "size": obj.size, "puid": obj.format_id, "mime": obj.mime_type}
            for obj in unit.objects
        ]
    if unit.children:
        document["children"] = [_unit_json(child) for child in unit.children]
    return document


def _notice_json(notice: Notice) -> dict[str, str]:
    return {"path": notice.path, "code": notice.code, "detail": notice.detail}
