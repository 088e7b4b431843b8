"""The known scenario volumetry and billing are checked on, month by month (UTC, 2026).

Both tenants belong to the organisation "Métropole" (tests/support.py):
- January: commune A (tenant 1) ingests the elimination tests' fonds: 11 units, 5 object
  groups, 5 binaries of `document_bytes(1..5)`;
- February: commune B (tenant 2) ingests OK_SIP_2_GO, a real SIP of the reference system's
  suite: 7 units, 4 object groups, 4 binaries (PDF, ODT) of SIP_2_GO_BYTES bytes;
- March: commune A eliminates "Offres 2010" (with "Offre A" and "Offre B") and "Offre libre":
  4 units, 3 object groups, the binaries of documents 1 to 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from lifecycle.elimination_fonds import Fonds, document_bytes, ingest_fonds
from support import FIXTURES

from archipel.admin.volumetry import counted_in
from archipel.core.settings import Tariff
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.lifecycle.elimination_action import EliminationService
from archipel.lifecycle.elimination_analysis import EliminationAnalysisService
from archipel.lifecycle.elimination_request import Actor, create_request, decide
from archipel.platform import Platform

JANUARY, FEBRUARY, MARCH = (datetime(2026, month, 15, 10, tzinfo=UTC) for month in (1, 2, 3))
SIP_2_GO = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"
SIP_2_GO_BYTES = 156_647
"""The sizes of its four files under Content/ (`unzip -l`)."""
FONDS_BYTES = sum(len(document_bytes(index)) for index in range(1, 6))
ELIMINATED_BYTES = sum(len(document_bytes(index)) for index in range(1, 4))
ELIMINATED = ("series.destroy", "file.a", "file.b", "file.free")
TARIFF = Tariff(
    fixed_fee=Decimal("100.00"), price_per_gb_month=Decimal("1000000"), price_per_unit=Decimal("0.05")
)
"""The tariff billed in the tests: a price per GB-month high enough for the small fixtures to count."""
TARIFF_TOML = '["Métropole"]\nfixed_fee = "100.00"\nprice_per_gb_month = "1000000"\nprice_per_unit = "0.05"\n'
"""The same, as `tariffs.toml` says it."""
TOTAL = "616.19"
"""The scenario's first quarter at TARIFF (worked out line by line in tests/admin/test_billing.py)."""


@dataclass(frozen=True)
class Scenario:
    fonds: Fonds
    sip_operation: str


def ingest_sip(platform: Platform, sip: Path, tenant: int) -> str:
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip, agent="test")
    assert service.run(tenant, operation_id).outcome in (Outcome.OK, Outcome.WARNING)
    return operation_id


def eliminate(platform: Platform, fonds: Fonds, tenant: int = 1) -> None:
    """Analyse the fonds, ask, approve and run: the units of ELIMINATED go."""
    analysis = EliminationAnalysisService(platform)
    query = json.loads(fonds.query)
    analysed = analysis.run(tenant, analysis.submit(tenant, query, datetime(2026, 3, 1).date(), agent="test"))
    asked = create_request(platform, tenant, analysed["operation_id"], Actor("cli", "archiviste"))
    decide(platform, tenant, asked["request_id"], True, Actor("cli", "directrice"))
    service = EliminationService(platform)
    service.run(
        tenant, service.submit(tenant, asked["request_id"], Actor("cli", "archiviste")), asked["request_id"]
    )


def january(platform: Platform, folder: Path) -> Fonds:
    with counted_in(JANUARY):
        return ingest_fonds(platform, folder, tenant=1)


def february(platform: Platform) -> str:
    with counted_in(FEBRUARY):
        return ingest_sip(platform, SIP_2_GO, tenant=2)


def march(platform: Platform, fonds: Fonds) -> None:
    with counted_in(MARCH):
        eliminate(platform, fonds)


def play(platform: Platform, folder: Path) -> Scenario:
    fonds = january(platform, folder)
    operation = february(platform)
    march(platform, fonds)
    return Scenario(fonds, operation)
