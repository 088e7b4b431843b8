"""What an ingest knows as its steps run, passed from one step to the next.

Steps read what earlier steps established and add their own facts; they keep no state
of their own, so the same step functions serve every ingest, in any worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from archipel.core.settings import Settings
from archipel.preservation.formats import FormatIdentification, FormatIdentifier
from archipel.referential.contracts import IngestContract
from archipel.referential.view import Referentials

if TYPE_CHECKING:
    from archipel.ingest.rule_checks import ComputedRule
from archipel.seda.model import Manifest

INGEST, FILING_SCHEME, HOLDING_SCHEME = "INGEST", "FILING_SCHEME", "HOLDING_SCHEME"
"""The ingest workflows: archives, and the two kinds of tree whose nodes transfers attach under."""

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
    unit_type_of: Callable[[str], str | None] = lambda system_id: None
    """The type of a unit of this tenant (INGEST, FILING_UNIT, HOLDING_UNIT), None if there is
    no such unit: attachments to units already archived are checked with it."""
    referentials: Referentials | None = None
    """The tenant's referentials when the ingest started; None for an offline check
    (`archipel sip check`), where the steps that need them say they were not run."""

    workflow: str = INGEST
    """INGEST for archives; FILING_SCHEME / HOLDING_SCHEME for a filing tree or a classification plan."""

    files: dict[str, Path] = field(default_factory=dict)
    """Unpacked ZIP entries by name."""
    manifest_name: str | None = None
    tree: etree._ElementTree | None = None
    seda_version: str | None = None
    manifest: Manifest | None = None
    facts: dict[str, ObjectFacts] = field(default_factory=dict)
    """Facts per binary object, by manifest id."""
    total_bytes: int = 0
    contract: IngestContract | None = None
    """The ingest contract the transfer names, once CHECK_HEADER found it active."""
    link_parent: str | None = None
    """The unit the root units attach under when they name none (the contract's `LinkParentId`)."""
    unit_rules: dict[str, list[ComputedRule]] = field(default_factory=dict)
    """Rules of each unit (by manifest id) with their computed end dates."""
