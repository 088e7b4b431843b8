"""The fonds the elimination tests judge: every reason a unit is kept, in one SEDA 2.2 transfer.

Offres 2010                  series.destroy   APP-00002 from 2010 (ended 2015), Destroy
├── Offre A                  file.a           inherits; one binary              destroyable
└── Offre B                  file.b           inherits; one binary              destroyable
Offres sous gel              series.held      APP-00002 from 2010, Destroy      kept: a descendant is kept
├── Offre gelée              file.held        HoldRule HOL-00002 (no end)       kept: hold
└── Offre libre              file.free        inherits; one binary              destroyable
Registre à conserver         keep             APP-00002 from 2010, Keep         kept: final action Keep
Offre récente                recent           APP-00002 from 2024 (ends 2029)   kept: rule not ended
Offre partagée               shared           APP-00002 from 2010, Destroy      kept: shared object group
Copie conservée              copy             APP-00002 from 2010, Keep; the same group as `shared`
Note sans règle              norule           no appraisal rule                 kept: no appraisal rule
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from access.access_archive import _ingest

from archipel.collect.sip_builder import SEDA21, ZIP_DATE, manifest_xml, unit_element, write_manifest
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform

SEDA22 = "fr:gouv:culture:archivesdefrance:seda:v2.2"
AGENCY = "Service_producteur"
RULE = "APP-00002"
HOLD = "HOL-00002"
TODAY = "2026-01-01"
ROLES = {
    "series.destroy": "Offres 2010",
    "file.a": "Offre A",
    "file.b": "Offre B",
    "series.held": "Offres sous gel",
    "file.held": "Offre gelée",
    "file.free": "Offre libre",
    "keep": "Registre à conserver",
    "recent": "Offre récente",
    "shared": "Offre partagée",
    "copy": "Copie conservée",
    "norule": "Note sans règle",
}


def document_bytes(index: int) -> bytes:
    """A small PDF per object, each different (so each binary has its own SHA-512)."""
    return f"%PDF-1.4\n% document {index}\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".encode()


@dataclass(frozen=True)
class Fonds:
    operation_id: str
    units: dict[str, str]
    """System ids by role (the keys of ROLES)."""

    @property
    def query(self) -> str:
        """The search request selecting every unit of the transfer."""
        return json.dumps({"$query": {"$eq": {"#opi": self.operation_id}}})

    def __getitem__(self, role: str) -> str:
        return self.units[role]


def appraisal(start: str, action: str) -> str:
    return (
        f"<AppraisalRule><Rule>{RULE}</Rule><StartDate>{start}</StartDate>"
        f"<FinalAction>{action}</FinalAction></AppraisalRule>"
    )


def hold(start: str = "2025-06-01") -> str:
    return f"<HoldRule><Rule>{HOLD}</Rule><StartDate>{start}</StartDate></HoldRule>"


def _ruled(unit: str, management: str) -> str:
    opening, _, rest = unit.partition(">")
    return f"{opening}><Management>{management}</Management>{rest}"


def _group(index: int) -> tuple[str, str]:
    data = document_bytes(index)
    group = (
        f'<DataObjectGroup id="G{index}"><BinaryDataObject id="O{index}">'
        f"<DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/doc{index}.pdf</Uri>"
        f'<MessageDigest algorithm="SHA-512">{hashlib.sha512(data).hexdigest()}</MessageDigest>'
        f"<Size>{len(data)}</Size><FileInfo><Filename>doc{index}.pdf</Filename></FileInfo>"
        "</BinaryDataObject></DataObjectGroup>"
    )
    reference = (
        "<DataObjectReference><DataObjectGroupReferenceId>"
        f"G{index}</DataObjectGroupReferenceId></DataObjectReference>"
    )
    return group, reference


def ingest_fonds(platform: Platform, folder: Path, tenant: int = 1) -> Fonds:
    groups, refs = zip(*(_group(index) for index in range(1, 6)), strict=True)
    destroy, keep = appraisal("2010-01-01", "Destroy"), appraisal("2010-01-01", "Keep")
    units = "".join(
        [
            _ruled(
                unit_element("SD", ROLES["series.destroy"], "Series", children=[("R1", "FA"), ("R2", "FB")]),
                destroy,
            ),
            unit_element("FA", ROLES["file.a"], "File", tail=refs[0]),
            unit_element("FB", ROLES["file.b"], "File", tail=refs[1]),
            _ruled(
                unit_element("SH", ROLES["series.held"], "Series", children=[("R3", "FH"), ("R4", "FF")]),
                destroy,
            ),
            _ruled(unit_element("FH", ROLES["file.held"], "File"), hold()),
            unit_element("FF", ROLES["file.free"], "File", tail=refs[2]),
            _ruled(unit_element("K", ROLES["keep"], "File"), keep),
            _ruled(
                unit_element("N", ROLES["recent"], "File", tail=refs[3]), appraisal("2024-01-01", "Destroy")
            ),
            _ruled(unit_element("X", ROLES["shared"], "File", tail=refs[4]), destroy),
            _ruled(unit_element("C", ROLES["copy"], "File", tail=refs[4]), keep),
            unit_element("W", ROLES["norule"], "File"),
        ]
    )
    sip = folder / "offres.zip"
    with zipfile.ZipFile(sip, "w") as archive:
        for index in range(1, 6):
            archive.writestr(
                zipfile.ZipInfo(f"Content/doc{index}.pdf", date_time=ZIP_DATE), document_bytes(index)
            )
        manifest = manifest_xml(
            units,
            message="Offres",
            objects="".join(groups),
            archival_agreement="ArchivalAgreement0",
            originating_agency=AGENCY,
            archival_agency="Service_archives",
            transferring_agency="Service_versant",
        )
        write_manifest(archive, manifest.replace(SEDA21.encode(), SEDA22.encode()))
    by_title = _ingest(platform, sip, tenant)
    with platform.database.unit_of_work() as session:
        operation_id = session.get(ArchiveUnit, (tenant, by_title[ROLES["file.a"]])).operation_id
    return Fonds(operation_id, {role: by_title[title] for role, title in ROLES.items()})
