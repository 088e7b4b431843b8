"""A unit under hold stays where it is: it is not reclassified, nor is any unit above it."""

from __future__ import annotations

import pytest
from elimination_fonds import HOLD, Fonds

from archipel.lifecycle.holds import UnitHeld
from archipel.metadata.reclassification import reclassify
from archipel.platform import Platform


def test_a_held_unit_is_not_reclassified(platform: Platform, fonds: Fonds) -> None:
    with pytest.raises(UnitHeld, match=f"{fonds['file.held']} is under hold {HOLD}"):
        reclassify(platform, 1, fonds["file.held"], attach=[fonds["series.destroy"]])


def test_nor_is_a_unit_above_a_held_one(platform: Platform, fonds: Fonds) -> None:
    with pytest.raises(UnitHeld, match="reclassification refused"):
        reclassify(platform, 1, fonds["series.held"], attach=[fonds["series.destroy"]])


def test_a_free_unit_beside_a_held_one_moves(platform: Platform, fonds: Fonds) -> None:
    moved = reclassify(
        platform, 1, fonds["file.free"], attach=[fonds["series.destroy"]], detach=[fonds["series.held"]]
    )
    assert moved.parents == [fonds["series.destroy"]]
