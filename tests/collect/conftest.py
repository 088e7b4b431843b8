"""Fixtures of the folder analysis: the unsorted folder, and one PRONOM identifier for all tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from vrac_tree import VRAC, make_tree

from archipel.preservation.formats import FormatIdentifier


@pytest.fixture
def vrac(tmp_path: Path) -> Path:
    root = make_tree(tmp_path / "vrac", VRAC)
    (root / "vide").mkdir()
    (root / "lien").symlink_to("rapport.pdf")
    return root


@pytest.fixture(scope="session")
def identifier() -> FormatIdentifier:
    return FormatIdentifier()
