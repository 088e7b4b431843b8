"""Every reply — accepted, with warnings, refused, or to an unreadable manifest — is valid SEDA."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import pytest
from lxml import etree
from support import FIXTURES

from archipel.ingest.findings import Finding, Outcome, ko, warning
from archipel.seda.manifest import read_manifest_bytes
from archipel.seda.model import Manifest
from archipel.seda.reply import build_reply
from archipel.seda.schema import seda_schema

DATE = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REFERENCE_SIPS = {
    "2.1": "OK_SIP_FULL_SEDA2.1.zip",
    "2.2": "OK_SIP_FULL_SEDA2.2.zip",
    "2.3": "OK_SIP_FULL_SEDA2.3.zip",
}


def manifest_of(name: str) -> Manifest:
    with zipfile.ZipFile(FIXTURES / "sip" / "ok" / name) as archive:
        entry = next(item for item in archive.namelist() if item.endswith("manifest.xml"))
        return read_manifest_bytes(archive.read(entry))


def reply_for(
    manifest: Manifest | None, code: Outcome, events: list[Finding], version: str = "2.1"
) -> etree._Element:
    data = build_reply(
        seda_version=manifest.seda_version if manifest else version,
        operation_id="0190aaaa-0000-7000-8000-000000000001",
        reply_code=code,
        date=DATE,
        manifest=manifest,
        events=events,
        unit_ids={unit: f"unit-{unit}" for unit in manifest.units} if manifest else {},
        group_ids={group: f"group-{group}" for group in manifest.groups} if manifest else {},
        object_ids={obj: f"object-{obj}" for obj in manifest.objects} if manifest else {},
    )
    document = etree.fromstring(data)
    schema = seda_schema(manifest.seda_version if manifest else version)
    assert schema.validate(document), schema.error_log.last_error
    return document


@pytest.mark.parametrize("version", sorted(REFERENCE_SIPS))
def test_accepted_reply_gives_each_unit_and_object_its_system_id(version: str) -> None:
    manifest = manifest_of(REFERENCE_SIPS[version])
    document = reply_for(manifest, Outcome.OK, [Finding("CHECK_DIGEST", Outcome.OK, "all digests match")])
    namespaces = {"s": document.nsmap[None]}
    assert document.findtext("s:ReplyCode", namespaces=namespaces) == "OK"
    for unit in manifest.units:
        found = document.xpath(
            f"//s:ArchiveUnit[@id='{unit}']/s:Content/s:SystemId/text()", namespaces=namespaces
        )
        assert found == [f"unit-{unit}"]
    for obj in manifest.objects:
        found = document.xpath(f"//*[@id='{obj}']/s:DataObjectSystemId/text()", namespaces=namespaces)
        assert found == [f"object-{obj}"]


def test_refused_reply_names_each_object_at_fault() -> None:
    manifest = manifest_of("OK_SIP_2_GO.zip")
    events = [
        ko("CHECK_DIGEST", "declared SHA-512 abc but the file's is def", target="ID7"),
        warning("CHECK_OBJECT_SIZE", "declared Size 1 but 2 bytes", target="ID11"),
    ]
    document = reply_for(manifest, Outcome.KO, events)
    namespaces = {"s": document.nsmap[None]}
    assert document.findtext("s:ReplyCode", namespaces=namespaces) == "KO"
    assert document.find("s:DataObjectPackage", namespaces) is None
    failed = document.xpath("//s:Event[s:Outcome='KO']", namespaces=namespaces)
    assert [event.findtext("s:OutcomeDetail", namespaces=namespaces) for event in failed] == [
        "CHECK_DIGEST.KO"
    ]
    assert failed[0].findtext("s:EventDetailData", namespaces=namespaces) == "ID7"


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.3"])
def test_reply_to_an_unreadable_manifest_is_still_valid(version: str) -> None:
    document = reply_for(
        None, Outcome.KO, [ko("CHECK_SEDA", "not XML", "NOT_XML_FILE", "manifest.xml")], version
    )
    namespaces = {"s": document.nsmap[None]}
    assert document.findtext("s:MessageRequestIdentifier", namespaces=namespaces) == "Unknown"


def test_a_technical_failure_is_answered_ko_with_the_fatal_event() -> None:
    document = reply_for(None, Outcome.FATAL, [Finding("STP_STORAGE", Outcome.FATAL, "disk full")])
    namespaces = {"s": document.nsmap[None]}
    assert document.findtext("s:ReplyCode", namespaces=namespaces) == "KO"
    assert document.xpath("//s:Event/s:Outcome/text()", namespaces=namespaces) == ["FATAL"]


def test_hostile_characters_in_messages_survive_as_text() -> None:
    document = reply_for(None, Outcome.KO, [ko("CHECK_SEDA", "bad <InvalidSEDA> & \x01 «é»", target="a&b")])
    namespaces = {"s": document.nsmap[None]}
    assert document.xpath("//s:OutcomeDetailMessage/text()", namespaces=namespaces) == [
        "bad <InvalidSEDA> & «é»"
    ]
