"""Transfer (transfert): handing archive units on to another archive, as a SEDA SIP.

Intermediate archives of a commune go, at the end of their administrative use, to the
archives service that keeps them for good (often the departmental archives). The export
is a `TRANSFER` operation: the units a query selects and every unit below them (a branch
is handed on whole: a file without its items would be a broken archive on both sides),
all their objects in every usage, written as an `ArchiveTransfer` SIP the receiver ingests
like any other. Nothing is deleted here: the units stay until the receiver's
ArchiveTransferReply says it took them (`archipel.lifecycle.transfer_reply`).

The export runs exactly like a DIP (`archipel.access.dip.DipService`: selection, plan,
binaries streamed from verified copies and checked again, manifest checked against the
XSD, ZIP published by rename), as the operator (a transfer is the archivist's act, not a
requester's: no access contract narrows it). A unit under hold cannot be transferred: the
selection is refused whole, naming the hold.

What was handed on is kept on every offer beside the operation's logbook: the manifest
sent (`manifest.xml`) and `transfer.json` (schema `archipel:transfer:1`: the units, the
receiver, the SIP's SHA-512), so the reply can be matched and the evidence outlives the
database.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.access.dip import DipRequest, DipService, PackageKind
from archipel.access.dip_package import ManifestWriter, WrittenPackage
from archipel.access.dip_plan import DipPlan
from archipel.access.model import UnitAncestor
from archipel.access.scope import AccessScope
from archipel.core.digests import sha512_bytes
from archipel.core.errors import InvalidRequest
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome
from archipel.lifecycle.holds import refuse_if_held
from archipel.metadata.versioning import read_document
from archipel.seda.transfer import TransferHeader, write_transfer
from archipel.storage import layout

if TYPE_CHECKING:
    from archipel.platform import Platform

TRANSFER = "TRANSFER"
TRANSFER_KIND = PackageKind(
    noun="transfer",
    operation=TRANSFER,
    request="STP_TRANSFER_REQUEST",
    selection="TRANSFER_SELECTION",
    object_refused="TRANSFER_OBJECT_REFUSED",
    packaging="TRANSFER_PACKAGING",
    manifest="TRANSFER_MANIFEST",
    digest="TRANSFER_DIGEST",
    folder="transfers",
)
STORED = "TRANSFER_STORED"
TRANSFER_FILE = "transfer.json"
TRANSFER_SCHEMA = "archipel:transfer:1"
BATCH = 500


@dataclass(frozen=True)
class TransferRequest(DipRequest):
    """The units to hand on (a search request, or their ids) and the parties of the transfer."""

    archival_agency: str = ""
    """The receiving archive, as its referential of agencies names it (required)."""
    transferring_agency: str | None = None
    """This archive as the receiver knows it; by default this tenant's name."""
    archival_agreement: str | None = None
    """The receiver's ingest contract."""

    def header(self, default_transferring_agency: str) -> TransferHeader:
        return TransferHeader(
            archival_agency=self.archival_agency,
            transferring_agency=self.transferring_agency or default_transferring_agency,
            archival_agreement=self.archival_agreement,
        )


class TransferService(DipService):
    """`submit` / `submit_background` / `run` / `status` / `package`, as for a DIP."""

    kind = TRANSFER_KIND

    def submit(self, scope: AccessScope, request: DipRequest) -> str:
        if not isinstance(request, TransferRequest) or not request.archival_agency.strip():
            raise InvalidRequest("a transfer names the receiving archive (its ArchivalAgency identifier)")
        if scope.contract is not None:
            raise InvalidRequest("a transfer is made by the archive itself, not under an access contract")
        return super().submit(scope, request)

    def _selected(self, session: Session, scope: AccessScope, request: DipRequest) -> list[str]:
        """The units asked for and every unit below them, parents first; refused if any is held."""
        chosen = super()._selected(session, scope, request)
        units = list(dict.fromkeys(chosen))
        known = set(units)
        tenant = TenantScope(session, scope.tenant)
        for start in range(0, len(chosen), BATCH):
            below = (
                tenant.select(UnitAncestor)
                .where(UnitAncestor.ancestor_id.in_(chosen[start : start + BATCH]))
                .with_only_columns(UnitAncestor.unit_id)
                .order_by(UnitAncestor.depth, UnitAncestor.unit_id)
            )
            for unit_id in session.scalars(below):
                if unit_id not in known:
                    known.add(unit_id)
                    units.append(unit_id)
        refuse_if_held(session, scope.tenant, units, "transfer")
        return units

    def _manifest_writer(self, scope: AccessScope, request: DipRequest) -> ManifestWriter:
        assert isinstance(request, TransferRequest)
        header = request.header(self.tenant_agency(scope.tenant))

        return functools.partial(write_transfer, header=header)

    def _after_package(
        self,
        scope: AccessScope,
        operation_id: str,
        request: DipRequest,
        plan: DipPlan,
        package: WrittenPackage,
    ) -> list[Finding]:
        """The manifest sent and the list of units handed on, on every offer, verified."""
        assert isinstance(request, TransferRequest)
        header = request.header(self.tenant_agency(scope.tenant))
        units = list(plan.units)
        record = {
            "schema": TRANSFER_SCHEMA,
            "operation_id": operation_id,
            "tenant": scope.tenant,
            "archival_agency": header.archival_agency,
            "transferring_agency": header.transferring_agency,
            "archival_agreement": header.archival_agreement,
            "units": units,
            "sip_sha512": package.sha512,
            "sip_size": package.size,
            "manifest_sha512": sha512_bytes(package.manifest.xml),
            "seda_version": package.manifest.version,
        }
        files = {
            "manifest.xml": package.manifest.xml,
            TRANSFER_FILE: (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode(),
        }
        for name, data in files.items():
            self.platform.storage.put_document(
                layout.operation_file_key(scope.tenant, operation_id, name), data
            )
        message = (
            f"manifest and {TRANSFER_FILE} ({len(units)} units handed on) written to "
            f"{len(self.platform.storage.offers)} offers and verified by SHA-512"
        )
        return [Finding(STORED, Outcome.OK, message)]


def transfer_record(platform: Platform, tenant: int, operation_id: str) -> dict[str, Any]:
    """The `transfer.json` of a transfer, from the first offer holding a readable copy of it
    (it has no digest in the index: an offer audit compares the copies)."""
    return read_document(
        platform.storage,
        layout.operation_file_key(tenant, operation_id, TRANSFER_FILE),
        lambda record: record.get("schema") == TRANSFER_SCHEMA and record.get("operation_id") == operation_id,
        "another transfer",
    )
