"""The logbook part of a probative-value report: the sealed entries about a unit, and their securing.

For the unit's ingest operation and every lifecycle entry of the unit and its object group:
the canonical content as the database holds it *now* (`verification.contents`), the chain
link sealed when it was written (`chain.links_of`), the securing file whose range covers
it and the entry's Merkle proof in that file (`merkle.entry_proof`). The bundle gets, per
entry, the canonical bytes of its link (`sha512sum` of that file is the entry's hash), and
per securing file its bytes as on the offers, its token as an RFC 3161 response (`.tsr`,
for `openssl ts -verify -in`), and the time-stamping authorities' certificates.

Nothing is judged here: a row changed in the database gives content that no longer hashes
to the sealed hash, which the checks (`archipel.logbook.verifier_logbook`) then report.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asn1crypto import cms, tsp
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from archipel.core.errors import IntegrityFault, NotFound
from archipel.logbook import chain
from archipel.logbook.canonical import canonical_bytes, chain_link, utc_iso
from archipel.logbook.evidence_offers import read_copies
from archipel.logbook.lifecycle import CHAIN_OF, OBJECT_GROUP, UNIT, lifecycle
from archipel.logbook.merkle import entry_proof
from archipel.logbook.model import LogbookSecuring
from archipel.logbook.securing import securings
from archipel.logbook.tsa import read_token, trusted_certificates
from archipel.logbook.verification import contents
from archipel.logbook.verifier import Check
from archipel.logbook.verifier_logbook import GROUP_LIFECYCLE, OPERATION, UNIT_LIFECYCLE, fingerprint, summary

if TYPE_CHECKING:
    from archipel.platform import Platform

TSA_FILE = "tsa/tsa-certificates.pem"


@dataclass
class LogbookEvidence:
    entries: list[dict[str, Any]] = field(default_factory=list)
    securings: list[dict[str, Any]] = field(default_factory=list)
    tsa: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class _Sealed:
    role: str
    id: str
    content: dict[str, Any]
    link: chain.Link | None


def logbook_evidence(
    platform: Platform, tenant: int, operation_id: str, unit_id: str, group_id: str | None
) -> LogbookEvidence:
    """The entries about the unit, their links, proofs and securing files (module doc)."""
    with platform.database.unit_of_work() as session:
        sealed = _operation(session, tenant, operation_id)
        sealed += _lifecycle(session, tenant, unit_id, UNIT, UNIT_LIFECYCLE)
        if group_id is not None:
            sealed += _lifecycle(session, tenant, group_id, OBJECT_GROUP, GROUP_LIFECYCLE)
        records = securings(session, tenant)
    evidence = LogbookEvidence()
    documents: dict[int, dict[str, Any] | None] = {}
    for item in sealed:
        record = _covering(records, item.link)
        if record is not None and record.number not in documents:
            documents[record.number] = _securing(platform, tenant, record, evidence)
        evidence.entries.append(_entry(tenant, item, record, documents, evidence.files))
    _certificates(platform, evidence)
    return evidence


def _operation(session: Session, tenant: int, operation_id: str) -> list[_Sealed]:
    content = contents(session, tenant, chain.OPERATIONS, [operation_id]).get(operation_id)
    if content is None:  # operations are append-only: only someone bypassing the database's refusal
        raise IntegrityFault(
            f"the ingest operation {operation_id} is no longer in the logbook of tenant {tenant}: "
            "the database was altered (run `archipel logbook verify`)"
        )
    return [
        _Sealed(
            OPERATION, operation_id, content, chain.link_of(session, tenant, chain.OPERATIONS, operation_id)
        )
    ]


def _lifecycle(session: Session, tenant: int, subject: str, kind: str, role: str) -> list[_Sealed]:
    try:
        ids = [item["id"] for item in lifecycle(session, tenant, subject, kind)["lifecycle"]]
    except NotFound:  # units ingested before lifecycles were kept: their documents carry the history
        return []
    found = contents(session, tenant, CHAIN_OF[kind], ids)
    links = chain.links_of(session, tenant, CHAIN_OF[kind], ids)
    return [_Sealed(role, entry, found[entry], links.get(entry)) for entry in ids if entry in found]


def _covering(records: list[LogbookSecuring], link: chain.Link | None) -> LogbookSecuring | None:
    if link is None:
        return None
    for record in records:
        if any(
            span["chain"] == link.chain and span["from"] <= link.position <= span["to"]
            for span in record.ranges
        ):
            return record
    return None


def _securing(
    platform: Platform, tenant: int, record: LogbookSecuring, evidence: LogbookEvidence
) -> dict[str, Any] | None:
    """Bundles a securing file and its token; its parsed JSON, or None if no offer holds it intact."""
    copies = read_copies(
        platform.storage.offers, record.key, f"securing file {record.number}", record.sha512, keep=True
    )
    evidence.checks += copies.checks
    name = f"logbook/securings/{record.number:06d}"
    item: dict[str, Any] = {
        "number": record.number,
        "key": record.key,
        "file": f"{name}.json",
        "sha512": record.sha512,
        "root": record.root,
        "leaves": record.entries,
        "created": utc_iso(record.created),
        "copies": copies.copies,
        "timestamp": None,
    }
    evidence.securings.append(item)
    if copies.data is None:
        return None
    document = json.loads(copies.data)
    token = base64.b64decode(document["timestamp"]["token"])
    stated = read_token(token)
    evidence.files[item["file"]] = copies.data
    evidence.files[f"{name}.tsr"] = time_stamp_response(token)
    item["timestamp"] = {
        "file": f"{name}.tsr",
        "standard": "RFC 3161",
        "authority": document["timestamp"]["authority"],
        "signer": stated.signer,
        "gen_time": utc_iso(stated.gen_time),
        "serial": str(stated.serial),
        "policy": stated.policy,
    }
    return document


def time_stamp_response(token: bytes) -> bytes:
    """The token as a granted TimeStampResp (RFC 3161 §2.4.2), what `openssl ts -verify -in` reads."""
    status = tsp.PKIStatusInfo({"status": "granted"})
    return tsp.TimeStampResp({"status": status, "time_stamp_token": cms.ContentInfo.load(token)}).dump()


def _entry(
    tenant: int,
    item: _Sealed,
    record: LogbookSecuring | None,
    documents: dict[int, dict[str, Any] | None],
    files: dict[str, bytes],
) -> dict[str, Any]:
    link = item.link
    entry: dict[str, Any] = {
        "role": item.role,
        "id": item.id,
        **summary(item.role, item.content),
        "content": item.content,
        "link": link.as_dict() if link else None,
        "file": None,
        "securing": None,
        "proof": None,
    }
    if link is None:
        return entry
    entry["file"] = f"logbook/entries/{item.id}.json"
    files[entry["file"]] = canonical_bytes(
        chain_link(tenant, link.kind, link.chain, link.position, link.previous, item.content)
    )
    if record is not None:  # a securing file no offer holds intact leaves the proof out: its check says so
        entry["securing"] = record.number
        document = documents.get(record.number)
        if document is not None:
            entry["proof"] = entry_proof(document, item.id, link.kind)
    return entry


def _certificates(platform: Platform, evidence: LogbookEvidence) -> None:
    certificates = trusted_certificates(platform.settings)
    evidence.files[TSA_FILE] = b"".join(
        certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates
    )
    evidence.tsa = {
        "file": TSA_FILE,
        "certificates": [
            {
                "subject": certificate.subject.rfc4514_string(),
                "sha256": fingerprint(certificate),
                "not_before": utc_iso(certificate.not_valid_before_utc),
                "not_after": utc_iso(certificate.not_valid_after_utc),
            }
            for certificate in certificates
        ],
    }
