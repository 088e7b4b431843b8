"""What an ingest knows as its steps run, passed from one step to the next.

Steps read what earlier steps established and add their own facts; they keep no state
of their own, so the same step functions serve every ingest, in any worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archipel.core.settings import Settings
from archipel.preservation.formats import FormatIdentification, FormatIdentifier
from archipel.referential.view import Referentials
from archipel.seda.model import Manifest

Progress = Callable[[str, int, int], None]
"""Called with (phase, done, total) as long work advances; the CLI draws a bar with it."""


def no_progress(phase: str, done: int, total: int) -> None:
    """The default when nobody watches."""


@dataclass
class ObjectFacts:
    """What the archive measured of one binary object (never what the manifest claims)."""

    path: Path
    size: int
    sha512: str
    identification: FormatIdentification | None = None


@dataclass
class IngestContext:
    settings: Settings
    tenant: int
    operation_id: str
    sip: Path
    workspace: Path
    identifier: FormatIdentifier
    progress: Progress = no_progress
    known_unit: Callable[[str], bool] = lambda system_id: False
    """Whether a unit exists in this tenant (for attachments to units already archived)."""
    referentials: Referentials | None = None
    """The tenant's referentials when the ingest started; None for an offline check
    (`archipel sip check`), where the steps that need them say they were not run."""

    files: dict[str, Path] = field(default_factory=dict)
    """Unpacked ZIP entries by name."""
    manifest_name: str | None = None
    tree: etree._ElementTree | None = None
    seda_version: str | None = None
    manifest: Manifest | None = None
    facts: dict[str, ObjectFacts] = field(default_factory=dict)
    """Facts per binary object, by manifest id."""
    total_bytes: int = 0
