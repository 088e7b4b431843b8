"""DIP export: a selection of archive units delivered as a ZIP with a SEDA manifest.

What the requester receives is what the access contract allows — units it covers, binaries
of usages it allows and of units communicable to a third party — and everything left out is
in the logbook with its reason. The ZIP opened later matches its manifest byte for byte.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from access_archive import AGENCY, PDF, Archive, add_access_contract, ingest_archive
from lxml import etree
from support import FIXTURES
from test_access_contracts import object_of

from archipel.access.delivery import access_records
from archipel.access.dip import EXPORT_DIP, DipRequest, DipResult, DipService
from archipel.access.dip_plan import NOT_COMMUNICABLE, USAGE_NOT_ALLOWED
from archipel.access.dip_selection import select_units
from archipel.access.scope import AccessScope, open_scope
from archipel.collect.sip_builder import ZIP_DATE, manifest_xml, unit_element, write_manifest
from archipel.core.errors import Conflict, InvalidRequest, NotFound
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.metadata.model import DataObject
from archipel.platform import Platform
from archipel.seda.model import SEDA_NAMESPACES
from archipel.seda.relaxed import relaxed_schema
from archipel.seda.schema import seda_schema
from archipel.storage import layout

OPERATOR = AccessScope.operator(1, "test")
OF_AGENCY = {"$query": {"$eq": {"#originating_agency": AGENCY}}}
EVERY_UNIT: dict[str, Any] = {"$query": {"$exists": "Title"}}


@pytest.fixture
def archive(platform: Platform, tmp_path: Path) -> Archive:
    return ingest_archive(platform, tmp_path)


def scope_of(platform: Platform, contract: str, tenant: int = 1) -> AccessScope:
    with platform.database.unit_of_work() as session:
        return open_scope(session, tenant, contract, "reader")


def export(platform: Platform, scope: AccessScope, request: DipRequest) -> DipResult:
    service = DipService(platform)
    return service.run(scope, service.submit(scope, request), request)


class Dip:
    """An exported ZIP, opened as its requester would open it."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        self.root = etree.fromstring(self.zip.read("manifest.xml"))
        self.ns = {"s": self.root.nsmap[None]}
        self.version = SEDA_NAMESPACES[self.ns["s"]]

    def xpath(self, path: str) -> list[Any]:
        return self.root.xpath(path, namespaces=self.ns)

    def unit_ids(self) -> list[str]:
        return self.xpath("//s:ArchiveUnit/s:Content/s:SystemId/text()")

    def object_ids(self) -> list[str]:
        return self.xpath("//s:BinaryDataObject/s:DataObjectSystemId/text()")

    def officially_valid(self) -> bool:
        return bool(seda_schema(self.version).validate(self.root))

    def valid_with_extension_points_open(self) -> bool:
        relaxed = relaxed_schema(self.version)
        return bool(
            relaxed.schema.validate(
                relaxed.extension_view(etree.fromstring(self.zip.read("manifest.xml"))).root
            )
        )

    def digests_match(self) -> bool:
        """Every binary's SHA-512, computed from the ZIP, equals the manifest's; no file undeclared."""
        declared = {
            binary.findtext("s:Uri", namespaces=self.ns): binary.findtext(
                "s:MessageDigest", namespaces=self.ns
            )
            for binary in self.xpath("//s:BinaryDataObject")
        }
        files = {name for name in self.zip.namelist() if name != "manifest.xml"}
        return set(declared) == files and all(
            hashlib.sha512(self.zip.read(uri)).hexdigest() == digest for uri, digest in declared.items()
        )


def events(
    platform: Platform, operation_id: str, tenant: int = 1
) -> list[tuple[str, str, str | None, str | None]]:
    """(step, outcome, key, target) of each event of an operation."""
    with platform.database.unit_of_work() as session:
        return [
            (event.step, event.outcome, event.code, event.target)
            for event in OperationLog(session, tenant).events(operation_id)
        ]


def test_a_dip_holds_the_selected_units_nested_and_binaries_matching_their_digests(
    platform: Platform, archive: Archive
) -> None:
    result = export(platform, OPERATOR, DipRequest(query=OF_AGENCY))
    assert (result.outcome, result.units, result.objects) == (Outcome.OK, 4, 3)
    assert result.path is not None
    dip = Dip(result.path)
    assert dip.officially_valid()
    assert dip.digests_match()
    assert sorted(dip.unit_ids()) == sorted(
        [archive.series, archive.closed, archive.prevented, archive.refused]
    )
    nested = dip.xpath(
        f"//s:ArchiveUnit[s:Content/s:SystemId='{archive.series}']/s:ArchiveUnit/s:Content/s:SystemId"
    )
    assert sorted(element.text for element in nested) == sorted(
        [archive.closed, archive.prevented, archive.refused]
    )
    assert dip.zip.read(dip.xpath("//s:BinaryDataObject/s:Uri/text()")[0]) == PDF
    assert hashlib.sha512(result.path.read_bytes()).hexdigest() == result.digest
    assert [path.name for path in result.path.parent.iterdir()] == [result.path.name]  # no partial file left
    steps = [(step, outcome) for step, outcome, _, _ in events(platform, result.operation_id)]
    assert steps == [
        ("STP_DIP_REQUEST", "OK"),
        ("DIP_SELECTION", "OK"),
        ("DIP_PACKAGING", "OK"),
        ("DIP_MANIFEST", "OK"),
        ("DIP_DIGEST", "OK"),
    ]
    with platform.database.unit_of_work() as session:
        operation = OperationLog(session, 1).get(result.operation_id)
        assert (operation.type, operation.outcome, operation.total_bytes) == (
            EXPORT_DIP,
            "OK",
            result.path.stat().st_size,
        )


def test_the_estimate_announces_what_the_export_then_delivers(platform: Platform, archive: Archive) -> None:
    estimate = DipService(platform).estimate(OPERATOR, DipRequest(query=OF_AGENCY))
    assert estimate == {"units": 4, "objects": 3, "bytes": 3 * len(PDF)}
    result = export(platform, OPERATOR, DipRequest(query=OF_AGENCY))
    assert (result.units, result.objects) == (estimate["units"], estimate["objects"])
    assert result.bytes > estimate["bytes"]  # the ZIP: the binaries, the manifest and the headers


@pytest.mark.parametrize(
    "sip",
    [
        "OK_SIP_2_GO.zip",
        "OK_ArchivesPhysiques.zip",
        "OK_SIP_FULL_SEDA2.2.zip",
        "OK_SIP_test_differentes_langues.zip",
    ],
)
def test_units_of_real_transfers_are_delivered_as_valid_seda(platform: Platform, sip: str) -> None:
    service = IngestService(platform)
    path = FIXTURES / "sip" / "ok" / sip
    ingest = service.run(1, service.submit(1, path, sip))
    assert ingest.outcome in (Outcome.OK, Outcome.WARNING)
    result = export(platform, OPERATOR, DipRequest(query={"$query": {"$eq": {"#opi": ingest.operation_id}}}))
    assert result.outcome in (Outcome.OK, Outcome.WARNING) and result.path is not None
    dip = Dip(result.path)
    assert len(dip.unit_ids()) == ingest.units
    assert dip.digests_match()
    with zipfile.ZipFile(path) as original:
        transfer = etree.fromstring(original.read("manifest.xml"))
    if seda_schema(SEDA_NAMESPACES[etree.QName(transfer).namespace]).validate(transfer):
        assert dip.officially_valid() and result.outcome is Outcome.OK
    else:  # the transfer used SEDA's extension points: so does the DIP, said in the logbook
        assert dip.valid_with_extension_points_open()
        assert ("DIP_MANIFEST", "WARNING", "DIP_MANIFEST.WARNING", None) in events(
            platform, result.operation_id
        )


def _two_usages_sip(folder: Path) -> Path:
    """One unit whose group holds a master and a dissemination copy."""
    versions = {"BinaryMaster_1": PDF, "Dissemination_1": PDF + b"% diffusion\n"}
    objects = "".join(
        f'<BinaryDataObject id="O{index}"><DataObjectVersion>{version}</DataObjectVersion>'
        f"<Uri>Content/o{index}.pdf</Uri>"
        f'<MessageDigest algorithm="SHA-512">{hashlib.sha512(data).hexdigest()}</MessageDigest>'
        f"<Size>{len(data)}</Size><FileInfo><Filename>o{index}.pdf</Filename></FileInfo></BinaryDataObject>"
        for index, (version, data) in enumerate(versions.items())
    )
    path = folder / "usages.zip"
    with zipfile.ZipFile(path, "w") as sip:
        for index, data in enumerate(versions.values()):
            sip.writestr(zipfile.ZipInfo(f"Content/o{index}.pdf", date_time=ZIP_DATE), data)
        unit = unit_element(
            "U",
            "Délibération",
            "Item",
            tail="<DataObjectReference><DataObjectGroupReferenceId>G</DataObjectGroupReferenceId></DataObjectReference>",
        )
        write_manifest(
            sip,
            manifest_xml(
                unit,
                message="Usages",
                objects=f'<DataObjectGroup id="G">{objects}</DataObjectGroup>',
                archival_agreement="ArchivalAgreement0",
                originating_agency=AGENCY,
                archival_agency="Service_archives",
                transferring_agency="Service_versant",
            ),
        )
    return path


def test_a_contract_limited_to_some_usages_leaves_the_others_out_and_logs_them(
    platform: Platform, tmp_path: Path
) -> None:
    service = IngestService(platform)
    ingest = service.run(1, service.submit(1, _two_usages_sip(tmp_path), "usages.zip"))
    assert ingest.outcome is Outcome.OK
    with platform.database.unit_of_work() as session:
        objects = {obj.usage: obj.id for obj in session.query(DataObject).filter_by(tenant_id=1)}
    add_access_contract(
        platform, "AC-DIFFUSION", EveryDataObjectVersion=False, DataObjectVersion=["Dissemination"]
    )
    result = export(
        platform,
        scope_of(platform, "AC-DIFFUSION"),
        DipRequest(query={"$query": {"$eq": {"#opi": ingest.operation_id}}}),
    )
    assert (result.outcome, result.units, result.objects) == (Outcome.WARNING, 1, 1)
    assert result.path is not None
    dip = Dip(result.path)
    assert dip.object_ids() == [objects["Dissemination"]]
    assert dip.xpath("//s:BinaryDataObject/s:DataObjectVersion/text()") == ["Dissemination_1"]
    assert dip.officially_valid() and dip.digests_match()
    assert (
        "DIP_OBJECT_REFUSED",
        "WARNING",
        f"DIP_OBJECT_REFUSED.{USAGE_NOT_ALLOWED}.WARNING",
        objects["BinaryMaster"],
    ) in events(platform, result.operation_id)


def test_a_third_party_gets_metadata_of_units_not_yet_communicable_but_not_their_binaries(
    platform: Platform, archive: Archive
) -> None:
    add_access_contract(platform, "AC-TIERS", RuleCategoryToFilter=["AccessRule"])
    result = export(platform, scope_of(platform, "AC-TIERS"), DipRequest(query=OF_AGENCY))
    assert (result.outcome, result.units, result.objects) == (Outcome.WARNING, 4, 2)
    assert result.path is not None
    dip = Dip(result.path)
    closed = dip.xpath(f"//s:ArchiveUnit[s:Content/s:SystemId='{archive.closed}']")
    assert closed and closed[0].findtext("s:Content/s:Title", namespaces=dip.ns) == "Marché de voirie 2020"
    assert closed[0].find("s:DataObjectReference", dip.ns) is None
    withheld = object_of(platform, archive.closed)
    assert withheld not in dip.object_ids()
    assert object_of(platform, archive.prevented) in dip.object_ids()
    assert dip.officially_valid() and dip.digests_match()
    refused = [event for event in events(platform, result.operation_id) if event[0] == "DIP_OBJECT_REFUSED"]
    assert refused == [
        ("DIP_OBJECT_REFUSED", "WARNING", f"DIP_OBJECT_REFUSED.{NOT_COMMUNICABLE}.WARNING", withheld)
    ]


def test_every_unit_the_query_matches_is_selected_page_after_page_unless_it_names_a_page(
    platform: Platform, archive: Archive
) -> None:
    with platform.database.unit_of_work() as session:
        at_once = select_units(session, OPERATOR, OF_AGENCY)
        one_by_one = select_units(session, OPERATOR, OF_AGENCY, page=1)
        first_two = select_units(session, OPERATOR, {**OF_AGENCY, "$filter": {"$limit": 2}})
    assert len(at_once) == 4 and one_by_one == at_once
    assert first_two == at_once[:2]


def test_units_outside_the_contract_are_not_in_the_dip_at_all(platform: Platform, archive: Archive) -> None:
    add_access_contract(platform, "AC-SERVICE", EveryOriginatingAgency=False, OriginatingAgencies=[AGENCY])
    scope = scope_of(platform, "AC-SERVICE")
    by_query = export(platform, scope, DipRequest(query=EVERY_UNIT))
    by_ids = export(platform, scope, DipRequest(unit_ids=(archive.other, archive.series)))
    assert by_query.path is not None and by_ids.path is not None
    assert archive.other not in Dip(by_query.path).unit_ids()
    assert len(Dip(by_query.path).unit_ids()) == 4
    assert Dip(by_ids.path).unit_ids() == [archive.series]
    assert object_of(platform, archive.other) not in Dip(by_query.path).object_ids()


def test_each_delivered_binary_left_an_access_record_with_the_operation_id(
    platform: Platform, archive: Archive
) -> None:
    add_access_contract(platform, "AC-LECTEUR")
    result = export(platform, scope_of(platform, "AC-LECTEUR"), DipRequest(query=OF_AGENCY))
    assert result.path is not None
    with platform.database.unit_of_work() as session:
        records = [
            record for record in access_records(session, 1) if record.operation_id == result.operation_id
        ]
        assert sorted(record.object_id for record in records) == sorted(Dip(result.path).object_ids())
        assert {(record.contract, record.agent) for record in records} == {("AC-LECTEUR", "reader")}


def test_a_dip_that_cannot_be_completed_leaves_no_zip_behind(platform: Platform, archive: Archive) -> None:
    rotten = object_of(platform, archive.prevented)
    for offer in platform.storage.offers:
        (Path(offer.root) / layout.object_key(1, rotten)).write_bytes(b"not the archived bytes")  # type: ignore[attr-defined]
    service = DipService(platform)
    result = export(platform, OPERATOR, DipRequest(query=OF_AGENCY))
    assert result.outcome is Outcome.FATAL and result.path is None
    folder = service.path(1, result.operation_id).parent
    assert not folder.exists() or list(folder.iterdir()) == []
    assert service.status(OPERATOR, result.operation_id)["ready"] is False
    with pytest.raises(Conflict):
        service.package(OPERATOR, result.operation_id)


def test_a_request_selecting_nothing_ends_ko_without_a_dip(platform: Platform, archive: Archive) -> None:
    result = export(
        platform, OPERATOR, DipRequest(query={"$query": {"$eq": {"#originating_agency": "Personne"}}})
    )
    assert (result.outcome, result.path) == (Outcome.KO, None)
    assert ("DIP_SELECTION", "KO", "DIP_SELECTION.EMPTY.KO", None) in events(platform, result.operation_id)


def test_a_malformed_query_is_refused_before_any_operation_starts(platform: Platform) -> None:
    with pytest.raises(InvalidRequest):
        DipService(platform).submit(OPERATOR, DipRequest(query={"$query": {"$bogus": {"Title": "x"}}}))
    with platform.database.unit_of_work() as session:
        assert OperationLog(session, 1).operations(type_=EXPORT_DIP) == []


def test_a_dip_is_found_only_in_its_tenant_and_under_its_contract(
    platform: Platform, archive: Archive
) -> None:
    add_access_contract(platform, "AC-A")
    add_access_contract(platform, "AC-B")
    service = DipService(platform)
    result = export(platform, scope_of(platform, "AC-A"), DipRequest(query=OF_AGENCY))
    assert service.package(scope_of(platform, "AC-A"), result.operation_id) == result.path
    add_access_contract(platform, "AC-A", tenant=2)
    for stranger in (scope_of(platform, "AC-A", tenant=2), scope_of(platform, "AC-B"), OPERATOR):
        with pytest.raises(NotFound):
            service.status(stranger, result.operation_id)
        with pytest.raises(NotFound):
            service.package(stranger, result.operation_id)
