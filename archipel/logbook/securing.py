"""Securing the logbooks (traçabilité): a time-stamped Merkle root over every entry sealed since the last one.

The reference system's LOGBOOK traceability operation, for one tenant:
1. one transaction locks the tenant's chain of securings, reads the entries of every chain
   after the last secured position, opens a `LOGBOOK_SECURING` operation and journals the
   securing file's key (a concurrent securing of the same tenant then finds it and stops);
2. a Merkle tree is built over the entries' hashes (`archipel.logbook.merkle`), its root
   time-stamped (RFC 3161, `archipel.logbook.tsa`), and the securing file written to
   every offer and verified by SHA-512;
3. one transaction records the securing, moves the securings' head and closes the
   operation (which seals it: the next securing covers it).
A failure after 1 deletes what was written and closes the operation FATAL.

When the only entries since the last securing are earlier securing operations, there is
nothing to secure: no operation is made, so an idle instance stays idle.

The securing file (`storage.layout.securing_key`, JSON, `SECURING_SCHEMA`) holds the
entries' ids and hashes in leaf order, the ranges of each chain, the root, the token
(base64 DER) and the previous securing file's SHA-512: with the database lost, the offers
alone prove what the logbooks held at each securing.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from archipel.core.clock import utc_now
from archipel.core.digests import sha512_bytes
from archipel.core.errors import Conflict, IntegrityFault, NotFound
from archipel.db.repository import TenantScope
from archipel.ingest.findings import Finding, Outcome, fatal
from archipel.ingest.recovery import roll_back
from archipel.logbook import chain
from archipel.logbook.canonical import GENESIS, HASH_ALGORITHM, utc_iso
from archipel.logbook.merkle import CONSTRUCTION, entry_proof, merkle_root
from archipel.logbook.model import LogbookSecuring, Operation
from archipel.logbook.service import OperationLog
from archipel.logbook.tsa import read_token, timestamp_authority
from archipel.storage import layout
from archipel.storage.journal import clear_journal, journal_writes, writes_in_flight

if TYPE_CHECKING:
    from archipel.platform import Platform

log = logging.getLogger(__name__)

LOGBOOK_SECURING = "LOGBOOK_SECURING"
SECURING_SCHEMA = "archipel:logbook-securing:1"
CANONICAL_FORM = 'json.dumps(link, sort_keys=True, separators=(",", ":"), ensure_ascii=False), UTF-8'


@dataclass(frozen=True)
class SecuringResult:
    operation_id: str | None
    entries: int
    root: str | None
    number: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "entries": self.entries,
            "root": self.root,
            "number": self.number,
            "message": self.message,
        }


@dataclass(frozen=True)
class _Plan:
    """What step 1 decided: the securing's number, its operation, the leaves and ranges."""

    number: int
    operation_id: str
    key: str
    previous: LogbookSecuring | None
    leaves: list[chain.Link]
    ranges: list[dict[str, Any]]


def secured_positions(session: Session, tenant: int) -> dict[str, int]:
    """Chain id → the last position already secured."""
    done: dict[str, int] = {}
    for ranges in session.scalars(
        TenantScope(session, tenant).select(LogbookSecuring).with_only_columns(LogbookSecuring.ranges)
    ):
        for span in ranges:
            done[span["chain"]] = max(done.get(span["chain"], 0), span["to"])
    return done


def pending_links(session: Session, tenant: int) -> list[chain.Link]:
    """Every entry sealed since the last securing, in leaf order (kind, chain id, position)."""
    done = secured_positions(session, tenant)
    found: list[chain.Link] = []
    for _kind, chain_id in chain.chains(session, tenant):
        found += chain.walk(session, tenant, chain_id, after=done.get(chain_id, 0))
    return found


def _only_securings(session: Session, tenant: int, links: list[chain.Link]) -> bool:
    """Whether the new entries are nothing but earlier securing operations."""
    operations = [link.entry for link in links if link.kind == chain.OPERATIONS]
    if len(operations) != len(links):
        return False
    query = TenantScope(session, tenant).select(Operation).where(Operation.id.in_(operations))
    return all(operation.type == LOGBOOK_SECURING for operation in session.scalars(query))


def _ranges(links: list[chain.Link]) -> list[dict[str, Any]]:
    spans: dict[str, dict[str, Any]] = {}
    for link in links:
        span = spans.setdefault(
            link.chain,
            {"kind": link.kind, "chain": link.chain, "from": link.position, "previous": link.previous},
        )
        span["to"], span["last"] = link.position, link.hash
    return list(spans.values())


def last_securing(session: Session, tenant: int) -> LogbookSecuring | None:
    query = TenantScope(session, tenant).select(LogbookSecuring).order_by(LogbookSecuring.number.desc())
    return session.scalars(query.limit(1)).first()


def secure(platform: Platform, tenant: int, agent: str | None = None) -> SecuringResult:
    """Secures the tenant's logbooks (see the module doc); a no-op result when nothing is new."""
    plan = _plan(platform, tenant, agent)
    if plan is None:
        return SecuringResult(
            None, 0, None, None, f"nothing to secure in tenant {tenant} since the last securing"
        )
    try:
        root = merkle_root([link.hash for link in plan.leaves])
        authority = timestamp_authority(platform.settings)
        token = authority.timestamp(bytes.fromhex(root))
        data = securing_file(tenant, plan, root, authority.name, token)
        sha512 = sha512_bytes(data)
        platform.storage.put(plan.key, data, sha512)
    except Exception as error:
        _abandon(platform, tenant, plan.operation_id, f"securing failed: {error}")
        raise
    message = f"securing {plan.number}: {len(plan.leaves)} entries sealed under root {root[:16]}…"
    try:
        _record(platform, tenant, plan, root, sha512, authority.name, message)
    except Exception as error:
        _abandon(platform, tenant, plan.operation_id, f"securing not recorded: {error}")
        raise
    platform.write_operation_logbook(tenant, plan.operation_id)
    return SecuringResult(plan.operation_id, len(plan.leaves), root, plan.number, message)


def _record(
    platform: Platform, tenant: int, plan: _Plan, root: str, sha512: str, authority: str, message: str
) -> None:
    """Step 3 (module doc): the securing recorded, its head moved, its operation closed and sealed."""
    with platform.database.unit_of_work() as session:
        head = chain.lock_head(session, tenant, chain.SECURINGS)
        if head.position != plan.number - 1:
            raise Conflict(f"tenant {tenant}: securing {plan.number} was overtaken by another one")
        TenantScope(session, tenant).add(
            LogbookSecuring(
                number=plan.number,
                operation_id=plan.operation_id,
                key=plan.key,
                sha512=sha512,
                root=root,
                entries=len(plan.leaves),
                ranges=plan.ranges,
                created=utc_now(),
            )
        )
        chain.move_head(session, tenant, head, plan.number, sha512)
        logbook = OperationLog(session, tenant)
        logbook.record(
            plan.operation_id,
            [
                Finding("STP_MERKLE_TREE", Outcome.OK, f"Merkle root of {len(plan.leaves)} entries: {root}"),
                Finding("STP_TIMESTAMP", Outcome.OK, f"RFC 3161 token from the {authority} authority"),
                Finding("STP_STORAGE", Outcome.OK, f"{plan.key} written to every offer, verified by SHA-512"),
            ],
        )
        logbook.finish(logbook.get(plan.operation_id), Outcome.OK, message)
        clear_journal(session, plan.operation_id)


def _plan(platform: Platform, tenant: int, agent: str | None) -> _Plan | None:
    """Step 1 (module doc), in one transaction holding the securings' head."""
    with platform.database.unit_of_work() as session:
        head = chain.lock_head(session, tenant, chain.SECURINGS)
        number = head.position + 1
        key = layout.securing_key(tenant, number)
        busy = writes_in_flight(session, [key])
        if busy:
            raise Conflict(f"tenant {tenant}: securing {number} is being made by operation {busy[key]}")
        leaves = pending_links(session, tenant)
        if not leaves or _only_securings(session, tenant, leaves):
            return None
        held = [offer.name for offer in platform.storage.offers if offer.exists(key)]
        if held:
            raise IntegrityFault(
                f"{key} already exists on {', '.join(held)} though the database does not know it: "
                "nothing secured; rebuild the database from the offers, or have an audit look at it"
            )
        previous = last_securing(session, tenant)
        operation = OperationLog(session, tenant).start(LOGBOOK_SECURING, agent, changes_holdings=False)
        journal_writes(session, tenant, operation.id, [key])
        return _Plan(number, operation.id, key, previous, leaves, _ranges(leaves))


def securing_file(tenant: int, plan: _Plan, root: str, authority: str, token: bytes) -> bytes:
    """The securing file's bytes (JSON, sorted keys, UTF-8): see `docs/adr/0004-secured-logbooks.md`."""
    stated = read_token(token)
    previous = plan.previous
    document = {
        "schema": SECURING_SCHEMA,
        "tenant": tenant,
        "number": plan.number,
        "operation_id": plan.operation_id,
        "created": utc_iso(utc_now()),
        "previous_securing": (
            {"number": previous.number, "key": previous.key, "sha512": previous.sha512} if previous else None
        ),
        "hash_algorithm": HASH_ALGORITHM,
        "canonical_form": CANONICAL_FORM,
        "genesis": GENESIS,
        "merkle": {"construction": CONSTRUCTION, "leaves": len(plan.leaves), "root": root},
        "chains": plan.ranges,
        "entries": [
            {
                "kind": link.kind,
                "chain": link.chain,
                "position": link.position,
                "entry": link.entry,
                "hash": link.hash,
            }
            for link in plan.leaves
        ],
        "timestamp": {
            "standard": "RFC 3161",
            "authority": authority,
            "token": base64.b64encode(token).decode("ascii"),
            "gen_time": utc_iso(stated.gen_time),
            "serial": str(stated.serial),
            "policy": stated.policy,
            "message_imprint": "the Merkle root itself (SHA-512, 64 bytes)",
        },
    }
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _abandon(platform: Platform, tenant: int, operation_id: str, reason: str) -> None:
    """Deletes the securing file if written, and closes the operation FATAL."""
    left = roll_back(platform, operation_id)
    undone = "nothing written" if not left else f"{left} writes left, deleted at next start"
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, tenant)
        logbook.record(operation_id, [fatal("STP_SECURING", reason)])
        logbook.finish(logbook.get(operation_id), Outcome.FATAL, f"{reason} ({undone})")
    platform.write_operation_logbook(tenant, operation_id)


def secure_all(platform: Platform, agent: str | None = None) -> dict[int, SecuringResult | Exception]:
    """Secures every tenant in turn; one tenant's failure does not stop the others.

    Deactivated tenants too: they are read-only, but their reads (DIPs, audits) are operations
    whose entries must be sealed like any other."""
    from archipel.admin import service as admin

    with platform.database.unit_of_work() as session:
        tenants = [tenant.id for tenant, _ in admin.list_tenants(session)]
    results: dict[int, SecuringResult | Exception] = {}
    for tenant in tenants:
        try:
            results[tenant] = secure(platform, tenant, agent)
        except Exception as error:
            log.exception("securing the logbooks of tenant %s failed", tenant)
            results[tenant] = error
    return results


def securings(session: Session, tenant: int) -> list[LogbookSecuring]:
    query = TenantScope(session, tenant).select(LogbookSecuring).order_by(LogbookSecuring.number)
    return list(session.scalars(query))


def read_securing(platform: Platform, record: LogbookSecuring) -> dict[str, Any]:
    """A securing file from the first offer whose copy matches the recorded SHA-512."""
    return json.loads(platform.storage.read_verified(record.key, record.sha512).decode("utf-8"))


def entry_proof_of(platform: Platform, tenant: int, entry: str) -> dict[str, Any]:
    """The Merkle proof of a sealed entry from the securing file that covers it, with that file's key.

    A NotFound when no chain seals the id, or when no securing covers it yet.
    """
    with platform.database.unit_of_work() as session:
        links = [link for kind in chain.ENTRY_KINDS if (link := chain.link_of(session, tenant, kind, entry))]
        if not links:
            raise NotFound(f"entry {entry} is not sealed in the logbooks of tenant {tenant}")
        link = links[0]
        covering = [
            record
            for record in securings(session, tenant)
            if any(
                span["chain"] == link.chain and span["from"] <= link.position <= span["to"]
                for span in record.ranges
            )
        ]
    if not covering:
        raise NotFound(f"entry {entry} is sealed but not secured yet: run `archipel logbook secure`")
    record = covering[0]
    proof = entry_proof(read_securing(platform, record), entry, link.kind)
    return {**proof, "securing_key": record.key}
