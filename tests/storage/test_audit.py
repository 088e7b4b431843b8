"""Audits of the offers find every missing, truncated, altered or unreadable copy, and repair
what a healthy copy allows, never touching that healthy copy, never deleting an object.

Archives are real ingests of the reference system's SIPs; damage is done to the files on
disk behind the archive's back, as bit rot or a careless hand would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from support import FIXTURES
from test_offer_conformance import OFFER_KINDS, OfferUnderTest

from archipel.core.errors import IntegrityFault, NotFound
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog, OperationView
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.platform import Platform
from archipel.storage import layout
from archipel.storage.audit import AuditReport, AuditRequest, AuditService
from archipel.storage.copies import AuditKind
from archipel.storage.filesystem import TEMPORARY, FileSystemOffer
from archipel.storage.offer import OfferError
from archipel.storage.selection import ObjectSelection

TWO_OBJECTS_SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"  # 4 binary objects
USAGES_SIP = FIXTURES / "sip" / "ok" / "OK_SIP_plusieurs_usages_dans_GOT.zip"


# -- the archive and its damage ------------------------------------------------------------------


def ingest(platform: Platform, tenant: int, sip: Path = TWO_OBJECTS_SIP) -> str:
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip, sip.name)
    assert service.run(tenant, operation_id).outcome.value == "OK"
    return operation_id


def binaries(platform: Platform, tenant: int) -> list[DataObject]:
    with platform.database.unit_of_work() as session:
        query = select(DataObject).where(DataObject.tenant_id == tenant, DataObject.kind == "binary")
        return list(session.scalars(query.order_by(DataObject.id)))


def copy(platform: Platform, offer: int, tenant: int, object_id: str) -> Path:
    """The file of the object's copy on the offer (`offer` is 0 or 1)."""
    root = platform.storage.offers[offer].root  # type: ignore[attr-defined]
    return Path(root) / layout.object_key(tenant, object_id)


def flip(path: Path) -> None:
    """Alters bytes in the middle of the copy, keeping its size."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def audit(
    platform: Platform, kind: AuditKind, repair: bool = False, tenant: int = 1, **selection: Any
) -> AuditReport:
    request = AuditRequest(kind, ObjectSelection(tenant, **selection), repair)
    service = AuditService(platform)
    return service.run(service.submit(request, agent="test"), request)


def faults(report: AuditReport) -> set[tuple[str, str, str]]:
    return {(fault.object, fault.offer, fault.kind.value) for fault in report.faults}


def operation(platform: Platform, tenant: int, operation_id: str) -> dict[str, Any]:
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        return OperationView(logbook.get(operation_id), logbook.events(operation_id)).as_dict()


def codes(view: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(event["code"], event["target"]) for event in view["events"]]


# -- sound archives --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AuditKind))
def test_a_sound_archive_passes_with_every_object_counted(platform: Platform, kind: AuditKind) -> None:
    ingest(platform, 1)
    objects = binaries(platform, 1)
    report = audit(platform, kind)

    assert report.outcome.value == "OK" and report.faults == [] and report.repaired == 0
    assert report.checked == len(objects) == 4
    assert report.bytes == sum(obj.size for obj in objects)
    copies_read = 2 * report.bytes if kind is AuditKind.INTEGRITY else 0  # existence reads no byte
    assert report.bytes_read == copies_read

    view = operation(platform, 1, report.operation_id)
    assert view["type"] == f"AUDIT_{kind.name}" and view["status"] == "DONE" and view["outcome"] == "OK"
    assert [event["step"] for event in view["events"]] == ["PROCESS_AUDIT", "LIST_OBJECTS", "REPORT_AUDIT"]
    assert view["objects"] == 4 and view["bytes"] == report.bytes
    assert view["message"] == report.summary() and "4 objects checked" in view["message"]
    logbook = layout.operation_file_key(1, report.operation_id, "logbook.json")
    assert platform.storage.exists_everywhere(logbook)  # the report is kept on the offers too


def test_progress_counts_objects_and_bytes_up_to_the_totals(platform: Platform) -> None:
    ingest(platform, 1)
    seen: dict[str, list[tuple[int, int]]] = {"objects": [], "bytes": []}
    request = AuditRequest(AuditKind.INTEGRITY, ObjectSelection(1))
    service = AuditService(platform)
    report = service.run(
        service.submit(request), request, lambda phase, done, total: seen[phase].append((done, total))
    )

    assert [done for done, _ in seen["objects"]] == [1, 2, 3, 4]
    assert seen["bytes"][-1] == (report.bytes, report.bytes)
    assert [done for done, _ in seen["bytes"]] == sorted(done for done, _ in seen["bytes"])


# -- detection -----------------------------------------------------------------------------------


def test_integrity_audit_reports_altered_missing_and_truncated_copies(platform: Platform) -> None:
    ingest(platform, 1)
    altered, lost, truncated, _sound = (obj.id for obj in binaries(platform, 1))
    flip(copy(platform, 1, 1, altered))
    copy(platform, 0, 1, lost).unlink()
    truncate(copy(platform, 1, 1, truncated))
    damaged = copy(platform, 1, 1, altered).read_bytes()

    report = audit(platform, AuditKind.INTEGRITY)

    assert report.outcome.value == "KO" and report.checked == 4
    assert faults(report) == {
        (altered, "offer-2", "corrupt"),
        (lost, "offer-1", "missing"),
        (truncated, "offer-2", "wrong_size"),
    }
    assert copy(platform, 1, 1, altered).read_bytes() == damaged  # without --repair nothing is touched
    assert not copy(platform, 0, 1, lost).exists()
    view = operation(platform, 1, report.operation_id)
    assert view["outcome"] == "KO"
    assert {
        ("AUDIT_FILE_INTEGRITY.CORRUPT.KO", altered),
        ("AUDIT_FILE_INTEGRITY.MISSING.KO", lost),
        ("AUDIT_FILE_INTEGRITY.WRONG_SIZE.KO", truncated),
    } <= set(codes(view))
    assert not any(event["step"] == "AUDIT_REPAIR" for event in view["events"])
    assert "3 faulty copies, 0 repaired, 3 remaining" in view["message"]


def test_existence_audit_sees_lost_and_truncated_copies_but_reads_no_byte(platform: Platform) -> None:
    ingest(platform, 1)
    altered, lost, truncated, _sound = (obj.id for obj in binaries(platform, 1))
    flip(copy(platform, 0, 1, altered))  # same size: only reading the bytes can tell
    copy(platform, 1, 1, lost).unlink()
    truncate(copy(platform, 0, 1, truncated))

    report = audit(platform, AuditKind.EXISTENCE)

    assert faults(report) == {(lost, "offer-2", "missing"), (truncated, "offer-1", "wrong_size")}
    assert report.outcome.value == "KO" and report.bytes_read == 0


class FailingReads(FileSystemOffer):
    """A disk whose reads of one file fail with `error` (its size is still known)."""

    def __init__(self, offer: FileSystemOffer, key: str, error: Exception) -> None:
        super().__init__(offer.name, offer.root)
        self.failing, self.error = key, error

    def open(self, key: str) -> Any:
        if key == self.failing:
            raise self.error
        return super().open(key)


def failing_reads(platform: Platform, error: Exception) -> str:
    """Makes the second offer fail to read the first object; returns that object's id."""
    target = binaries(platform, 1)[0].id
    first, second = platform.storage.offers
    key = layout.object_key(1, target)
    platform.storage.offers = (first, FailingReads(second, key, error))  # type: ignore[arg-type]
    return target


def test_a_copy_that_cannot_be_read_is_reported_unreadable(platform: Platform) -> None:
    ingest(platform, 1)
    target = failing_reads(platform, OfferError("offer-2: cannot read: [Errno 5] Input/output error"))

    report = audit(platform, AuditKind.INTEGRITY)

    assert faults(report) == {(target, "offer-2", "unreadable")}
    assert "Input/output error" in report.faults[0].detail


def test_an_audit_that_fails_itself_is_closed_fatal_not_left_running(platform: Platform) -> None:
    ingest(platform, 1)
    failing_reads(platform, RuntimeError("a bug in an offer"))
    request = AuditRequest(AuditKind.INTEGRITY, ObjectSelection(1))
    service = AuditService(platform)
    operation_id = service.submit(request)

    with pytest.raises(RuntimeError):
        service.run(operation_id, request)

    view = operation(platform, 1, operation_id)
    assert view["status"] == "DONE" and view["outcome"] == "FATAL"
    assert view["events"][-1]["code"] == "REPORT_AUDIT.FATAL" and "a bug in an offer" in view["message"]


# -- repair --------------------------------------------------------------------------------------


def test_repair_restores_each_faulty_copy_from_a_healthy_one(platform: Platform) -> None:
    ingest(platform, 1)
    objects = binaries(platform, 1)
    altered, lost, truncated, _sound = (obj.id for obj in objects)
    originals = {obj.id: copy(platform, 0, 1, obj.id).read_bytes() for obj in objects}
    flip(copy(platform, 1, 1, altered))
    copy(platform, 0, 1, lost).unlink()
    truncate(copy(platform, 1, 1, truncated))
    healthy = {obj.id: copy(platform, 0, 1, obj.id).stat() for obj in objects if obj.id != lost}

    report = audit(platform, AuditKind.INTEGRITY, repair=True)

    assert report.outcome.value == "WARNING" and report.repaired == 3
    assert {(fault.object, fault.offer, fault.repaired_from) for fault in report.faults} == {
        (altered, "offer-2", "offer-1"),
        (lost, "offer-1", "offer-2"),
        (truncated, "offer-2", "offer-1"),
    }
    for obj in objects:
        for offer in (0, 1):
            restored = copy(platform, offer, 1, obj.id).read_bytes()
            assert restored == originals[obj.id]
            assert hashlib.sha512(restored).hexdigest() == obj.sha512
    for object_id, before in healthy.items():  # the healthy copies were read, never rewritten
        after = copy(platform, 0, 1, object_id).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    view = operation(platform, 1, report.operation_id)
    assert view["outcome"] == "WARNING"
    repairs = [event for event in view["events"] if event["step"] == "AUDIT_REPAIR"]
    assert {(event["code"], event["target"]) for event in repairs} == {
        ("AUDIT_REPAIR.REPAIRED.OK", object_id) for object_id in (altered, lost, truncated)
    }
    lost_repair = next(event for event in repairs if event["target"] == lost)
    assert "offer offer-1" in lost_repair["message"] and "from offer offer-2" in lost_repair["message"]
    assert ("AUDIT_FILE_INTEGRITY.CORRUPT.WARNING", altered) in codes(view)  # found, then repaired

    assert audit(platform, AuditKind.INTEGRITY).outcome.value == "OK"  # and it stays repaired
    for offer in platform.storage.offers:
        assert not any(Path(offer.root, TEMPORARY).iterdir())  # type: ignore[attr-defined]


def test_an_object_without_a_healthy_copy_is_reported_unrepairable_and_kept(platform: Platform) -> None:
    ingest(platform, 1)
    ruined, lost, _, _ = (obj.id for obj in binaries(platform, 1))
    flip(copy(platform, 0, 1, ruined))
    truncate(copy(platform, 1, 1, ruined))
    both = [copy(platform, offer, 1, ruined).read_bytes() for offer in (0, 1)]
    copy(platform, 1, 1, lost).unlink()

    report = audit(platform, AuditKind.INTEGRITY, repair=True)

    assert report.outcome.value == "KO" and report.repaired == 1
    unrepaired = [fault for fault in report.faults if not fault.repaired]
    assert {(fault.object, fault.offer, fault.kind.value) for fault in unrepaired} == {
        (ruined, "offer-1", "corrupt"),
        (ruined, "offer-2", "wrong_size"),
    }
    assert [copy(platform, offer, 1, ruined).read_bytes() for offer in (0, 1)] == both  # never deleted
    view = operation(platform, 1, report.operation_id)
    assert view["outcome"] == "KO"
    assert codes(view).count(("AUDIT_REPAIR.UNREPAIRABLE.KO", ruined)) == 2
    assert ("AUDIT_REPAIR.REPAIRED.OK", lost) in codes(view)
    assert "1 repaired, 2 remaining" in view["message"]
    with platform.database.unit_of_work() as session:
        assert session.get(DataObject, (1, ruined)) is not None


def test_an_existence_repair_refuses_a_source_whose_bytes_do_not_match(platform: Platform) -> None:
    """An existence audit reads no bytes: the restore's own verification catches an altered source."""
    ingest(platform, 1)
    target = binaries(platform, 1)[0].id
    copy(platform, 0, 1, target).unlink()
    flip(copy(platform, 1, 1, target))

    report = audit(platform, AuditKind.EXISTENCE, repair=True)

    assert report.outcome.value == "KO" and report.repaired == 0
    assert faults(report) == {(target, "offer-1", "missing")}
    assert "from offer-2" in (report.faults[0].repair_failure or "")
    assert not copy(platform, 0, 1, target).exists()  # nothing half-written under the key
    assert not any((Path(platform.storage.offers[0].root) / TEMPORARY).iterdir())  # type: ignore[attr-defined]


def test_an_existence_repair_puts_back_lost_and_truncated_copies(platform: Platform) -> None:
    ingest(platform, 1)
    lost, truncated, _, _ = (obj.id for obj in binaries(platform, 1))
    original = copy(platform, 1, 1, truncated).read_bytes()
    copy(platform, 1, 1, lost).unlink()
    truncate(copy(platform, 0, 1, truncated))

    report = audit(platform, AuditKind.EXISTENCE, repair=True)

    assert report.outcome.value == "WARNING" and report.repaired == 2
    assert copy(platform, 0, 1, truncated).read_bytes() == original
    assert copy(platform, 1, 1, lost).read_bytes() == copy(platform, 0, 1, lost).read_bytes()


def test_an_object_leaving_the_archive_during_the_audit_is_not_brought_back(platform: Platform) -> None:
    """As an elimination would: its copy already gone from one offer, then its index row."""
    ingest(platform, 1)
    first, leaving = (obj.id for obj in binaries(platform, 1)[:2])
    copy(platform, 0, 1, leaving).unlink()

    def eliminate_after_first(phase: str, done: int, total: int) -> None:
        if phase == "objects" and done == 1:
            with platform.database.unit_of_work() as session:
                session.execute(delete(DataObject).where(DataObject.tenant_id == 1, DataObject.id == leaving))

    request = AuditRequest(AuditKind.INTEGRITY, ObjectSelection(1), repair=True)
    service = AuditService(platform)
    report = service.run(service.submit(request), request, eliminate_after_first)

    assert first < leaving and report.checked == 4
    assert report.faults == [] and report.outcome.value == "OK"
    assert not copy(platform, 0, 1, leaving).exists()


# -- what an audit covers --------------------------------------------------------------------------


def test_an_audit_of_one_tenant_never_reads_nor_repairs_another_tenants_copies(platform: Platform) -> None:
    ingest(platform, 1)
    ingest(platform, 2)
    other = binaries(platform, 2)[0].id
    flip(copy(platform, 1, 2, other))
    damaged = copy(platform, 1, 2, other).read_bytes()

    report = audit(platform, AuditKind.INTEGRITY, repair=True, tenant=1)

    assert report.outcome.value == "OK" and report.checked == 4
    assert copy(platform, 1, 2, other).read_bytes() == damaged
    assert faults(audit(platform, AuditKind.INTEGRITY, tenant=2)) == {(other, "offer-2", "corrupt")}
    with platform.database.unit_of_work() as session:
        assert OperationLog(session, 2).operations(type_="AUDIT_INTEGRITY")[0].outcome == "KO"
        assert len(OperationLog(session, 1).operations(type_="AUDIT_INTEGRITY")) == 1


def test_an_audit_restricted_to_units_or_to_an_ingest_sees_only_their_objects(platform: Platform) -> None:
    first = ingest(platform, 1)
    second = ingest(platform, 1, USAGES_SIP)
    for obj in binaries(platform, 1):
        flip(copy(platform, 1, 1, obj.id))
    with platform.database.unit_of_work() as session:
        groups = dict(
            session.execute(
                select(ArchiveUnit.id, ArchiveUnit.object_group_id).where(
                    ArchiveUnit.tenant_id == 1, ArchiveUnit.operation_id == first
                )
            ).all()
        )
    owners = {obj.id: obj.object_group_id for obj in binaries(platform, 1)}
    unit, group = next((unit, group) for unit, group in groups.items() if group)
    in_group = {object_id for object_id, owner in owners.items() if owner == group}
    in_first = {object_id for object_id, owner in owners.items() if owner in groups.values()}

    by_unit = audit(platform, AuditKind.INTEGRITY, unit_ids=(unit,))
    by_ingest = audit(platform, AuditKind.INTEGRITY, operation_id=first)
    everything = audit(platform, AuditKind.INTEGRITY)

    assert {fault.object for fault in by_unit.faults} == in_group and by_unit.checked == len(in_group)
    assert {fault.object for fault in by_ingest.faults} == in_first and by_ingest.checked == 4
    assert everything.checked == len(owners) > 4
    view = operation(platform, 1, by_ingest.operation_id)
    assert f"archived by operation {first}" in view["events"][0]["message"]
    assert second not in view["events"][0]["message"]


def test_a_selection_naming_what_the_tenant_does_not_hold_is_refused(platform: Platform) -> None:
    other_tenants = ingest(platform, 2)
    with platform.database.unit_of_work() as session:
        other_unit = session.scalars(select(ArchiveUnit.id).where(ArchiveUnit.tenant_id == 2)).first()
    unknown = "01a20000-0000-7000-8000-000000000000"
    service = AuditService(platform)
    for selection in (
        ObjectSelection(1, unit_ids=(unknown,)),
        ObjectSelection(1, unit_ids=(other_unit,)),
        ObjectSelection(1, operation_id=unknown),
        ObjectSelection(1, operation_id=other_tenants),
    ):
        with pytest.raises(NotFound):
            service.submit(AuditRequest(AuditKind.EXISTENCE, selection))
    with platform.database.unit_of_work() as session:
        assert OperationLog(session, 1).operations(type_="AUDIT_EXISTENCE") == []


def test_a_background_audit_shows_its_report_in_the_operation(platform: Platform) -> None:
    ingest(platform, 1)
    target = binaries(platform, 1)[0].id
    copy(platform, 1, 1, target).unlink()
    request = AuditRequest(AuditKind.EXISTENCE, ObjectSelection(1), repair=True)
    operation_id = AuditService(platform).submit_background(request, agent="test")
    platform.tasks.shutdown(wait=True)  # the worker has finished

    view = operation(platform, 1, operation_id)
    assert view["status"] == "DONE" and view["outcome"] == "WARNING" and view["agent"] == "test"
    assert ("AUDIT_REPAIR.REPAIRED.OK", target) in codes(view)
    assert copy(platform, 1, 1, target).exists()


# -- the offer's restore, for every kind of offer --------------------------------------------------

KEY = layout.object_key(1, "0193a1b2-c3d4-7e5f-8a6b-0c1d2e3f4a5b")
DATA = "Registre des délibérations\n".encode() * 200
SHA512 = hashlib.sha512(DATA).hexdigest()


@pytest.fixture(params=sorted(OFFER_KINDS))
def restoring(request: pytest.FixtureRequest, tmp_path: Path) -> OfferUnderTest:
    return OFFER_KINDS[request.param](request, tmp_path)


def read(under_test: OfferUnderTest) -> bytes:
    with under_test.offer.open(KEY) as stream:
        return stream.read()


@pytest.mark.parametrize(
    "damage",
    [
        lambda under: under.damage(KEY, DATA[:-1] + b"?"),
        lambda under: under.damage(KEY, DATA[:100]),
        lambda under: under.offer.delete(KEY),
    ],
    ids=["altered", "truncated", "missing"],
)
def test_restore_puts_the_recorded_bytes_back(
    restoring: OfferUnderTest, damage: Callable[[OfferUnderTest], None]
) -> None:
    restoring.offer.put(KEY, DATA, SHA512)
    damage(restoring)
    assert restoring.offer.restore(KEY, DATA, SHA512) is True
    assert read(restoring) == DATA and restoring.leftovers() == 0


def test_restore_never_rewrites_a_copy_that_matches(restoring: OfferUnderTest) -> None:
    restoring.offer.put(KEY, DATA, SHA512)
    assert restoring.offer.restore(KEY, DATA, SHA512) is False
    assert read(restoring) == DATA


def test_restore_from_bytes_that_do_not_match_leaves_the_damaged_copy_as_it_was(
    restoring: OfferUnderTest,
) -> None:
    restoring.offer.put(KEY, DATA, SHA512)
    restoring.damage(KEY, b"damaged")
    with pytest.raises(IntegrityFault):
        restoring.offer.restore(KEY, DATA[:-1] + b"!", SHA512)
    assert read(restoring) == b"damaged" and restoring.leftovers() == 0


def test_restore_reads_its_source_as_a_stream(restoring: OfferUnderTest, tmp_path: Path) -> None:
    source = tmp_path / "healthy"
    source.write_bytes(DATA)
    with source.open("rb") as stream:
        assert restoring.offer.restore(KEY, stream, SHA512) is True
    assert read(restoring) == DATA
