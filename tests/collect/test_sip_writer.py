"""A planned tree of units and files becomes a SIP the official XSD and the ingest accept.

`write_sip` is what the `sip build` command and the collect space share: these tests speak
of the SIP alone (manifest, ZIP entries, failure behaviour) and of what an instance makes
of it once ingested.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from archipel.collect.sip_writer import (
    InvalidSip,
    PlannedObject,
    PlannedUnit,
    SipHeader,
    entry_name,
    write_sip,
)
from archipel.core.errors import IntegrityFault
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.metadata.model import ArchiveUnit
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.seda.delivery import official_errors
from archipel.seda.reply import NAMESPACES

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
HEADER = SipHeader(
    message_identifier="VERSEMENT-2024-001",
    archival_agency="Service_archives",
    transferring_agency="Service_versant",
    archival_agreement="ArchivalAgreement0",
    originating_agency="Service_producteur",
    comment="Délibérations du conseil municipal",
)
SEDA22 = {"seda": NAMESPACES["2.2"]}


def file(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def deliberations(folder: Path) -> PlannedUnit:
    """A series holding a file of two deliberations, one of them with an annex."""
    first = file(folder, "deliberation 1.pdf", PDF)
    second = file(folder, "deliberation 2.pdf", PDF + b"% 2\n")
    annex = file(folder, "annexe.txt", b"Budget annexe\n")
    return PlannedUnit(
        key=".",
        content={"DescriptionLevel": "RecordGrp", "Title": "Conseil municipal"},
        management={
            "AppraisalRule": {
                "Rules": [{"Rule": "APP-00001", "StartDate": "2024-01-01"}],
                "FinalAction": "Keep",
            }
        },
        children=[
            PlannedUnit(
                key="2024",
                content={
                    "DescriptionLevel": "File",
                    "Title": "Séances 2024",
                    "StartDate": "2024-01-15",
                    "EndDate": "2024-03-20",
                },
                children=[
                    PlannedUnit(
                        key="2024/deliberation 1.pdf",
                        content={
                            "DescriptionLevel": "Item",
                            "Title": "Délibération n°1",
                            "Keyword": [{"KeywordContent": "budget"}],
                        },
                        objects=[
                            PlannedObject(first, "deliberation 1.pdf", format_id="fmt/18"),
                            PlannedObject(annex, "annexe.txt"),
                        ],
                    ),
                    PlannedUnit(
                        key="2024/deliberation 2.pdf",
                        content={"DescriptionLevel": "Item", "Title": "Délibération n°2"},
                        objects=[
                            PlannedObject(
                                second,
                                "deliberation 2.pdf",
                                size=len(PDF) + 4,
                                sha512=hashlib.sha512(PDF + b"% 2\n").hexdigest(),
                                last_modified=datetime(2024, 3, 20, 9, 30, tzinfo=UTC),
                            )
                        ],
                    ),
                ],
            )
        ],
    )


def manifest_of(sip: Path) -> bytes:
    with zipfile.ZipFile(sip) as archive:
        return archive.read("manifest.xml")


def ingest(platform: Platform, sip: Path) -> tuple[Outcome, str]:
    service = IngestService(platform)
    operation_id = service.submit(1, sip, agent="test")
    return service.run(1, operation_id).outcome, operation_id


def ingested_units(platform: Platform, operation_id: str) -> dict[str, ArchiveUnit]:
    with platform.database.unit_of_work() as session:
        units = UnitRepository(session, 1).units(limit=1000, operation_id=operation_id)
        session.expunge_all()
    return {unit.title: unit for unit in units}


def test_the_manifest_validates_against_the_official_seda_2_2_schema(tmp_path: Path) -> None:
    written = write_sip(tmp_path / "sip.zip", HEADER, [deliberations(tmp_path / "src")])

    assert official_errors(manifest_of(written.path), "2.2") == []
    assert (written.units, written.objects, written.version) == (4, 3, "2.2")
    assert written.bytes == 2 * len(PDF) + 4 + len("Budget annexe\n")


def test_the_manifest_says_who_sends_what_to_whom(tmp_path: Path) -> None:
    written = write_sip(tmp_path / "sip.zip", HEADER, [deliberations(tmp_path / "src")])
    root = etree.fromstring(manifest_of(written.path))

    def text(path: str) -> list[str]:
        return [node.text for node in root.iterfind(path, SEDA22)]

    assert text("seda:MessageIdentifier") == ["VERSEMENT-2024-001"]
    assert text("seda:ArchivalAgreement") == ["ArchivalAgreement0"]
    assert text("seda:Comment") == ["Délibérations du conseil municipal"]
    package = "seda:DataObjectPackage/seda:ManagementMetadata/"
    assert text(package + "seda:OriginatingAgencyIdentifier") == ["Service_producteur"]
    assert text("seda:ArchivalAgency/seda:Identifier") == ["Service_archives"]
    assert text("seda:TransferringAgency/seda:Identifier") == ["Service_versant"]


def test_units_without_objects_reference_no_group_and_each_unit_with_objects_has_one(tmp_path: Path) -> None:
    written = write_sip(tmp_path / "sip.zip", HEADER, [deliberations(tmp_path / "src")])
    root = etree.fromstring(manifest_of(written.path))
    units = root.findall(".//seda:DescriptiveMetadata/seda:ArchiveUnit", SEDA22)
    references = {
        unit.findtext("seda:Content/seda:Title", namespaces=SEDA22): unit.findtext(
            "seda:DataObjectReference/seda:DataObjectGroupReferenceId", namespaces=SEDA22
        )
        for unit in units
    }
    groups = root.findall(".//seda:DataObjectGroup", SEDA22)

    assert references["Conseil municipal"] is None and references["Séances 2024"] is None
    assert {references["Délibération n°1"], references["Délibération n°2"]} == {g.get("id") for g in groups}
    binaries = [len(group.findall("seda:BinaryDataObject", SEDA22)) for group in groups]
    assert sorted(binaries) == [1, 2]


def test_binaries_are_stored_uncompressed_under_safe_unique_names(tmp_path: Path) -> None:
    twins = [file(tmp_path / f"src{n}", "Compte rendu: séance?.pdf", PDF) for n in (1, 2)]
    plan = PlannedUnit(
        key=".",
        content={"DescriptionLevel": "File", "Title": "Comptes rendus"},
        children=[
            PlannedUnit(
                str(n), {"DescriptionLevel": "Item", "Title": f"CR {n}"}, objects=[PlannedObject(t, t.name)]
            )
            for n, t in enumerate(twins)
        ],
    )
    written = write_sip(tmp_path / "sip.zip", HEADER, [plan])

    with zipfile.ZipFile(written.path) as archive:
        binaries = [info for info in archive.infolist() if info.filename != "manifest.xml"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in binaries)
        assert all(archive.read(info) == PDF for info in binaries)
    names = [info.filename for info in binaries]
    assert len(set(names)) == 2
    assert all(name.startswith("Content/") and name.isascii() and ":" not in name for name in names)
    filenames = etree.fromstring(manifest_of(written.path)).iterfind(".//seda:FileInfo/seda:Filename", SEDA22)
    assert [node.text for node in filenames] == ["Compte rendu: séance?.pdf"] * 2


def test_entry_names_keep_the_extension_and_fit_one_path_segment() -> None:
    assert entry_name(7, "Délibération n°1.pdf") == "Content/000007_Deliberation_n_1.pdf"
    assert entry_name(8, "../../etc/passwd").startswith("Content/000008_")
    long_name = entry_name(9, "x" * 400 + ".docx")
    assert long_name.endswith(".docx") and len(long_name.split("/", 1)[1].encode()) == 255


def test_the_digest_written_is_the_digest_of_the_bytes_copied(tmp_path: Path) -> None:
    written = write_sip(tmp_path / "sip.zip", HEADER, [deliberations(tmp_path / "src")])
    root = etree.fromstring(manifest_of(written.path))
    with zipfile.ZipFile(written.path) as archive:
        for binary in root.iterfind(".//seda:BinaryDataObject", SEDA22):
            data = archive.read(binary.findtext("seda:Uri", namespaces=SEDA22))
            assert (
                binary.findtext("seda:MessageDigest", namespaces=SEDA22) == hashlib.sha512(data).hexdigest()
            )
            assert binary.find("seda:MessageDigest", SEDA22).get("algorithm") == "SHA-512"
            assert binary.findtext("seda:Size", namespaces=SEDA22) == str(len(data))


def test_a_file_changed_since_it_was_planned_is_an_integrity_fault_naming_it(tmp_path: Path) -> None:
    source = file(tmp_path / "src", "pv.pdf", PDF)
    planned = PlannedObject(source, "pv.pdf", sha512=hashlib.sha512(PDF).hexdigest())
    source.write_bytes(PDF + b"% modified after planning\n")
    plan = PlannedUnit(".", {"DescriptionLevel": "Item", "Title": "PV"}, objects=[planned])

    with pytest.raises(IntegrityFault, match=r"pv\.pdf"):
        write_sip(tmp_path / "out" / "sip.zip", HEADER, [plan])
    assert list((tmp_path / "out").iterdir()) == []  # neither the SIP nor its partial file


def test_a_failed_write_leaves_nothing_under_the_final_name_and_an_older_sip_untouched(
    tmp_path: Path,
) -> None:
    target = tmp_path / "sip.zip"
    target.write_bytes(b"the SIP built yesterday")
    plan = deliberations(tmp_path / "src")
    (tmp_path / "src" / "annexe.txt").unlink()  # planned, then gone

    with pytest.raises(Exception, match=r"annexe\.txt"):
        write_sip(target, HEADER, [plan])
    assert target.read_bytes() == b"the SIP built yesterday"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sip.zip", "src"]


def test_a_manifest_the_official_schema_refuses_is_reported_before_anything_is_written(
    tmp_path: Path,
) -> None:
    plan = PlannedUnit(".", {"DescriptionLevel": "Dossier", "Title": "Niveau inconnu de SEDA"})

    with pytest.raises(InvalidSip) as refused:
        write_sip(tmp_path / "sip.zip", HEADER, [plan])
    assert any("DescriptionLevel" in error for error in refused.value.errors)
    assert list(tmp_path.iterdir()) == []


def test_progress_counts_the_bytes_copied_up_to_the_total(tmp_path: Path) -> None:
    reports: list[tuple[int, int]] = []
    written = write_sip(
        tmp_path / "sip.zip", HEADER, [deliberations(tmp_path / "src")], progress=lambda *r: reports.append(r)
    )

    assert reports[-1] == (written.bytes, written.bytes)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


def test_a_built_sip_ingests_ok_with_its_tree_metadata_rules_and_objects(
    embedded: Platform, tmp_path: Path
) -> None:
    written = write_sip(tmp_path / "sip.zip", HEADER, [deliberations(tmp_path / "src")])

    outcome, operation_id = ingest(embedded, written.path)

    assert outcome in (Outcome.OK, Outcome.WARNING)
    units = ingested_units(embedded, operation_id)
    assert set(units) == {"Conseil municipal", "Séances 2024", "Délibération n°1", "Délibération n°2"}
    with embedded.database.unit_of_work() as session:
        repository = UnitRepository(session, 1)
        assert repository.children_of(units["Conseil municipal"].id) == [units["Séances 2024"].id]
        assert sorted(repository.children_of(units["Séances 2024"].id)) == sorted(
            [units["Délibération n°1"].id, units["Délibération n°2"].id]
        )
        rules = repository.rules_of(units["Conseil municipal"].id)
        assert [(rule.category, rule.rule_id, str(rule.start_date)) for rule in rules] == [
            ("AppraisalRule", "APP-00001", "2024-01-01")
        ]
        objects = repository.objects_of(units["Délibération n°1"].object_group_id)
        assert [(obj.filename, obj.sha512) for obj in objects] == [
            ("deliberation 1.pdf", hashlib.sha512(PDF).hexdigest()),
            ("annexe.txt", hashlib.sha512(b"Budget annexe\n").hexdigest()),
        ]
    assert units["Délibération n°1"].content["Keyword"] == {"KeywordContent": "budget"}  # one: not a list
    assert units["Séances 2024"].content["StartDate"] == "2024-01-15"


def test_roots_attached_to_an_archived_unit_go_under_it(embedded: Platform, tmp_path: Path) -> None:
    first = write_sip(tmp_path / "first.zip", HEADER, [deliberations(tmp_path / "src")])
    _, operation_id = ingest(embedded, first.path)
    series = ingested_units(embedded, operation_id)["Conseil municipal"]
    later = PlannedUnit(".", {"DescriptionLevel": "File", "Title": "Séances 2025"})
    header = SipHeader(
        **{**HEADER.__dict__, "message_identifier": "VERSEMENT-2025-001", "attach_to": series.id}
    )

    outcome, operation_id = ingest(embedded, write_sip(tmp_path / "later.zip", header, [later]).path)

    assert outcome in (Outcome.OK, Outcome.WARNING)
    attached = ingested_units(embedded, operation_id)["Séances 2025"]
    with embedded.database.unit_of_work() as session:
        assert attached.id in UnitRepository(session, 1).children_of(series.id)


def test_an_empty_file_is_deposited_without_a_size_which_seda_wants_positive(tmp_path: Path) -> None:
    empty = file(tmp_path / "src", "vide.txt", b"")
    plan = PlannedUnit(
        ".", {"DescriptionLevel": "Item", "Title": "Vide"}, objects=[PlannedObject(empty, "vide.txt")]
    )

    written = write_sip(tmp_path / "sip.zip", HEADER, [plan])

    root = etree.fromstring(manifest_of(written.path))
    assert official_errors(manifest_of(written.path), "2.2") == []
    assert root.find(".//seda:BinaryDataObject/seda:Size", SEDA22) is None
    assert root.findtext(".//seda:MessageDigest", namespaces=SEDA22) == hashlib.sha512(b"").hexdigest()
