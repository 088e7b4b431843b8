"""How the CLI speaks: JSON on stdout for scripts, Rich for people, errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

out = Console(soft_wrap=True)  # keys and ids must never be cut across lines
err = Console(stderr=True, soft_wrap=True)  # an error is one line, however long


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    view = Table(title=title)
    for column in columns:
        view.add_column(column)
    for row in rows:
        view.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(view)


def fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)


def print_findings(events: Sequence[dict[str, Any]]) -> None:
    """What was not OK, one line each, naming the object or unit at fault."""
    for event in events:
        if event["outcome"] != "OK":
            target = f" [{event['target']}]" if event["target"] else ""
            out.print(f"  {event['outcome']:7} {event['code']}{target}: {event['message']}", highlight=False)
