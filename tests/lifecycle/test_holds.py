"""A unit under hold, own or inherited, cannot be eliminated until the hold ends or is released."""

from __future__ import annotations

from datetime import date

import pytest
from elimination_fonds import HOLD, Fonds
from elimination_steps import APPROVER, ARCHIVIST, analyse, run

from archipel.access.model import UnitEffectiveRule
from archipel.db.repository import TenantScope
from archipel.lifecycle.elimination_request import create_request, decide, show_request
from archipel.lifecycle.holds import UnitHeld, holds_on, refuse_if_held
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform


def test_refuse_if_held_names_the_unit_and_the_hold_rule(platform: Platform, fonds: Fonds) -> None:
    held = fonds["file.held"]
    with platform.database.unit_of_work() as session:
        refuse_if_held(session, 1, [fonds["file.a"], fonds["keep"]], "reclassification")
        with pytest.raises(UnitHeld) as refused:
            refuse_if_held(session, 1, [fonds["file.a"], held], "reclassification")
        assert list(holds_on(session, 1, [held], date(2026, 1, 1))) == [held]
    message = refused.value.message
    assert message.startswith("reclassification refused") and held in message and HOLD in message


def test_a_hold_set_after_the_approval_stops_the_run(platform: Platform, fonds: Fonds) -> None:
    analysis = analyse(platform, fonds)["operation_id"]
    request_id = create_request(platform, 1, analysis, ARCHIVIST)["request_id"]
    decide(platform, 1, request_id, True, APPROVER)
    with (
        platform.database.unit_of_work() as session
    ):  # a hold inherited from the series, as a mass update will set it
        TenantScope(session, 1).add(
            UnitEffectiveRule(
                unit_id=fonds["file.a"], category="HoldRule", rule_id=HOLD, origin_id=fonds["series.destroy"]
            )
        )
    with pytest.raises(UnitHeld, match=f"{fonds['file.a']} is under hold {HOLD} \\(inherited from unit"):
        run(platform, request_id)
    assert show_request(platform, 1, request_id)["status"] == "APPROVED"
    with platform.database.unit_of_work() as session:
        assert session.get(ArchiveUnit, (1, fonds["file.a"])) is not None
