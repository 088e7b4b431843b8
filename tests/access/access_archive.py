"""A small archive with access rules, for the access tests.

Série des marchés publics (AccessRule ACC-00003, 25 years from 2020: closed until 2045)
├── Marché de voirie 2020          inherits ACC-00003                 closed
├── Marché ouvert                  PreventInheritance + ACC-00001     open
└── Marché sans réserve            RefNonRuleId ACC-00003             open
Registre d'un autre service        (another originating agency, no rule)   open
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from archipel.collect.sip_builder import ZIP_DATE, manifest_xml, unit_element, write_manifest
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
AGENCY = "Service_producteur"
OTHER_AGENCY = "Identifier0"


@dataclass(frozen=True)
class Archive:
    """System ids of the archive's units, by role."""

    series: str
    closed: str
    prevented: str
    refused: str
    other: str


def _with_rule(unit: str, management: str) -> str:
    """Puts a `Management` block first in a unit written by `unit_element` (the XSD's order)."""
    opening, _, rest = unit.partition(">")
    return f"{opening}><Management>{management}</Management>{rest}"


def _object(index: int) -> tuple[str, str]:
    """A one-object group and the reference a unit makes to it."""
    import hashlib

    digest = hashlib.sha512(PDF).hexdigest()
    group = (
        f'<DataObjectGroup id="G{index}"><BinaryDataObject id="O{index}">'
        f"<DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/doc{index}.pdf</Uri>"
        f'<MessageDigest algorithm="SHA-512">{digest}</MessageDigest><Size>{len(PDF)}</Size>'
        f"<FileInfo><Filename>doc{index}.pdf</Filename></FileInfo></BinaryDataObject></DataObjectGroup>"
    )
    return (
        group,
        f"<DataObjectReference><DataObjectGroupReferenceId>G{index}</DataObjectGroupReferenceId></DataObjectReference>",
    )


def _sip(path: Path, units: str, objects: list[str], agency: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(1, len(objects) + 1):
            archive.writestr(zipfile.ZipInfo(f"Content/doc{index}.pdf", date_time=ZIP_DATE), PDF)
        write_manifest(
            archive,
            manifest_xml(
                units,
                message="Marchés",
                objects="".join(objects),
                archival_agreement="ArchivalAgreement0",
                originating_agency=agency,
                archival_agency="Service_archives",
                transferring_agency="Service_versant",
            ),
        )
    return path


def _ingest(platform: Platform, sip: Path, tenant: int) -> dict[str, str]:
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip, agent="test")
    result = service.run(tenant, operation_id)
    assert result.outcome in (Outcome.OK, Outcome.WARNING), result
    with platform.database.unit_of_work() as session:
        rows = session.query(ArchiveUnit).filter_by(tenant_id=tenant, operation_id=operation_id)
        return {unit.title: unit.id for unit in rows}


def ingest_archive(platform: Platform, folder: Path, tenant: int = 1) -> Archive:
    groups, refs = zip(*(_object(index) for index in (1, 2, 3)), strict=True)
    units = (
        _with_rule(
            unit_element(
                "S",
                "Série des marchés publics",
                "Series",
                children=[("R1", "F1"), ("R2", "F2"), ("R3", "F3")],
            ),
            "<AccessRule><Rule>ACC-00003</Rule><StartDate>2020-01-01</StartDate></AccessRule>",
        )
        + unit_element("F1", "Marché de voirie 2020", "File", tail=refs[0])
        + _with_rule(
            unit_element("F2", "Marché ouvert", "File", tail=refs[1]),
            "<AccessRule><Rule>ACC-00001</Rule><StartDate>2000-01-01</StartDate>"
            "<PreventInheritance>true</PreventInheritance></AccessRule>",
        )
        + _with_rule(
            unit_element("F3", "Marché sans réserve", "File", tail=refs[2]),
            "<AccessRule><RefNonRuleId>ACC-00003</RefNonRuleId></AccessRule>",
        )
    )
    ids = _ingest(platform, _sip(folder / "marches.zip", units, list(groups), AGENCY), tenant)
    group, ref = _object(1)
    other = _ingest(
        platform,
        _sip(
            folder / "other.zip",
            unit_element("X", "Registre d'un autre service", "File", tail=ref),
            [group],
            OTHER_AGENCY,
        ),
        tenant,
    )
    return Archive(
        series=ids["Série des marchés publics"],
        closed=ids["Marché de voirie 2020"],
        prevented=ids["Marché ouvert"],
        refused=ids["Marché sans réserve"],
        other=other["Registre d'un autre service"],
    )


def add_access_contract(platform: Platform, identifier: str, tenant: int = 1, **fields: object) -> str:
    """An active contract seeing every agency and usage unless `fields` say otherwise."""
    document = {
        "Identifier": identifier,
        "Name": identifier,
        "Status": "ACTIVE",
        "EveryOriginatingAgency": True,
        "EveryDataObjectVersion": True,
        **fields,
    }
    ReferentialService(platform).put(tenant, "access-contracts", document)
    return identifier
