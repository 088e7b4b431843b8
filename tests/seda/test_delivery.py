"""The DIP manifest (ArchiveDeliveryRequestReply) is valid SEDA and describes what it delivers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import etree

from archipel.seda.delivery import (
    DeliveredObject,
    DeliveredUnit,
    DeliveryMessage,
    InvalidDelivery,
    Target,
    build_delivery,
    official_errors,
    write_delivery,
)
from archipel.seda.schema import SUPPORTED_VERSIONS

DATE = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SERIES, FILE, OTHER = "0190aaaa-0000-7000-8000-00000000000a", "1190aaaa-0000-7000-8000-00000000000b", "c-unit"
GROUP, OBJECT = "2190aaaa-0000-7000-8000-0000000000f1", "3190aaaa-0000-7000-8000-0000000000f2"
DIGEST = "ab" * 64


def message(
    units: dict[str, DeliveredUnit], objects: tuple[DeliveredObject, ...] = (), **extra: Any
) -> DeliveryMessage:
    return DeliveryMessage(
        identifier="op-1",
        date=DATE,
        request_identifier="demande-42",
        archival_agency="Archives de la commune",
        requester="Tribunal judiciaire",
        units=units,
        objects=objects,
        **extra,
    )


def pdf(**extra: Any) -> DeliveredObject:
    return DeliveredObject(
        system_id=OBJECT,
        group_id=GROUP,
        kind="binary",
        version="BinaryMaster_1",
        uri=f"Content/{OBJECT}.pdf",
        sha512=DIGEST,
        size=48,
        format_id="fmt/18",
        mime_type="application/pdf",
        format_name="PDF 1.4",
        filename="marché.pdf",
        **extra,
    )


def archive(**file_fields: Any) -> dict[str, DeliveredUnit]:
    return {
        SERIES: DeliveredUnit(
            SERIES,
            {"DescriptionLevel": "Series", "Title": "Marchés"},
            {
                "AccessRule": {
                    "Rules": [{"Rule": "ACC-00003", "StartDate": "2020-01-01", "EndDate": "2045-01-01"}]
                }
            },
            children=(FILE,),
        ),
        FILE: DeliveredUnit(
            FILE, {"DescriptionLevel": "File", "Title": "Voirie"}, {}, group_id=GROUP, **file_fields
        ),
    }


def parsed(xml: bytes) -> tuple[etree._Element, dict[str, str]]:
    root = etree.fromstring(xml)
    return root, {"s": root.nsmap[None]}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_the_manifest_is_valid_against_the_official_xsd_of_each_version(version: str) -> None:
    xml = build_delivery(message(archive(), (pdf(),)), version)
    assert official_errors(xml, version) == []


def test_units_are_nested_as_in_the_tree_and_point_to_their_objects() -> None:
    root, ns = parsed(write_delivery(message(archive(), (pdf(),))).xml)
    units = root.xpath("//s:DescriptiveMetadata/s:ArchiveUnit", namespaces=ns)
    assert [unit.get("id") for unit in units] == [f"AU-{SERIES}"]
    nested = units[0].find("s:ArchiveUnit", ns)
    assert nested.findtext("s:Content/s:SystemId", namespaces=ns) == FILE
    assert (
        nested.findtext("s:DataObjectReference/s:DataObjectGroupReferenceId", namespaces=ns) == f"GOT-{GROUP}"
    )
    assert root.xpath("//s:UnitIdentifier/text()", namespaces=ns) == [SERIES, FILE]
    assert root.findtext("s:MessageRequestIdentifier", namespaces=ns) == "demande-42"
    assert root.findtext("s:Requester/s:Identifier", namespaces=ns) == "Tribunal judiciaire"


def test_each_binary_is_described_with_its_digest_size_format_and_uri() -> None:
    root, ns = parsed(write_delivery(message(archive(), (pdf(),))).xml)
    binary = root.find("s:DataObjectPackage/s:DataObjectGroup/s:BinaryDataObject", ns)
    assert binary.findtext("s:Uri", namespaces=ns) == f"Content/{OBJECT}.pdf"
    digest = binary.find("s:MessageDigest", ns)
    assert (digest.get("algorithm"), digest.text) == ("SHA-512", DIGEST)
    assert binary.findtext("s:Size", namespaces=ns) == "48"
    assert binary.findtext("s:FormatIdentification/s:FormatId", namespaces=ns) == "fmt/18"
    assert binary.findtext("s:FileInfo/s:Filename", namespaces=ns) == "marché.pdf"
    assert binary.findtext("s:DataObjectSystemId", namespaces=ns) == OBJECT


def test_end_dates_the_archive_computed_are_not_written_as_seda() -> None:
    root, ns = parsed(write_delivery(message(archive(), (pdf(),))).xml)
    rule = root.find(".//s:ArchiveUnit/s:Management/s:AccessRule", ns)
    assert [etree.QName(child).localname for child in rule] == ["Rule", "StartDate"]


def test_a_unit_under_two_delivered_parents_is_written_once_and_referenced_from_the_other() -> None:
    units = {
        SERIES: DeliveredUnit(SERIES, {"Title": "A"}, {}, children=(FILE,)),
        OTHER: DeliveredUnit(OTHER, {"Title": "B"}, {}, children=(FILE,)),
        FILE: DeliveredUnit(FILE, {"Title": "C"}, {}),
    }
    manifest = write_delivery(message(units))
    root, ns = parsed(manifest.xml)
    assert manifest.official
    assert len(root.xpath(f"//s:ArchiveUnit[s:Content/s:SystemId='{FILE}']", namespaces=ns)) == 1
    assert root.xpath("//s:ArchiveUnit/s:ArchiveUnitRefId/text()", namespaces=ns) == [f"AU-{FILE}"]


def test_the_first_version_whose_schema_accepts_the_units_is_chosen() -> None:
    units = archive()
    units[FILE] = DeliveredUnit(
        FILE,
        {
            "Title": "Avec ARK",
            "PersistentIdentifier": {
                "PersistentIdentifierType": "ark",
                "PersistentIdentifierContent": "ark:/1/2",
            },
        },
        {},
    )
    manifest = write_delivery(message(units))
    assert (manifest.version, manifest.official) == ("2.3", True)


def test_extension_elements_leave_the_manifest_valid_with_the_extension_points_open() -> None:
    units = {SERIES: DeliveredUnit(SERIES, {"Title": "Plan", "Arrangement": "par année"}, {})}
    manifest = write_delivery(message(units))
    assert not manifest.official and manifest.errors
    assert manifest.version == "2.2"


def test_a_message_invalid_even_with_extension_points_open_is_refused() -> None:
    units = {SERIES: DeliveredUnit(SERIES, {"Title": "Sans niveau", "DescriptionLevel": "Pas un niveau"}, {})}
    with pytest.raises(InvalidDelivery) as refused:
        write_delivery(message(units))
    assert "DescriptionLevel" in str(refused.value)


def references(origin: str | None, kind: str, manifest_id: str) -> Target | None:
    """ID7 is delivered; ID8 visible but not delivered; the group ID12 delivered; the rest unknown."""
    known = {
        ("unit", "ID7"): Target(FILE, f"AU-{FILE}"),
        ("unit", "ID8"): Target("0190bbbb-0000-7000-8000-000000000008"),
        ("group", "ID12"): Target(GROUP, f"GOT-{GROUP}"),
    }
    return known.get((kind, manifest_id)) if origin == "op-ingest" else None


def test_references_between_units_of_a_transfer_point_into_the_dip_or_to_the_archive() -> None:
    content = {
        "Title": "Avec renvois",
        "RelatedObjectReference": {
            "References": [
                {"ArchiveUnitRefId": "ID7"},
                {"ArchiveUnitRefId": "ID8"},
                {"ArchiveUnitRefId": "ID99"},
            ],
            "IsPartOf": {"DataObjectReference": {"DataObjectGroupReferenceId": "ID12"}},
            "Requires": {"ArchiveUnitRefId": "ID99"},
        },
        "Keyword": {"@id": "K1", "KeywordContent": "voirie"},
    }
    units = archive(origin=None)
    units[SERIES] = DeliveredUnit(SERIES, content, {}, children=(FILE,), origin="op-ingest")
    manifest = write_delivery(message(units, (pdf(),), resolve=references))
    assert manifest.official, manifest.errors
    root, ns = parsed(manifest.xml)
    related = root.find(".//s:RelatedObjectReference", ns)
    assert [(etree.QName(item).localname, "".join(item.itertext()).strip()) for item in related] == [
        ("IsPartOf", f"GOT-{GROUP}"),
        ("References", f"AU-{FILE}"),
        ("References", "0190bbbb-0000-7000-8000-000000000008"),
    ]
    assert related.find("s:References/s:RepositoryArchiveUnitPID", ns) is not None
    assert related.find("s:Requires", ns) is None  # its only reference leads nowhere the requester may see
    assert root.find(".//s:Keyword", ns).get("id") == f"AU-{SERIES}-K1"
