"""Units in bulk: a ZIP of a folder tree (and a metadata CSV), as ReSIP deposits them.

A depositor with a classified folder should not have to send one call per file: the ZIP
is unpacked by the ingest's own safe unpacking (path traversal, links, zip bombs: every
faulty entry named, nothing kept), the tree is planned by `folder_plan` exactly as
`archipel sip build` plans it (one unit per folder and per file, the CSV's rows
overriding titles, dates, rules), and the plan becomes units of the transaction whose
binaries are already received — moved from the unpacked tree, never copied again.

Where the tree starts: when the ZIP holds one folder at its top (beside the CSV), that
folder is the root unit; otherwise the ZIP's top level is, titled after the upload's name.
The CSV is the multipart field `metadata`, or a `metadata.csv` at the ZIP's top.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from archipel.collect.analysis_zip import ZipRefused, _restore_dates
from archipel.collect.collect_transactions import OPEN, Transactions, UnitDraft
from archipel.collect.folder_plan import FolderDefaults, plan_folder, units_of
from archipel.collect.metadata_csv import MetadataTable, parse_metadata
from archipel.collect.sip_writer import PlannedUnit
from archipel.core.digests import digest_file
from archipel.core.ids import new_id
from archipel.ingest.safezip import unpack_sip

CSV_NAME = "metadata.csv"

if TYPE_CHECKING:
    from archipel.platform import Platform


@dataclass(frozen=True)
class BulkUpload:
    zip_path: Path
    name: str
    """The upload's file name: the root unit's title when the ZIP has no single top folder."""
    metadata: bytes | None = None
    parent: str | None = None
    """A unit of the transaction the tree goes under (default: the tree is a root)."""


def add_folder(platform: Platform, tenant: int, transaction_id: str, upload: BulkUpload) -> list[str]:
    """Unpacks, plans and adds the tree; returns the new units' ids, parents before children."""
    work_dir = platform.settings.work_dir
    with platform.database.unit_of_work() as session:
        transactions = Transactions(session, tenant, work_dir)
        staging = transactions.staging(transactions.get(transaction_id, OPEN))
    unpacked = staging.uploads / new_id()
    try:
        found = unpack_sip(upload.zip_path, unpacked / "tree", platform.settings.zip)
        if found.findings:
            raise ZipRefused(found.findings)
        _restore_dates(upload.zip_path, found.files)
        root, metadata = _tree(unpacked / "tree", upload)
        title = None if root != unpacked / "tree" else PurePosixPath(upload.name).stem or "versement"
        plan = plan_folder(root, metadata=metadata, defaults=FolderDefaults(title=title), formats=False)
        planned = list(units_of(plan))
        with platform.database.unit_of_work() as session:
            transactions = Transactions(session, tenant, work_dir)
            parent_of = {child.key: unit.key for unit in planned for child in unit.children}
            drafts = [_draft(unit, parent_of.get(unit.key, upload.parent)) for unit in planned]
            added = transactions.add_units(transaction_id, drafts)
            for unit, made in zip(planned, added, strict=True):
                for index, obj in enumerate(unit.objects):
                    target = staging.binary(made.id, str(index))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(obj.source, target)
                    size, sha512 = target.stat().st_size, digest_file(target)["sha512"]
                    transactions.record_binary(transaction_id, made.id, index, size, sha512)
            return [made.id for made in added]
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
        upload.zip_path.unlink(missing_ok=True)


def _tree(top: Path, upload: BulkUpload) -> tuple[Path, MetadataTable | None]:
    """The folder that is the root unit, and the CSV (given apart, or found at the top)."""
    top.mkdir(parents=True, exist_ok=True)  # an empty ZIP unpacks to nothing
    inside = top / CSV_NAME
    data = upload.metadata
    if inside.is_file():
        data = data if data is not None else inside.read_bytes()
        inside.unlink()
    entries = list(top.iterdir())
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else top
    return root, parse_metadata(data, CSV_NAME) if data is not None else None


def _draft(unit: PlannedUnit, parent: str | None) -> UnitDraft:
    """The planned unit as a draft; a parent in the plan is named by its key until it has an id."""
    objects = [{"filename": obj.filename} for obj in unit.objects]
    return UnitDraft(unit.content, unit.management, parent, objects, key=unit.key)
