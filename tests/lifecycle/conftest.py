"""The elimination tests' fonds, ingested once per test on each database engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from elimination_fonds import Fonds, ingest_fonds

from archipel.platform import Platform


@pytest.fixture
def fonds(platform: Platform, tmp_path: Path) -> Fonds:
    return ingest_fonds(platform, tmp_path)
