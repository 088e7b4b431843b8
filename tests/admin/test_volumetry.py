"""Volumetry counts what each tenant holds at a month's end, as the changes commit.

The scenario (volumetry_scenario.py): commune A ingests 11 units and 5 binaries of 305 bytes
in January, commune B the 7 units and 4 binaries (156,647 bytes) of OK_SIP_2_GO in February,
commune A eliminates 4 units and 3 binaries (183 bytes) in March.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete
from support import rebuilt_from_offer
from volumetry_scenario import FEBRUARY, JANUARY, MARCH, february, ingest_sip, january, march, play

from archipel.access.scope import AccessScope
from archipel.admin.volumetry import Holdings, counted_in, indexed_holdings, recorded_holdings, recount
from archipel.admin.volumetry_model import VolumetryChange
from archipel.admin.volumetry_month import Month, months_between
from archipel.admin.volumetry_series import month_figures, series
from archipel.core.errors import InvalidRequest
from archipel.lifecycle.transfer import TransferRequest, TransferService
from archipel.lifecycle.transfer_reply import TransferReplyService
from archipel.logbook.service import OperationLog
from archipel.metadata.tree import delete_node
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree

OFFERS = ("offer-1", "offer-2")
JUNE = datetime(2026, 6, 30, 23, 59, tzinfo=ZoneInfo("UTC"))


def figures(platform: Platform, tenant: int, month: str) -> dict[str, object]:
    with platform.database.unit_of_work() as session:
        return month_figures(session, tenant, Month.parse(month)).as_dict()


def test_each_month_gives_the_holdings_at_its_end_and_what_came_and_went(
    platform: Platform, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    assert figures(platform, 1, "2026-01") == {
        "tenant": 1,
        "month": "2026-01",
        "units": 11,
        "object_groups": 5,
        "objects": 5,
        "bytes": 305,
        "bytes_by_offer": {"offer-1": 305, "offer-2": 305},
        "ingests": 1,
        "bytes_ingested": 305,
        "units_eliminated": 0,
        "bytes_eliminated": 0,
        "units_transferred": 0,
        "bytes_transferred": 0,
    }
    february_a = figures(platform, 1, "2026-02")
    assert (february_a["units"], february_a["bytes"], february_a["ingests"]) == (11, 305, 0)
    march_a = figures(platform, 1, "2026-03")
    assert {
        key: march_a[key] for key in ("units", "object_groups", "objects", "bytes", "bytes_by_offer")
    } == {
        "units": 7,
        "object_groups": 2,
        "objects": 2,
        "bytes": 122,
        "bytes_by_offer": {"offer-1": 122, "offer-2": 122},
    }
    assert (march_a["units_eliminated"], march_a["bytes_eliminated"], march_a["ingests"]) == (4, 183, 0)
    january_b, february_b = figures(platform, 2, "2026-01"), figures(platform, 2, "2026-02")
    assert (january_b["units"], january_b["bytes"]) == (0, 0)
    assert {key: february_b[key] for key in ("units", "object_groups", "objects", "bytes", "ingests")} == {
        "units": 7,
        "object_groups": 4,
        "objects": 4,
        "bytes": 156_647,
        "ingests": 1,
    }


def test_a_past_month_reported_later_gives_the_same_figures(platform: Platform, tmp_path: Path) -> None:
    fonds = january(platform, tmp_path)
    reported_in_january = figures(platform, 1, "2026-01")
    february(platform)
    march(platform, fonds)
    assert figures(platform, 1, "2026-01") == reported_in_january


def test_a_series_runs_month_by_month_from_the_stock_before_it(platform: Platform, tmp_path: Path) -> None:
    play(platform, tmp_path)
    with platform.database.unit_of_work() as session:
        lines = series(session, 1, list(months_between(Month(2026, 2), Month(2026, 4))))
    shown = [(line.month, line.held.units, line.held.bytes, line.flows["units_eliminated"]) for line in lines]
    assert shown == [
        ("2026-02", 11, 305, 0),
        ("2026-03", 7, 122, 4),
        ("2026-04", 7, 122, 0),
    ]


def test_the_counts_equal_a_recount_of_the_index_after_ingests_and_an_elimination(
    platform: Platform, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    with platform.database.unit_of_work() as session:
        for tenant in (1, 2):
            assert recorded_holdings(session, tenant) == indexed_holdings(session, tenant)
            for offer in OFFERS:
                assert (
                    recorded_holdings(session, tenant, offer).bytes == indexed_holdings(session, tenant).bytes
                )
            assert recount(session, tenant, platform.storage.offers) == Holdings()
        written = session.scalars(
            VolumetryChange.__table__.select().with_only_columns(VolumetryChange.kind).distinct()
        ).all()
    assert "RECOUNT" not in written


def test_a_recount_back_fills_archives_held_before_volumetry_once(platform: Platform, tmp_path: Path) -> None:
    play(platform, tmp_path)
    with platform.database.unit_of_work() as session:
        session.execute(delete(VolumetryChange))  # an instance upgraded from before volumetry
    with (
        counted_in(datetime(2026, 5, 2, tzinfo=ZoneInfo("UTC"))),
        platform.database.unit_of_work() as session,
    ):
        added = recount(session, 1, platform.storage.offers)
        again = recount(session, 1, platform.storage.offers)
    assert added == Holdings(units=7, object_groups=2, objects=2, bytes=122)
    assert again == Holdings()
    may, april = figures(platform, 1, "2026-05"), figures(platform, 1, "2026-04")
    assert (may["units"], may["bytes"], may["bytes_by_offer"]) == (7, 122, {"offer-1": 122, "offer-2": 122})
    assert (april["units"], april["bytes"]) == (0, 0)  # earlier months stay as they were: empty


def test_one_tenant_never_sees_another_tenants_counts(platform: Platform, tmp_path: Path) -> None:
    january(platform, tmp_path)
    assert figures(platform, 2, "2026-01")["units"] == 0
    assert figures(platform, 1, "2026-01")["units"] == 11


def test_a_change_is_counted_in_its_utc_month() -> None:
    first_of_march_in_paris = datetime(2026, 3, 1, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert Month.of(first_of_march_in_paris) == Month(2026, 2)
    assert Month.of(FEBRUARY) < Month.of(MARCH)


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "janvier"])
def test_a_malformed_month_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest, match="YYYY-MM"):
        Month.parse(text)


def test_a_period_must_run_forwards() -> None:
    with pytest.raises(InvalidRequest, match="comes after"):
        list(months_between(Month(2026, 3), Month(2026, 1)))


def test_units_handed_on_by_a_transfer_are_counted_as_transferred_once_the_receiver_took_them(
    platform: Platform, tmp_path: Path
) -> None:
    fonds = january(platform, tmp_path)
    request = TransferRequest(
        unit_ids=(fonds["series.destroy"],),  # with "Offre A" and "Offre B": 3 units, 2 binaries of 61 bytes
        archival_agency="Service_archives",
        transferring_agency="Service_versant",
        archival_agreement="ArchivalAgreement0",
    )
    scope = AccessScope.operator(1, "archiviste")
    service = TransferService(platform)
    sip = service.run(scope, service.submit(scope, request), request).path
    assert sip is not None
    receiver = ingest_sip(platform, sip, tenant=2)  # the receiving archive, played by commune B
    with platform.database.unit_of_work() as session:
        reply = OperationLog(session, 2).get(receiver).reply
    assert reply is not None
    with counted_in(MARCH):
        TransferReplyService(platform).receive(1, reply)
    march_a = figures(platform, 1, "2026-03")
    assert (march_a["units"], march_a["bytes"]) == (8, 183)
    assert (march_a["units_transferred"], march_a["bytes_transferred"], march_a["units_eliminated"]) == (
        3,
        122,
        0,
    )


def test_a_filing_node_deleted_is_one_unit_less(platform: Platform) -> None:
    plan = "id,parent id,title,level,description\n1,,Administration générale,Series,\n2,,Urbanisme,Series,\n"
    with counted_in(JANUARY):
        nodes = import_filing_tree(platform, 1, plan.encode("utf-8")).nodes
        delete_node(platform, 1, nodes["2"])
    assert figures(platform, 1, "2026-01")["units"] == 1
    with platform.database.unit_of_work() as session:
        assert recorded_holdings(session, 1) == indexed_holdings(session, 1)


def test_a_database_rebuilt_from_an_offer_counts_what_it_holds_in_the_month_of_the_rebuild(
    platform: Platform, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    with (
        counted_in(JUNE),
        rebuilt_from_offer(platform, tmp_path) as rebuilt,
        rebuilt.database.unit_of_work() as session,
    ):
        june = [month_figures(session, tenant, Month(2026, 6)).as_dict() for tenant in (1, 2)]
        assert [recount(session, tenant, rebuilt.storage.offers) for tenant in (1, 2)] == [Holdings()] * 2
    assert [(month["units"], month["objects"], month["bytes"]) for month in june] == [
        (7, 2, 122),
        (7, 4, 156_647),
    ]
    assert june[0]["bytes_by_offer"] == {"offer-1": 122, "offer-2": 122}
