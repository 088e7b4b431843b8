"""The probative-value report (relevé de valeur probante) of an archive unit.

What a judge's expert needs, decades later, to hold that a unit and its objects are those
the archive received, intact: the unit, its ingest operation, each object with the SHA-512
recorded at ingest (database and object-group document) and recomputed now from every
offer, the sealed logbook entries about the unit and its object group with their chain
hashes, the securing files covering them with each entry's Merkle proof and time-stamp
token, and the result of every check. JSON schema `archipel:probative-report:1`, described
field by field in the README.txt of every bundle (`archipel.logbook.bundle_readme`), so the
description travels with the evidence; `archipel.logbook.evidence_pdf` renders it readable,
`archipel.logbook.bundle` packs it with the files it names, `archipel.logbook.verifier`
checks such a bundle offline.

The report is read under an access scope: a unit the contract does not cover is not found,
and a binary it may not receive (usage, communicability) is stated by its digests but left
out of the bundle, with the reason. The checks are those of the offline verifier, run on
the files about to be bundled, plus what only the instance can see: every offer's copy.
Nothing is repaired or written here; a failed check is reported, never raised.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel import __version__
from archipel.access.delivery import check_deliverable, visible_unit
from archipel.access.dip_package import entry_name
from archipel.access.scope import AccessScope
from archipel.core.clock import utc_now
from archipel.core.digests import hashlib_name
from archipel.core.errors import Forbidden, NotFound
from archipel.logbook.canonical import utc_iso
from archipel.logbook.evidence_entries import LogbookEvidence, logbook_evidence
from archipel.logbook.evidence_offers import read_copies
from archipel.logbook.verifier import (
    REPORT_SCHEMA,
    Check,
    Hashed,
    MissingFile,
    check_contents,
    hash_stream,
)
from archipel.logbook.verifier_logbook import OPERATION
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.metadata.repository import UnitRepository
from archipel.metadata.service import object_view, unit_detail
from archipel.storage import layout

if TYPE_CHECKING:
    from archipel.platform import Platform

TITLE = "Relevé de valeur probante"
CHECKSUMS_FILE = "Content/SHA512SUMS"


@dataclass(frozen=True)
class BundledBinary:
    object_id: str
    name: str
    sha512: str
    size: int | None


@dataclass
class Evidence:
    """The report, and the files it names: small ones in memory, binaries still on the offers."""

    report: dict[str, Any]
    files: dict[str, bytes]
    binaries: list[BundledBinary]

    @property
    def unit_id(self) -> str:
        return self.report["unit"]["id"]

    @property
    def ok(self) -> bool:
        return self.report["ok"]

    @property
    def checks(self) -> list[dict[str, Any]]:
        return self.report["checks"]


class PendingBundle:
    """The bundle before it is written, as the verifier reads one: small files in memory, and
    the binaries as hashed on the offers (the bundle writer hashes them again as it copies)."""

    def __init__(self, files: dict[str, bytes], hashed: dict[str, Hashed]) -> None:
        self.files = files
        self.hashed = hashed

    def names(self) -> set[str]:
        return set(self.files) | set(self.hashed)

    def read(self, name: str) -> bytes:
        if name not in self.files:
            raise MissingFile(f"{name}: not in the bundle")
        return self.files[name]

    def hash(self, name: str, algorithms: Any) -> Hashed:
        wanted = set(algorithms)
        known = self.hashed.get(name)
        if known is not None and wanted <= set(known.digests):
            return known
        return hash_stream(io.BytesIO(self.read(name)), wanted)


def probative_report(platform: Platform, scope: AccessScope, unit_id: str) -> Evidence:
    """The report of the module doc for a unit the scope covers (NotFound otherwise)."""
    tenant = scope.tenant
    with platform.database.unit_of_work() as session:
        unit = visible_unit(session, scope, unit_id)
        repository = UnitRepository(session, tenant)
        group = repository.object_group(unit.object_group_id) if unit.object_group_id else None
        objects = repository.objects_of(group.id) if group else []
        withheld = {obj.id: _withheld(session, scope, obj) for obj in objects}
        facts = _unit_facts(session, unit)
        group_facts = {"id": group.id, "version": group.version} if group else None
    collector = _Collector(platform)
    logbook = logbook_evidence(platform, tenant, unit.operation_id, unit.id, facts["object_group"])
    collector.checks += logbook.checks
    collector.files.update(logbook.files)
    facts["documents"] = collector.unit_documents(tenant, unit.id, unit.version)
    listed = collector.group_document(tenant, group_facts) if group_facts is not None else {}
    report = {
        "schema": REPORT_SCHEMA,
        "title": TITLE,
        "generated": utc_iso(utc_now()),
        "generator": f"Archipel {__version__}",
        "tenant": tenant,
        "access_contract": scope.contract_id,
        "unit": facts,
        "ingest": _ingest(collector, tenant, unit.operation_id, logbook),
        "object_group": group_facts,
        "objects": [
            collector.binary(tenant, obj, listed.get(obj.id, {}), withheld[obj.id]) for obj in objects
        ],
        "entries": logbook.entries,
        "securings": logbook.securings,
        "tsa": logbook.tsa,
        "checksums": collector.checksums(),
    }
    checks = collector.checks + check_contents(report, PendingBundle(collector.files, collector.hashed), None)
    report["checks"] = [check.as_dict() for check in checks]
    report["ok"] = all(check.ok for check in checks)
    report["limitations"] = limitations(report)
    return Evidence(report, collector.files, collector.binaries)


def _unit_facts(session: Session, unit: ArchiveUnit) -> dict[str, Any]:
    """The unit as `archipel unit show` describes it (its objects are listed apart, with their evidence)."""
    detail = unit_detail(session, unit.tenant_id, unit.id)
    detail.pop("objects")
    return {**detail, "unit_type": unit.unit_type}


def _withheld(session: Session, scope: AccessScope, obj: DataObject) -> str | None:
    """Why the scope may not receive this object's bytes (a physical object has none), or None."""
    try:
        check_deliverable(session, scope, obj)
    except (Forbidden, NotFound) as refusal:
        return refusal.message
    return None


def _ingest(
    collector: _Collector, tenant: int, operation_id: str, logbook: LogbookEvidence
) -> dict[str, Any]:
    content = next(entry["content"] for entry in logbook.entries if entry["role"] == OPERATION)
    files = {
        name: layout.operation_file_key(tenant, operation_id, f"{name}.xml") for name in ("manifest", "reply")
    }
    return {
        "operation_id": operation_id,
        "type": content["type"],
        "outcome": content["outcome"],
        "started": content["started"],
        "ended": content["ended"],
        "source_name": content["source_name"],
        "manifest": collector.document(files["manifest"], "ingest/manifest.xml", "the ingest manifest"),
        "reply": collector.document(
            files["reply"], "ingest/reply.xml", "the ingest reply", content.get("reply_sha512")
        ),
    }


class _Collector:
    """Reads what the report states from the offers, gathering the files and the copy checks."""

    def __init__(self, platform: Platform) -> None:
        self.offers = platform.storage.offers
        self.files: dict[str, bytes] = {}
        self.hashed: dict[str, Hashed] = {}
        self.binaries: list[BundledBinary] = []
        self.checks: list[Check] = []

    def document(self, key: str, name: str, label: str, expected: str | None = None) -> dict[str, Any]:
        """A small document every offer must hold identically (or with `expected` SHA-512);
        `file` is None when no offer holds a copy that can be bundled."""
        copies = read_copies(self.offers, key, label, expected, keep=True)
        self.checks += copies.checks
        if copies.data is None or copies.hashed is None:
            return {"file": None, "key": key, "sha512": expected, "copies": copies.copies}
        self.files[name] = copies.data
        return {"file": name, "key": key, "sha512": copies.hashed.digests["sha512"], "copies": copies.copies}

    def unit_documents(self, tenant: int, unit_id: str, versions: int) -> list[dict[str, Any]]:
        """Every version of the unit's document: what it was described as at each change."""
        return [
            {
                "version": version,
                **self.document(
                    layout.unit_key(tenant, unit_id, version),
                    f"unit/{version:06d}.json",
                    f"unit document {version}",
                ),
            }
            for version in range(1, versions + 1)
        ]

    def group_document(self, tenant: int, group: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Bundles the group's current document into `group`; the objects it lists, by id."""
        key = layout.object_group_key(tenant, group["id"], group["version"])
        document = self.document(
            key, f"object-group/{group['version']:06d}.json", "the object group document"
        )
        group["document"] = document
        if document["file"] is None:
            return {}
        parsed = json.loads(self.files[document["file"]])
        return {item["id"]: item for item in parsed.get("objects", [])}

    def binary(
        self, tenant: int, obj: DataObject, listed: dict[str, Any], withheld: str | None
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            **object_view(obj),
            "manifest_id": obj.manifest_id,
            "sha512_database": obj.sha512,
            "sha512_document": listed.get("sha512"),
            "file": None,
            "withheld": withheld,
            "missing": None,
            "copies": [],
        }
        if obj.kind != "binary" or not obj.sha512:
            return item
        algorithm = hashlib_name(obj.declared_digest_algorithm or "")
        copies = read_copies(
            self.offers,
            layout.object_key(tenant, obj.id),
            f"binary {obj.id}",
            obj.sha512,
            [algorithm or "sha512"],
        )
        self.checks += copies.checks
        item["copies"] = copies.copies
        if copies.hashed is None:
            item["missing"] = "no offer holds a copy with the SHA-512 recorded at ingest"
        elif withheld is None:
            item["file"] = entry_name(obj)
            self.hashed[item["file"]] = copies.hashed
            self.binaries.append(BundledBinary(obj.id, item["file"], obj.sha512, obj.size))
        return item

    def checksums(self) -> str | None:
        """`Content/SHA512SUMS`: the bundled binaries with their SHA-512 at ingest, for `sha512sum -c`."""
        if not self.binaries:
            return None
        lines = [f"{binary.sha512}  {binary.name.rsplit('/', 1)[-1]}\n" for binary in self.binaries]
        self.files[CHECKSUMS_FILE] = "".join(lines).encode("utf-8")
        return CHECKSUMS_FILE


def limitations(report: dict[str, Any]) -> list[str]:
    """What the bundle does not prove, said plainly so nobody reads more into it."""
    said = [
        "The SHA-512 of each copy on each offer was recomputed by the instance at export; an offline "
        "reader re-checks the bundled copy only.",
        "The certificates of the time-stamping authority come with the bundle: compare their SHA-256 "
        "fingerprints with those the authority publishes before relying on the tokens.",
    ]
    if any(
        item.get("timestamp") and item["timestamp"]["authority"] == "local" for item in report["securings"]
    ):
        said.append(
            "The tokens were signed by the instance's own (local) time-stamping authority: they prove that "
            "the logbooks have not changed since their securing to whoever trusts its certificate, not the "
            "time to a third party; a qualified external authority (tsa_url) proves the time too."
        )
    sealed = " ".join(str(entry["content"].get("detail", "")) for entry in report["entries"])
    if any(obj["sha512_database"] and obj["sha512_database"] not in sealed for obj in report["objects"]):
        said.append(
            "The objects' SHA-512 are recorded at ingest in the database and in the object group document "
            "(both on every offer) and declared by the depositor in the manifest; they are not themselves "
            "part of a sealed logbook entry. The sealed entries prove the ingest operation, its reply "
            "(which names the unit and its objects by id) and the lifecycle of the unit and object group."
        )
    return said
