"""An organisation's bill: a line per tenant and month at the month-end stock, fixed fees, the total.

The amounts of the known scenario (volumetry_scenario.py) are worked out by hand below, at a
tariff whose price per GB-month is high enough for the small fixtures to count:
fixed fee 100.00, 1,000,000.00 per GB-month (0.001 a byte), 0.05 per unit.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from volumetry_scenario import TARIFF, TOTAL, play

from archipel.admin.billing import BillingReport, billing_report, line_amount, organisation_report, report_csv
from archipel.admin.billing_pdf import billing_pdf
from archipel.admin.tariff import tariff_for, tariffs_file
from archipel.admin.volumetry_month import Month
from archipel.core.errors import ConfigurationError, NotFound
from archipel.core.settings import Tariff
from archipel.logbook.evidence_pdf import font_files
from archipel.platform import Platform

BY_HAND = {
    # tenant, month: (GB-month, units, amount = GB-month × 1,000,000 + units × 0.05, to the cent, half up)
    (1, "2026-01"): ("0.000000305", 11, "0.86"),  # 0.305 + 0.55 = 0.855
    (1, "2026-02"): ("0.000000305", 11, "0.86"),
    (1, "2026-03"): ("0.000000122", 7, "0.47"),  # 0.122 + 0.35 = 0.472: 4 units and 183 bytes eliminated
    (2, "2026-01"): ("0.000000000", 0, "0.00"),
    (2, "2026-02"): ("0.000156647", 7, "157.00"),  # 156.647 + 0.35 = 156.997
    (2, "2026-03"): ("0.000156647", 7, "157.00"),
}
# TOTAL, 616.19 = 0.86 + 0.86 + 0.47 + 0.00 + 157.00 + 157.00 + 3 × 100.00 of fixed fees


def quarter_report(platform: Platform) -> BillingReport:
    with platform.database.unit_of_work() as session:
        return billing_report(session, "Métropole", Month(2026, 1), Month(2026, 3), TARIFF)


def first_quarter(platform: Platform) -> dict[str, Any]:
    return quarter_report(platform).as_dict()


def test_the_bill_of_the_known_scenario_is_the_one_worked_out_by_hand(
    platform: Platform, tmp_path: Path
) -> None:
    play(platform, tmp_path)
    bill = first_quarter(platform)
    assert {
        (line["tenant"], line["month"]): (line["gb_month"], line["units"], line["amount"])
        for line in bill["lines"]
    } == BY_HAND
    assert bill["fixed_fees"] == [{"month": f"2026-0{month}", "amount": "100.00"} for month in (1, 2, 3)]
    assert (bill["organisation"], bill["currency"], bill["total"]) == ("Métropole", "EUR", TOTAL)
    assert [line["tenant_name"] for line in bill["lines"][::3]] == ["Commune A", "Commune B"]


def test_a_past_period_billed_again_later_gives_the_same_bill(platform: Platform, tmp_path: Path) -> None:
    play(platform, tmp_path)
    before = first_quarter(platform)
    with platform.database.unit_of_work() as session:
        later = billing_report(session, "Métropole", Month(2026, 1), Month(2026, 6), TARIFF).as_dict()
    assert [line for line in later["lines"] if line["month"] <= "2026-03"] == before["lines"]


def test_amounts_are_rounded_to_the_cent_half_up_line_by_line() -> None:
    tariff = Tariff(price_per_unit=Decimal("0.125"))
    assert line_amount(tariff, Decimal(0), 1) == Decimal("0.13")  # half even would give 0.12
    assert line_amount(tariff, Decimal(0), 2) == Decimal("0.25")


def test_an_organisation_has_its_own_tariff_over_the_default(platform: Platform) -> None:
    tariffs_file(platform.settings).write_text(
        '["Métropole"]\nfixed_fee = "150.00"\nprice_per_unit = 0.02\n', encoding="utf-8"
    )
    own = tariff_for(platform.settings, "Métropole")
    assert (own.fixed_fee, own.price_per_unit, own.price_per_gb_month) == (
        Decimal("150.00"),
        Decimal("0.02"),
        platform.settings.tariff.price_per_gb_month,
    )
    assert tariff_for(platform.settings, "Another commune") == platform.settings.tariff


def test_a_tariff_with_an_unknown_price_is_refused_by_name(platform: Platform) -> None:
    tariffs_file(platform.settings).write_text('["Métropole"]\nprice_per_gigabyte = "1"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="price_per_gigabyte"):
        tariff_for(platform.settings, "Métropole")


def test_an_unknown_organisation_is_not_found(platform: Platform) -> None:
    with platform.database.unit_of_work() as session, pytest.raises(NotFound, match="Nowhere"):
        organisation_report(session, platform.settings, "Nowhere", Month(2026, 1), Month(2026, 1))


def test_the_csv_opens_in_french_excel_and_adds_up_to_the_total(platform: Platform, tmp_path: Path) -> None:
    play(platform, tmp_path)
    report = quarter_report(platform)
    data = report_csv(report)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Organisation", "Tenant", "Nom", "Mois"]
    assert rows[1] == [
        "Métropole",
        "1",
        "Commune A",
        "2026-01",
        "11",
        "5",
        "305",
        "0,000000305",
        "0,86",
        "EUR",
    ]
    assert rows[-1][2:3] + rows[-1][-2:] == ["Total", "616,19", "EUR"]
    assert sum(Decimal(row[-2].replace(",", ".")) for row in rows[1:-1]) == Decimal(TOTAL)


def test_the_pdf_fits_the_quarter_on_one_page_in_the_usual_font(platform: Platform, tmp_path: Path) -> None:
    play(platform, tmp_path)
    report = quarter_report(platform)
    document = billing_pdf(report)
    assert document.startswith(b"%PDF-") and b"/Count 1" in document  # six lines and three fees: one page
    if font_files() is not None:
        assert b"DejaVuSans" in document  # French labels in the embedded font, as the other documents


def archipel(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARCHIPEL_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "archipel", *args], env=env, capture_output=True, text=True, timeout=300
    )


def bill_of(home: Path, organisation: str, *options: str) -> subprocess.CompletedProcess[str]:
    period = ("--from", "2026-01", "--to", "2026-03")
    return archipel(home, "billing", "report", "--organisation", organisation, *period, *options)


@pytest.mark.slow
def test_the_cli_reports_a_month_and_a_bill_as_the_interface_says(embedded: Platform, tmp_path: Path) -> None:
    play(embedded, tmp_path)
    home = embedded.settings.home
    month = archipel(home, "volumetry", "--tenant", "1", "--month", "2026-03", "--json")
    assert month.returncode == 0, month.stderr
    shown = json.loads(month.stdout)
    assert {key: shown[key] for key in ("tenant", "month", "units", "objects", "bytes", "ingests")} == {
        "tenant": 1,
        "month": "2026-03",
        "units": 7,
        "objects": 2,
        "bytes": 122,
        "ingests": 0,
    }
    bill = bill_of(home, "Métropole", "-o", str(tmp_path / "bill.csv"), "--json")
    assert bill.returncode == 0, bill.stderr
    assert set(json.loads(bill.stdout)) >= {"organisation", "lines", "total"}
    assert (tmp_path / "bill.csv").read_bytes().startswith("\ufeff".encode())
    recounted = archipel(home, "volumetry", "recount", "--tenant", "1", "--json")
    assert json.loads(recounted.stdout)["added"] == {"units": 0, "object_groups": 0, "objects": 0, "bytes": 0}
    unknown = bill_of(home, "Nowhere")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "Nowhere" in unknown.stderr
    assert archipel(home, "volumetry", "--tenant", "9").returncode == 2
    assert bill_of(home, "Métropole", "-o", "bill.xls").returncode == 2
