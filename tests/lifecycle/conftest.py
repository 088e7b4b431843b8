"""The elimination tests' fonds, ingested once per test on each database engine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from archipel.platform import Platform

if TYPE_CHECKING:
    from elimination_fonds import Fonds


@pytest.fixture
def fonds(platform: Platform, tmp_path: Path) -> Fonds:
    # imported here, not at the top: this folder is on sys.path only once its test modules are
    # (pytest puts it there), and a conftest that put it first would shadow other folders' modules
    from elimination_fonds import ingest_fonds

    return ingest_fonds(platform, tmp_path)
