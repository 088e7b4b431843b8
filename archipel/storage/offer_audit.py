"""The offers audited against each other: every key of a tenant, on every offer, the same bytes.

The existence and integrity audits (`archipel.storage.audit`) start from the index: they
check the objects the database knows. This one starts from the offers, since they are the
source of truth (a rebuild reads one of them alone): the listings of every offer of the
strategy are walked side by side in key order (a merge of sorted streams: memory stays
flat whatever the number of keys), and for each key it reports
- `missing`: the key is on another offer, not on this one;
- `wrong_size` / `corrupt`: this copy's size or SHA-512 is not the expected one — the one the
  index recorded when it knows the key (a binary object's SHA-512 and size at ingest, a logbook
  securing's or a referential version's SHA-512 when written); for any other key (unit and
  group documents, operation files), what a strict majority of the copies holds;
- `unreadable`: the offer failed to give the copy's bytes;
- `undecided`: the copies disagree and nothing says which is right (no recorded digest,
  no majority: two offers, two different documents). Reported, never repaired;
- `stray`: a key on some offers only that nothing expects there (not a key of the layout,
  or an object the index does not know). Reported, never copied, never deleted: a person
  decides (it may be a write in progress, or a file put there by hand).
Keys a write in progress journals (`pending_writes`: an ingest storing, a crashed one being
rolled back) are left out. Other writes and deletions (a logbook written just after its
operation closed, the binaries an elimination deletes offer by offer) may show as a fault
of the moment; a deleted binary's index row is gone first, so it shows as stray, and is
never copied back.
With `repair`, each missing, wrong or corrupt copy is restored (`Offer.restore`, which
verifies the new copy before it takes the key) from a copy that holds the expected bytes
(`archipel.storage.copies.repair_object`).

It is an `AUDIT_OFFERS` operation of the tenant, logged like the other audits: the request
(`PROCESS_AUDIT`), one `AUDIT_OFFER_COPY` event per fault and one `AUDIT_REPAIR` per repair
tried (`archipel.storage.audit.copy_findings`), and the summary (`REPORT_AUDIT`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from archipel.admin import service as admin
from archipel.ingest.context import Progress, no_progress
from archipel.ingest.findings import Finding, Outcome, fatal
from archipel.logbook.closing import close_operation
from archipel.logbook.model import LogbookSecuring
from archipel.logbook.service import OperationLog
from archipel.metadata.model import DataObject
from archipel.referential.model import ReferentialVersion
from archipel.storage import layout
from archipel.storage.audit import (
    REPORT_STEP,
    REQUEST_STEP,
    FaultTally,
    OperationJournal,
    copy_findings,
)
from archipel.storage.copies import Fault, FaultKind, ObjectVerdict, repair_object
from archipel.storage.layout import KeyKind, NotALayoutKey
from archipel.storage.model import PendingWrite
from archipel.storage.offer import ObjectMissing, Offer, OfferError
from archipel.storage.selection import StoredObject
from archipel.tasks.runner import Job

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

OPERATION = "AUDIT_OFFERS"
CHECK_STEP = "AUDIT_OFFER_COPY"
KEYS = "keys"
"""The phase given to `Progress`."""
PAGE = 200
"""Keys judged together: one index lookup, and their copies read side by side."""


class OfferFaultKind(StrEnum):
    """The faults only a comparison of the offers finds (the others are `copies.FaultKind`)."""

    STRAY = "stray"
    UNDECIDED = "undecided"


REPAIRABLE = {FaultKind.MISSING, FaultKind.WRONG_SIZE, FaultKind.CORRUPT}


@dataclass
class OfferAuditReport(FaultTally):
    """What the comparison found: `keys` compared, `bytes_read` to compare them, the faulty copies."""

    operation_id: str
    keys: int = 0
    bytes_read: int = 0
    faults: list[Fault] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"offers compared: {self.keys} keys ({self.bytes_read} bytes read), "
            f"{len(self.faults)} faulty copies, {self.repaired} repaired, {self.unrepaired} remaining"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "outcome": self.outcome.value,
            "keys": self.keys,
            "bytes_read": self.bytes_read,
            "faults": [
                {
                    "key": fault.object,
                    "offer": fault.offer,
                    "kind": fault.kind.value,
                    "detail": fault.detail,
                    "repaired": fault.repaired,
                    "repaired_from": fault.repaired_from,
                }
                for fault in self.faults
            ],
            "repaired": self.repaired,
        }


@dataclass(frozen=True)
class _Listed:
    """One key as the offers list it: the size of its copy on each offer holding it."""

    key: str
    sizes: dict[str, int]


def merged_listing(offers: Sequence[Offer], prefix: str) -> Iterator[_Listed]:
    """The listings of every offer merged in key order, each key once with its copies' sizes."""

    def stream(index: int, offer: Offer) -> Iterator[tuple[str, int, int]]:
        return ((entry.key, index, entry.size) for entry in offer.list(prefix))

    streams = [stream(index, offer) for index, offer in enumerate(offers)]
    for key, copies in itertools.groupby(heapq.merge(*streams), key=lambda item: item[0]):
        yield _Listed(key, {offers[index].name: size for _, index, size in copies})


class OfferAuditService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def submit(self, tenant: int, repair: bool = False, agent: str | None = None) -> str:
        """Records the `AUDIT_OFFERS` operation of the tenant; its id."""
        offers = ", ".join(offer.name for offer in self.platform.storage.offers)
        asked = f"every key of tenant {tenant} compared between offers {offers}; " + (
            "faulty copies repaired from a copy holding the expected bytes" if repair else "no repair"
        )
        with self.platform.database.unit_of_work() as session:
            admin.require_tenant(session, tenant)
            logbook = OperationLog(session, tenant)
            operation = logbook.start(OPERATION, agent=agent, changes_holdings=False)
            operation.message = "waiting for a worker"
            logbook.record(operation.id, [Finding(REQUEST_STEP, Outcome.OK, asked)])
        return operation.id

    def submit_background(self, tenant: int, repair: bool = False, agent: str | None = None) -> str:
        operation_id = self.submit(tenant, repair, agent)
        job = Job(tenant, operation_id, "offer audit")
        self.platform.tasks.submit(job, self.run, operation_id, tenant, repair)
        return operation_id

    def run(
        self, operation_id: str, tenant: int, repair: bool = False, progress: Progress = no_progress
    ) -> OfferAuditReport:
        """Compares the offers and closes the operation (FATAL if the audit itself failed).

        `progress(KEYS, keys compared, 0)`: the total is not known before the listings end."""
        report = OfferAuditReport(operation_id)
        journal = OperationJournal(
            self.platform,
            tenant,
            operation_id,
            lambda: (report.keys, report.bytes_read, f"offer audit running: {report.summary()}"),
        )
        judge = _Judge(self.platform.storage.offers, repair)
        listing = merged_listing(self.platform.storage.offers, layout.tenant_prefix(tenant))
        workers = self.platform.settings.workers
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="archipel-offer-audit") as pool:
                for listed in _pages(listing):
                    page = _settled(self.platform, listed)
                    recorded = _recorded(self.platform, tenant, page)
                    for faults, read in pool.map(judge, page, itertools.repeat(recorded)):
                        report.bytes_read += read
                        report.faults.extend(faults)
                        journal.add(
                            [event for fault in faults for event in copy_findings(CHECK_STEP, repair, fault)]
                        )
                    report.keys += len(listed)
                    progress(KEYS, report.keys, 0)
                    journal.flush_if_due()
            journal.flush()
        except Exception as error:
            log.exception("offer audit %s failed", operation_id)
            journal.flush()
            message = f"the audit stopped on a technical failure after {report.keys} keys: {error}"
            close_operation(self.platform, tenant, operation_id, fatal(REPORT_STEP, message))
            raise
        close_operation(
            self.platform, tenant, operation_id, Finding(REPORT_STEP, report.outcome, report.summary())
        )
        return report


def _pages(listing: Iterator[_Listed]) -> Iterator[list[_Listed]]:
    while page := list(itertools.islice(listing, PAGE)):
        yield page


def _settled(platform: Platform, page: list[_Listed]) -> list[_Listed]:
    """The keys of the page no write in progress names (`pending_writes`): an ingest writing, or a
    crashed one being rolled back, is not a difference between offers, and must not be copied."""
    with platform.database.unit_of_work() as session:
        query = select(PendingWrite.key).where(PendingWrite.key.in_([listed.key for listed in page]))
        journaled = set(session.scalars(query))
    return [listed for listed in page if listed.key not in journaled]


def _object_id(key: str) -> str | None:
    try:
        parsed = layout.parse_key(key)
    except NotALayoutKey:
        return None
    return parsed.id if parsed.kind is KeyKind.OBJECT else None


def _expected(key: str) -> bool:
    """Whether the layout names such a key (an object key also needs the index to know it)."""
    try:
        layout.parse_key(key)
    except NotALayoutKey:
        return False
    return True


def _recorded(platform: Platform, tenant: int, page: list[_Listed]) -> dict[str, StoredObject]:
    """The SHA-512 (and size) the index recorded of the keys of this page that it knows: binary
    objects (at ingest), logbook securings and referential versions (when written)."""
    ids = {object_id: listed.key for listed in page if (object_id := _object_id(listed.key))}
    keys = [listed.key for listed in page]
    with platform.database.unit_of_work() as session:
        recorded = {
            ids[row.id]: StoredObject(row.id, row.size, row.sha512)
            for row in session.execute(
                select(DataObject.id, DataObject.size, DataObject.sha512).where(
                    DataObject.tenant_id == tenant,
                    DataObject.id.in_(list(ids)),
                    DataObject.sha512.is_not(None),
                )
            )
        }
        securings = select(LogbookSecuring.key, LogbookSecuring.sha512).where(
            LogbookSecuring.tenant_id == tenant, LogbookSecuring.key.in_(keys)
        )
        referentials = select(
            ReferentialVersion.kind, ReferentialVersion.version, ReferentialVersion.sha512
        ).where(ReferentialVersion.tenant_id == tenant)
        documents = {key: sha512 for key, sha512 in session.execute(securings)}
        if any(f"/{layout.REFERENTIALS}/" in key for key in keys):
            for kind, version, sha512 in session.execute(referentials):
                documents[layout.referential_key(tenant, kind, version)] = sha512
    recorded.update(
        {key: StoredObject(key, None, sha512) for key, sha512 in documents.items() if key in keys}
    )
    return recorded


class _Judge:
    """The faults of one key across the offers, repaired when asked."""

    def __init__(self, offers: Sequence[Offer], repair: bool) -> None:
        self.offers = offers
        self.repair = repair

    def __call__(self, listed: _Listed, recorded: dict[str, StoredObject]) -> tuple[list[Fault], int]:
        key, holders = listed.key, listed.sizes
        stored = recorded.get(key)
        everywhere = len(holders) == len(self.offers)
        if stored is None and not everywhere and (_object_id(key) or not _expected(key)):
            detail = "on no other offer, and nothing (layout, index) expects it"
            return [_offer_fault(key, name, OfferFaultKind.STRAY, detail) for name in holders], 0
        digests, faults, read = self._digests(key, holders)
        expected = stored.sha512 if stored else _majority(digests, len(holders))
        if expected is None:
            detail = "the copies differ, no digest is recorded and no majority holds one"
            return faults + [
                _offer_fault(key, name, OfferFaultKind.UNDECIDED, detail) for name in digests
            ], read
        size = stored.size if stored and stored.size is not None else _size_of(holders, digests, expected)
        for offer in self.offers:
            if offer.name not in holders:
                faults.append(
                    Fault(key, offer.name, FaultKind.MISSING, f"offer {offer.name}: no copy of {key}")
                )
            elif offer.name in digests and digests[offer.name] != expected:
                kind = FaultKind.CORRUPT if holders[offer.name] == size else FaultKind.WRONG_SIZE
                detail = (
                    f"offer {offer.name}: {holders[offer.name]} bytes, SHA-512 {digests[offer.name][:16]}…; "
                    f"expected {size} bytes, {expected[:16]}…"
                )
                faults.append(Fault(key, offer.name, kind, detail))
        if self.repair and faults:
            faults = self._repair(key, expected, size, faults)
        return faults, read

    def _digests(self, key: str, holders: dict[str, int]) -> tuple[dict[str, str], list[Fault], int]:
        """The SHA-512 of each copy, recomputed now; a copy that cannot be read is a fault."""
        digests: dict[str, str] = {}
        faults: list[Fault] = []
        read = 0
        for offer in self.offers:
            if offer.name not in holders:
                continue
            try:
                digests[offer.name] = offer.digest(key)
                read += holders[offer.name]
            except (ObjectMissing, OfferError, OSError) as error:
                faults.append(Fault(key, offer.name, FaultKind.UNREADABLE, f"offer {offer.name}: {error}"))
        return digests, faults, read

    def _repair(self, key: str, expected: str, size: int | None, faults: list[Fault]) -> list[Fault]:
        repairable = [fault for fault in faults if fault.kind in REPAIRABLE]
        verdict = ObjectVerdict(StoredObject(key, size, expected), repairable)
        repaired = iter(repair_object(self.offers, key, verdict))
        return [next(repaired) if fault.kind in REPAIRABLE else fault for fault in faults]


def _offer_fault(key: str, offer: str, kind: OfferFaultKind, detail: str) -> Fault:
    """A fault of a kind only this audit finds, in the same record as the others."""
    return Fault(key, offer, kind, f"offer {offer}: {detail}")  # type: ignore[arg-type]


def _majority(digests: dict[str, str], copies: int) -> str | None:
    """The SHA-512 more than half of the copies hold, if any."""
    if not digests:
        return None
    digest, count = Counter(digests.values()).most_common(1)[0]
    return digest if count * 2 > copies else None


def _size_of(holders: dict[str, int], digests: dict[str, str], expected: str) -> int | None:
    return next((holders[name] for name, digest in digests.items() if digest == expected), None)
