"""Checking a tenant's logbooks: every chain recomputed, every securing file re-proved.

What `archipel logbook verify` and `GET /api/v1/logbooks/verify` report, as faults naming
the entry (operation id, lifecycle entry id) or the securing file (its key) at fault:
- each chain, from the database rows: positions without gap, each entry linking to the
  one before, each hash recomputed from the entry's current content (an event's message
  changed by hand no longer gives the sealed hash);
- finished operations and lifecycle entries that no chain seals, and heads that do not
  point at their chain's last entry;
- each securing file, from every offer: the copy's SHA-512 is the one recorded; it names
  the previous securing file; its entries are those of the chains at those places, with
  the same hashes; the Merkle root of the database's hashes is the root it secured; the
  RFC 3161 token is signed by a trusted authority over that root; its ranges continue
  the previous securing's without gap.
Findings are collected, never raised: one run lists everything to look at (like ingest).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists
from sqlalchemy.orm import Session

from archipel.core.digests import sha512_bytes
from archipel.db.repository import TenantScope
from archipel.logbook import chain
from archipel.logbook.canonical import GENESIS, chain_link, lifecycle_entry, link_hash, operation_entry
from archipel.logbook.lifecycle import CHAIN_OF
from archipel.logbook.merkle import ProofError, merkle_root
from archipel.logbook.model import (
    ChainEntry,
    LifecycleEntry,
    LogbookEvent,
    LogbookSecuring,
    Operation,
    columns,
)
from archipel.logbook.securing import securings
from archipel.logbook.tsa import TokenInvalid, trusted_certificates, verify_token

if TYPE_CHECKING:
    from cryptography import x509

    from archipel.platform import Platform


@dataclass(frozen=True)
class Fault:
    entry: str
    detail: str


@dataclass
class VerificationReport:
    entries: int = 0
    securings: int = 0
    faults: list[Fault] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults

    def fault(self, entry: str, detail: str) -> None:
        self.faults.append(Fault(entry, detail))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "securings": self.securings,
            "faults": [{"entry": fault.entry, "detail": fault.detail} for fault in self.faults],
        }


def verify_logbooks(platform: Platform, tenant: int) -> VerificationReport:
    """Everything the module doc lists, for one tenant."""
    report = VerificationReport()
    trusted = trusted_certificates(platform.settings)
    with platform.database.unit_of_work() as session:
        for kind, chain_id in chain.chains(session, tenant):
            _verify_chain(session, tenant, kind, chain_id, report)
        _verify_heads(session, tenant, report)
        _find_unsealed(session, tenant, report)
        records = securings(session, tenant)
        secured: dict[str, tuple[int, str]] = {}
        previous: LogbookSecuring | None = None
        for record in records:
            document = _securing_document(platform, record, report)
            if document is not None:
                _verify_securing(session, tenant, record, previous, document, secured, trusted, report)
            previous = record
            report.securings += 1
    return report


# -- chains -------------------------------------------------------------------------------


def _pages(links: Iterator[chain.Link]) -> Iterator[list[chain.Link]]:
    page: list[chain.Link] = []
    for link in links:
        page.append(link)
        if len(page) == chain.PAGE:
            yield page
            page = []
    if page:
        yield page


def contents(session: Session, tenant: int, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The canonical content of entries as the database holds them now (what verify rehashes)."""
    scope = TenantScope(session, tenant)
    if kind == chain.OPERATIONS:
        events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in session.scalars(scope.select(LogbookEvent).where(LogbookEvent.operation_id.in_(ids))):
            events[event.operation_id].append(columns(event))
        operations = session.scalars(scope.select(Operation).where(Operation.id.in_(ids)))
        return {op.id: operation_entry(columns(op), events[op.id]) for op in operations}
    subject = next(subject for subject, chain_kind in CHAIN_OF.items() if chain_kind == kind)
    rows = session.scalars(
        scope.select(LifecycleEntry).where(LifecycleEntry.id.in_(ids), LifecycleEntry.subject_kind == subject)
    )
    return {row.id: lifecycle_entry(columns(row)) for row in rows}


def _verify_chain(
    session: Session, tenant: int, kind: str, chain_id: str, report: VerificationReport
) -> None:
    expected, previous = 1, GENESIS
    for page in _pages(chain.walk(session, tenant, chain_id)):
        found = contents(session, tenant, kind, [link.entry for link in page])
        for link in page:
            report.entries += 1
            where = f"{kind} chain {chain_id} position {link.position}"
            if link.position != expected:
                report.fault(link.entry, f"{where}: positions {expected} to {link.position - 1} are missing")
            if link.previous != previous:
                report.fault(link.entry, f"{where}: does not link to the entry before it")
            content = found.get(link.entry)
            if content is None:
                report.fault(link.entry, f"{where}: the sealed entry is no longer in the logbook")
            elif (
                link_hash(chain_link(tenant, kind, chain_id, link.position, link.previous, content))
                != link.hash
            ):
                report.fault(link.entry, f"{where}: changed since it was sealed (its hash does not match)")
            expected, previous = link.position + 1, link.hash


def _verify_heads(session: Session, tenant: int, report: VerificationReport) -> None:
    for kind, head in chain.heads(session, tenant).items():
        if kind == chain.SECURINGS or head.position == 0:
            continue
        last = session.scalars(
            TenantScope(session, tenant)
            .select(ChainEntry)
            .where(ChainEntry.chain == head.chain)
            .order_by(ChainEntry.position.desc())
            .limit(1)
        ).first()
        if last is None or (last.position, last.hash) != (head.position, head.hash):
            report.fault(f"{kind} chain head", "the head does not point at the last entry of its chain")


def _find_unsealed(session: Session, tenant: int, report: VerificationReport) -> None:
    scope = TenantScope(session, tenant)

    def sealed(kind: str, entry: Any) -> Any:
        return exists().where(
            and_(ChainEntry.tenant_id == tenant, ChainEntry.kind == kind, ChainEntry.entry == entry)
        )

    finished = scope.select(Operation).where(
        Operation.status == "DONE", ~sealed(chain.OPERATIONS, Operation.id)
    )
    for operation in session.scalars(finished.with_only_columns(Operation.id)):
        report.fault(operation, "a finished operation that no chain seals")
    for subject, kind in CHAIN_OF.items():
        loose = scope.select(LifecycleEntry).where(
            LifecycleEntry.subject_kind == subject, ~sealed(kind, LifecycleEntry.id)
        )
        for entry in session.scalars(loose.with_only_columns(LifecycleEntry.id)):
            report.fault(entry, "a lifecycle entry that no chain seals")


# -- securing files -----------------------------------------------------------------------


def _securing_document(
    platform: Platform, record: LogbookSecuring, report: VerificationReport
) -> dict | None:
    """The securing file from an intact copy; every copy that differs is a fault."""
    intact = None
    for offer in platform.storage.offers:
        try:
            with offer.open(record.key) as stream:
                data = stream.read()
        except Exception as error:  # an offer that cannot give the copy is a finding, not a crash
            report.fault(record.key, f"offer {offer.name}: copy unreadable ({error})")
            continue
        if sha512_bytes(data) != record.sha512:
            report.fault(
                record.key, f"offer {offer.name}: the copy is not the file secured (SHA-512 differs)"
            )
        elif intact is None:
            intact = data
    if intact is None:
        return None
    return json.loads(intact.decode("utf-8"))


def _verify_securing(
    session: Session,
    tenant: int,
    record: LogbookSecuring,
    previous: LogbookSecuring | None,
    document: dict[str, Any],
    secured: dict[str, tuple[int, str]],
    trusted: list[x509.Certificate],
    report: VerificationReport,
) -> None:
    name = record.key
    named = (document.get("previous_securing") or {}).get("sha512")
    if named != (previous.sha512 if previous else None):
        report.fault(name, "does not name the previous securing file (its SHA-512)")
    hashes: list[str] = []
    listed = document.get("entries", [])
    by_chain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in listed:
        by_chain[item["chain"]].append(item)
    database: dict[tuple[str, int], chain.Link] = {}
    for chain_id, items in by_chain.items():
        low, high = min(item["position"] for item in items), max(item["position"] for item in items)
        database.update(
            {
                (link.chain, link.position): link
                for link in chain.walk(session, tenant, chain_id, low - 1, high)
            }
        )
    for item in listed:
        link = database.get((item["chain"], item["position"]))
        if link is None or link.entry != item["entry"]:
            report.fault(item["entry"], f"secured by {name} but no longer at that place in its chain")
        elif link.hash != item["hash"]:
            report.fault(item["entry"], f"its hash is not the one {name} secured: the chain was rewritten")
        hashes.append(link.hash if link is not None else item["hash"])
    root = document.get("merkle", {}).get("root")
    try:
        if not hashes or merkle_root(hashes) != root or root != record.root:
            report.fault(name, "the Merkle root of the entries is not the root secured")
    except ProofError as error:
        report.fault(name, f"the entries cannot be rebuilt into a tree: {error}")
    try:
        verify_token(base64.b64decode(document["timestamp"]["token"]), bytes.fromhex(root or ""), trusted)
    except (TokenInvalid, KeyError, ValueError) as error:
        report.fault(name, f"time-stamp token: {error}")
    for span in document.get("chains", []):
        last = secured.get(span["chain"])
        start, before = (last[0] + 1, last[1]) if last else (1, GENESIS)
        if span["from"] != start or span["previous"] != before:
            report.fault(
                name, f"{span['kind']} chain {span['chain']}: does not continue the previous securing"
            )
        secured[span["chain"]] = (span["to"], span["last"])
