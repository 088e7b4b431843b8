"""The receiver's reply decides: OK purges what it took (a trace kept), KO leaves everything.

The receiving archive is tenant 2 of the same instance: it ingests the transfer's SIP and
its real ArchiveTransferReply is sent back to tenant 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elimination_fonds import Fonds
from support import rebuilt_from_offer
from test_transfer_export import export, transfer_of

from archipel.core.errors import Conflict, InvalidRequest, NotFound
from archipel.ingest.service import IngestService
from archipel.lifecycle.transfer_reply import LIFECYCLE_EVENT, PURGE_OPERATION, TransferReplyService
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.service import OperationLog
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.platform import Platform
from archipel.referential.service import ReferentialService
from archipel.storage import layout

BRANCH = ("series.destroy", "file.a", "file.b")


def handed_on(platform: Platform, fonds: Fonds) -> tuple[str, bytes]:
    """A transfer of the first series, ingested by tenant 2: (transfer id, tenant 2's reply)."""
    transfer_id, _, path = export(platform, transfer_of(fonds, "series.destroy"))
    assert path is not None
    return transfer_id, received_reply(platform, path, 2)


def received_reply(platform: Platform, sip: Path, tenant: int) -> bytes:
    """The ArchiveTransferReply tenant `tenant` answers to the SIP."""
    ingest = IngestService(platform)
    operation_id = ingest.submit(tenant, sip, agent="archives départementales")
    ingest.run(tenant, operation_id)
    with platform.database.unit_of_work() as session:
        reply = OperationLog(session, tenant).get(operation_id).reply
    assert reply is not None
    return reply


def binaries(platform: Platform, fonds: Fonds, roles: tuple[str, ...]) -> list[str]:
    with platform.database.unit_of_work() as session:
        units = [session.get(ArchiveUnit, (1, fonds[role])) for role in roles]
        groups = [unit.object_group_id for unit in units if unit is not None and unit.object_group_id]
        objects = session.query(DataObject).filter(
            DataObject.tenant_id == 1, DataObject.object_group_id.in_(groups)
        )
        return [layout.object_key(1, obj.id) for obj in objects]


def test_an_accepted_transfer_is_purged_and_its_trace_kept(platform: Platform, fonds: Fonds) -> None:
    transfer_id, reply = handed_on(platform, fonds)
    keys = binaries(platform, fonds, BRANCH)
    assert len(keys) == 2 and all(offer.exists(key) for key in keys for offer in platform.storage.offers)
    report = TransferReplyService(platform).receive(1, reply, agent="archiviste")
    assert (report.reply_code, report.purged, report.objects_deleted) == ("OK", 3, 2)
    assert not any(offer.exists(key) for key in keys for offer in platform.storage.offers)
    with platform.database.unit_of_work() as session:
        assert all(session.get(ArchiveUnit, (1, fonds[role])) is None for role in BRANCH)
        assert session.get(ArchiveUnit, (1, fonds["keep"])) is not None  # not handed on: kept
        logbook = OperationLog(session, 1)
        purge = logbook.operations(type_=PURGE_OPERATION)[0]
        traces = [
            json.loads(event.message)
            for event in logbook.events(purge.id)
            if event.step == "TRANSFER_PURGE_UNIT"
        ]
        unit_lifecycle = lifecycle(session, 1, fonds["file.a"])["lifecycle"]
    with platform.database.unit_of_work() as session:
        received = {unit.id for unit in session.query(ArchiveUnit).filter_by(tenant_id=2)}
    assert {trace["id"] for trace in traces} == {fonds[role] for role in BRANCH}
    assert {trace["received_as"] for trace in traces} == received  # where each unit went
    assert any(entry["event"] == LIFECYCLE_EVENT for entry in unit_lifecycle)
    for offer in platform.storage.offers:  # the tombstone says where it went, the reply is kept
        assert offer.exists(layout.operation_file_key(1, report.operation_id, "reply.xml"))
        versions = sorted(
            key
            for key in (entry.key for entry in offer.list(layout.tenant_prefix(1) + "units/"))
            if fonds["file.a"] in key
        )
        with offer.open(versions[-1]) as stream:
            tombstone = json.loads(stream.read())
        assert tombstone["deleted"] and tombstone["transfer"]["transfer_operation"] == transfer_id


def test_a_refused_transfer_leaves_every_unit_and_binary(
    platform: Platform, fonds: Fonds, tmp_path: Path
) -> None:
    transfer_id, _, path = export(platform, transfer_of(fonds, "series.destroy"))
    assert path is not None
    ReferentialService(platform).delete(
        2, "ingest-contracts", "ArchivalAgreement0"
    )  # unknown to the receiver
    refused = received_reply(platform, path, 2)
    assert b"<ReplyCode>KO</ReplyCode>" in refused
    keys = binaries(platform, fonds, BRANCH)
    report = TransferReplyService(platform).receive(1, refused)
    assert (report.reply_code, report.purged) == ("KO", 0) and "units kept" in report.message
    assert all(offer.exists(key) for key in keys for offer in platform.storage.offers)
    with platform.database.unit_of_work() as session:
        assert all(session.get(ArchiveUnit, (1, fonds[role])) is not None for role in BRANCH)
        operation = OperationLog(session, 1).get(report.operation_id)
    assert (operation.outcome, operation.source_name) == ("KO", transfer_id)


def test_a_transfer_is_answered_once(platform: Platform, fonds: Fonds) -> None:
    _, reply = handed_on(platform, fonds)
    service = TransferReplyService(platform)
    service.receive(1, reply)
    with pytest.raises(Conflict, match="already answered"):
        service.receive(1, reply)


def test_a_reply_to_another_tenants_transfer_is_not_found(platform: Platform, fonds: Fonds) -> None:
    _, reply = handed_on(platform, fonds)
    with pytest.raises(NotFound, match="not a transfer of tenant 2"):
        TransferReplyService(platform).receive(2, reply)
    with platform.database.unit_of_work() as session:
        assert session.get(ArchiveUnit, (1, fonds["file.a"])) is not None


def test_a_reply_that_does_not_acknowledge_every_unit_purges_nothing(
    platform: Platform, fonds: Fonds
) -> None:
    _, reply = handed_on(platform, fonds)
    text = reply.decode()
    start = text.index("<ArchiveUnit ")
    end = text.index("</ArchiveUnit>", start) + len("</ArchiveUnit>")
    with pytest.raises(Conflict, match="acknowledges 2 of the 3 units"):
        TransferReplyService(platform).receive(1, (text[:start] + text[end:]).encode())
    with platform.database.unit_of_work() as session:
        assert all(session.get(ArchiveUnit, (1, fonds[role])) is not None for role in BRANCH)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<ArchiveTransferReply", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            "not well-formed",
        ),
        (b"<Other/>", "not a SEDA"),
        (
            b'<ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">'
            b"<Date>x</Date></ArchiveTransferReply>",
            "not valid against the SEDA 2.1 XSD",
        ),
    ],
)
def test_an_unreadable_reply_is_refused_with_the_reason(platform: Platform, data: bytes, reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        TransferReplyService(platform).receive(1, data)


def test_a_rebuild_after_the_purge_does_not_bring_the_units_back(
    platform: Platform, fonds: Fonds, tmp_path: Path
) -> None:
    _, reply = handed_on(platform, fonds)
    TransferReplyService(platform).receive(1, reply)
    with rebuilt_from_offer(platform, tmp_path) as instance, instance.database.unit_of_work() as session:
        assert all(session.get(ArchiveUnit, (1, fonds[role])) is None for role in BRANCH)
        assert session.get(ArchiveUnit, (1, fonds["keep"])) is not None
