"""`archipel rebuild`: lifecycle logbooks, hash chains and securings come back from the offers, verifiable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logbook_support import KO_SIP, ingest
from support import FIXTURES, rebuilt_from_offer

from archipel.logbook import chain
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.securing import secure, securings
from archipel.logbook.verification import verify_logbooks
from archipel.metadata.repository import UnitRepository
from archipel.metadata.tree import rename_node
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree


def logbooks(platform: Platform, tenant: int) -> dict[str, Any]:
    with platform.database.unit_of_work() as session:
        units = [unit.id for unit in UnitRepository(session, tenant).units()]
        return {
            "lifecycles": {unit: lifecycle(session, tenant, unit) for unit in units},
            "securings": [
                (record.number, record.sha512, record.root) for record in securings(session, tenant)
            ],
            "heads": {  # the securings' head is a counter: its chain id means nothing
                kind: (head.position, head.hash, head.chain if kind != chain.SECURINGS else None)
                for kind, head in chain.heads(session, tenant).items()
            },
        }


def test_the_rebuilt_logbooks_are_those_that_were_sealed_and_verify(
    platform: Platform, tmp_path: Path
) -> None:
    ingest(platform, 1)
    ingest(platform, 2, FIXTURES / "sip" / "ok" / "OK_ARBO_rateau.zip")
    ingest(platform, 1, KO_SIP)
    node = import_filing_tree(
        platform, 1, b"id,parent id,title,level,description\n1,,Urbanisme,Series,\n"
    ).nodes["1"]
    rename_node(platform, 1, node, "Urbanisme et foncier")
    assert secure(platform, 1).number == 1
    unsecured = ingest(platform, 1)  # sealed, not yet secured when the database is lost
    before = {tenant: logbooks(platform, tenant) for tenant in (1, 2)}
    assert all(verify_logbooks(platform, tenant).ok for tenant in (0, 1, 2))

    with rebuilt_from_offer(platform, tmp_path) as rebuilt:
        for tenant in (1, 2):
            assert logbooks(rebuilt, tenant) == before[tenant]
        for tenant in (0, 1, 2):  # tenant 0 also keeps the chain its new init started
            report = verify_logbooks(rebuilt, tenant)
            assert report.ok, report.faults

        again = secure(rebuilt, 1)  # the chains go on where they stopped
        assert again.number == 2
        with rebuilt.database.unit_of_work() as session:
            assert chain.link_of(session, 1, chain.OPERATIONS, unsecured) is not None
        assert verify_logbooks(rebuilt, 1).ok
