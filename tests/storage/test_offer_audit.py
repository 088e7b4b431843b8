"""The offers compared with each other, key by key: a lost, truncated or altered copy is found on
whichever offer it is and put back from the copy holding the expected bytes; a key nothing
expects is reported and left alone; copies that disagree with nothing to decide between them
are reported on both sides and never overwritten.

The archive is a real ingest of the reference system's SIP; the damage is done to the files on
disk behind the archive's back.
"""

from __future__ import annotations

from pathlib import Path

from test_audit import binaries, copy, flip, ingest, truncate

from archipel.logbook.model import LogbookSecuring
from archipel.logbook.securing import secure
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.storage import layout
from archipel.storage.offer_audit import OfferAuditReport, OfferAuditService

STRAY = "tenants/1/notes/inventaire.txt"


def audit_offers(platform: Platform, repair: bool = False, tenant: int = 1) -> OfferAuditReport:
    service = OfferAuditService(platform)
    return service.run(service.submit(tenant, repair, agent="test"), tenant, repair)


def found(report: OfferAuditReport) -> set[tuple[str, str, str]]:
    return {(fault.object, fault.offer, fault.kind.value) for fault in report.faults}


def offer_file(platform: Platform, offer: int, key: str) -> Path:
    return Path(platform.storage.offers[offer].root) / key  # type: ignore[attr-defined]


def unit_document(platform: Platform, tenant: int = 1) -> str:
    """The key of one unit document on the offers."""
    entries = platform.storage.offers[0].list(f"{layout.tenant_prefix(tenant)}{layout.UNITS}/")
    return next(iter(entries)).key


def test_offers_that_agree_give_a_clean_report(platform: Platform) -> None:
    ingest(platform, 1)
    report = audit_offers(platform)
    assert report.faults == [] and report.keys > 4 and report.outcome.value == "OK"
    assert report.bytes_read > 0


def test_each_difference_is_found_on_its_offer_and_repaired_from_the_healthy_copy(platform: Platform) -> None:
    ingest(platform, 1)
    lost, cut, altered = (obj.id for obj in binaries(platform, 1)[:3])
    copy(platform, 0, 1, lost).unlink()
    truncate(copy(platform, 1, 1, cut))
    flip(copy(platform, 0, 1, altered))
    document = unit_document(platform)
    offer_file(platform, 1, document).unlink()
    stray = offer_file(platform, 0, STRAY)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"notes prises pendant le recolement\n")
    key = layout.object_key

    report = audit_offers(platform)
    expected = {
        (key(1, lost), "offer-1", "missing"),
        (key(1, cut), "offer-2", "wrong_size"),
        (key(1, altered), "offer-1", "corrupt"),
        (document, "offer-2", "missing"),
        (STRAY, "offer-1", "stray"),
    }
    assert found(report) == expected and report.repaired == 0 and report.outcome.value == "KO"

    repaired = audit_offers(platform, repair=True)
    assert found(repaired) == expected
    assert {fault.object for fault in repaired.faults if fault.repaired} == {
        key(1, lost),
        key(1, cut),
        key(1, altered),
        document,
    }
    assert all(
        fault.repaired_from == "offer-2"
        for fault in repaired.faults
        if fault.offer == "offer-1" and fault.repaired
    )
    assert stray.exists() and not offer_file(platform, 1, STRAY).exists()  # neither copied nor deleted
    for offer in (0, 1):
        for object_id in (lost, cut, altered):
            assert platform.storage.offers[offer].digest(key(1, object_id)) == _recorded(platform, object_id)

    assert found(audit_offers(platform)) == {(STRAY, "offer-1", "stray")}
    stray.unlink()  # the operator decided: the notes go elsewhere
    assert audit_offers(platform).faults == []


def test_the_audit_is_an_operation_with_one_event_per_fault_and_per_repair(platform: Platform) -> None:
    ingest(platform, 1)
    lost = binaries(platform, 1)[0].id
    copy(platform, 1, 1, lost).unlink()
    report = audit_offers(platform, repair=True)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.get(report.operation_id)
        events = [
            (event.step, event.code, event.outcome, event.target) for event in logbook.events(operation.id)
        ]
    assert (operation.type, operation.outcome) == ("AUDIT_OFFERS", "WARNING")
    target = layout.object_key(1, lost)
    assert ("AUDIT_OFFER_COPY", "AUDIT_OFFER_COPY.MISSING.WARNING", "WARNING", target) in events
    assert ("AUDIT_REPAIR", "AUDIT_REPAIR.REPAIRED.OK", "OK", target) in events
    assert events[0][0] == "PROCESS_AUDIT" and events[-1][0] == "REPORT_AUDIT"


def test_two_documents_that_differ_with_nothing_to_decide_are_reported_and_left_as_they_are(
    platform: Platform,
) -> None:
    ingest(platform, 1)
    document = unit_document(platform)
    flip(offer_file(platform, 1, document))
    altered = offer_file(platform, 1, document).read_bytes()
    report = audit_offers(platform, repair=True)
    assert found(report) == {(document, "offer-1", "undecided"), (document, "offer-2", "undecided")}
    assert report.repaired == 0 and offer_file(platform, 1, document).read_bytes() == altered


def test_another_tenants_damage_is_not_this_tenants_audit(platform: Platform) -> None:
    ingest(platform, 1)
    ingest(platform, 2)
    copy(platform, 0, 2, binaries(platform, 2)[0].id).unlink()
    assert audit_offers(platform, tenant=1).faults == []
    assert len(audit_offers(platform, tenant=2).faults) == 1


def _recorded(platform: Platform, object_id: str) -> str:
    return next(obj.sha512 for obj in binaries(platform, 1) if obj.id == object_id)


def test_a_securing_or_referential_copy_is_judged_by_the_digest_the_index_recorded(
    platform: Platform,
) -> None:
    ingest(platform, 1)
    securing = secure(platform, 1)
    with platform.database.unit_of_work() as session:
        key = session.get(LogbookSecuring, (1, securing.number)).key  # type: ignore[union-attr]
    rules = layout.referential_key(1, "rules", 1)
    flip(offer_file(platform, 1, key))
    flip(offer_file(platform, 0, rules))
    report = audit_offers(platform, repair=True)
    assert found(report) == {(key, "offer-2", "corrupt"), (rules, "offer-1", "corrupt")}
    assert report.unrepaired == 0 and audit_offers(platform).faults == []
