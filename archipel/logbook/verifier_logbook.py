"""Offline checks of a bundle's logbook evidence: entries, Merkle proofs, securing files, tokens.

From the bottom up, each step recomputed with `archipel.logbook.canonical`, `merkle` and
`tsa` (the very functions the instance sealed with, pure over plain data):
1. each entry's file under `logbook/entries/` is the canonical link of the content the
   report shows, and its SHA-512 is the entry's sealed hash (`sha512sum` gives it too);
2. the entry's Merkle proof leads from that hash to the root of the securing file that
   covers it, from the leaf the file lists at that index; and the entry's `previous` is
   the hash the file lists at the position before it in its chain (the chain excerpt);
3. each securing file has the SHA-512 the report names (the one the instance recorded),
   and the root of the entries it lists is the root it states;
4. the RFC 3161 token over that root is the one in the securing file and in the `.tsr`,
   signed by the bundled (or given) authority's certificate.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes

from archipel.logbook.canonical import canonical_bytes, chain_link, utc_iso
from archipel.logbook.merkle import merkle_root, verify_entry_proof
from archipel.logbook.tsa import TimestampError, load_certificates, token_of_response, verify_token
from archipel.logbook.verifier import BundleSource, Check, Failed, file_digest, run_check, sha512_of

OPERATION = "ingest operation"
UNIT_LIFECYCLE = "unit lifecycle"
GROUP_LIFECYCLE = "object group lifecycle"


def summary(role: str, content: dict[str, Any]) -> dict[str, Any]:
    """What the report shows of an entry beside its content: derived from it, so checked against it."""
    if role == OPERATION:
        return {
            "event": content["type"],
            "outcome": content["outcome"],
            "date": content["ended"],
            "subject": None,
        }
    return {
        "event": content["event"],
        "outcome": content["outcome"],
        "date": content["date"],
        "subject": content["subject_id"],
    }


def fingerprint(certificate: Any) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def logbook_checks(
    report: dict[str, Any], source: BundleSource, trusted: Sequence[Any] | None
) -> list[Check]:
    securings = {item["number"]: item for item in report["securings"]}
    checks = [run_check("secured", _secured, report)]
    for entry in report["entries"]:
        checks.append(
            run_check(f"entry {entry.get('id')} ({entry.get('role')})", _entry, report, entry, source)
        )
        if entry.get("securing") is not None:
            checks.append(run_check(f"proof {entry.get('id')}", _proof, entry, securings, source))
    certificates = run_check("tsa certificates", _certificates, report, source)
    checks.append(certificates)
    for item in report["securings"]:
        checks.append(run_check(f"securing {item.get('number')}", _securing, report, item, source))
        checks.append(run_check(f"timestamp {item.get('number')}", _timestamp, report, item, source, trusted))
    return checks


def _secured(report: dict[str, Any]) -> str:
    loose = [
        f"{entry['id']} ({entry['role']})" for entry in report["entries"] if entry.get("securing") is None
    ]
    if loose:
        raise Failed(
            f"not secured yet: {', '.join(loose)}: no securing file (time-stamped Merkle root) covers these "
            f"entries; run `archipel logbook secure --tenant {report['tenant']}` and export again"
        )
    numbers = sorted({entry["securing"] for entry in report["entries"]})
    return f"every entry ({len(report['entries'])}) is under a time-stamped securing file: {numbers}"


def _entry(report: dict[str, Any], entry: dict[str, Any], source: BundleSource) -> str:
    link, content = entry.get("link"), entry["content"]
    if link is None:
        raise Failed("not sealed in any hash chain of the tenant")
    data = source.read(entry["file"])
    if canonical_bytes(json.loads(data)) != data:
        raise Failed(f"{entry['file']} is not in canonical form")
    built = chain_link(
        report["tenant"], link["kind"], link["chain"], link["position"], link["previous"], content
    )
    if canonical_bytes(built) != data:
        raise Failed(f"{entry['file']} is not the chain link of the entry the report shows")
    if sha512_of(data) != link["hash"]:
        raise Failed(
            f"its content no longer hashes to its sealed hash {link['hash'][:16]}…: "
            "the logbook entry was changed after it was sealed"
        )
    problems = [
        f"{key} is {entry.get(key)!r} in the report, {value!r} in the entry"
        for key, value in summary(entry["role"], content).items()
        if entry.get(key) != value
    ]
    expected = _subject(report, entry["role"])
    if content.get("subject_id" if entry["role"] != OPERATION else "id") != expected:
        problems.append(f"the entry is not about {expected}")
    if content["id"] != entry["id"]:
        problems.append(f"the entry's id is {content['id']}")
    if problems:
        raise Failed("; ".join(problems))
    return f"{entry['file']}: SHA-512 {link['hash']} ({link['kind']} chain, position {link['position']})"


def _subject(report: dict[str, Any], role: str) -> str | None:
    if role == OPERATION:
        return report["ingest"]["operation_id"]
    if role == UNIT_LIFECYCLE:
        return report["unit"]["id"]
    return (report.get("object_group") or {}).get("id")


def _securing_document(source: BundleSource, item: dict[str, Any]) -> dict[str, Any]:
    return json.loads(source.read(item["file"]))


def _proof(entry: dict[str, Any], securings: dict[int, dict[str, Any]], source: BundleSource) -> str:
    number, link, proof = entry["securing"], entry["link"], entry["proof"]
    if number not in securings or proof is None:
        raise Failed(f"the report names securing file {number} but not the file or the proof")
    document = _securing_document(source, securings[number])
    leaves = document["entries"]
    index = proof["leaf_index"]
    stated = {key: link[key] for key in ("kind", "chain", "position", "hash")}
    if not 0 <= index < len(leaves) or leaves[index] != {**stated, "entry": entry["id"]}:
        raise Failed(f"securing file {number} does not list this entry at leaf {index}")
    if proof["leaves"] != len(leaves) or proof["root"] != document["merkle"]["root"]:
        raise Failed(f"the proof is not about the tree of securing file {number}")
    if proof["entry"] != entry["id"] or not verify_entry_proof(proof, sha512_of(source.read(entry["file"]))):
        raise Failed(
            f"the Merkle path does not lead from the entry's hash to the root of securing file {number}"
        )
    before = _previous_in_file(document, link)
    if before != link["previous"]:
        raise Failed(
            f"securing file {number} does not list the hash this entry links to as the one before it"
        )
    before = f"position {link['position'] - 1}" if link["position"] > 1 else "the start (genesis)"
    return (
        f"Merkle path of {len(proof['path'])} steps to the root of securing file {number} "
        f"(leaf {index} of {len(leaves)}); follows {before} of its chain as the file lists it"
    )


def _previous_in_file(document: dict[str, Any], link: dict[str, Any]) -> str | None:
    """The hash before `link` in its chain, as the securing file lists it (the chain excerpt)."""
    for leaf in document["entries"]:
        if leaf["chain"] == link["chain"] and leaf["position"] == link["position"] - 1:
            return leaf["hash"]
    for span in document["chains"]:
        if span["chain"] == link["chain"] and span["from"] == link["position"]:
            return span["previous"]
    return None


def _securing(report: dict[str, Any], item: dict[str, Any], source: BundleSource) -> str:
    document = json.loads(file_digest(source, item, f"securing file {item['number']}"))
    if (document.get("number"), document.get("tenant")) != (item["number"], report["tenant"]):
        raise Failed(f"the file is not securing file {item['number']} of tenant {report['tenant']}")
    hashes_ = [leaf["hash"] for leaf in document["entries"]]
    root = merkle_root(hashes_)
    if (
        root != document["merkle"]["root"]
        or root != item["root"]
        or len(hashes_) != document["merkle"]["leaves"]
    ):
        raise Failed(f"the Merkle root of its {len(hashes_)} entries is {root[:16]}…, not the root it states")
    return f"{item['file']}: SHA-512 {item['sha512']}; root {root} recomputed from its {len(hashes_)} entries"


def _certificates(report: dict[str, Any], source: BundleSource) -> str:
    bundled = load_certificates(source.read(report["tsa"]["file"]))
    found = [fingerprint(certificate) for certificate in bundled]
    stated = [item["sha256"] for item in report["tsa"]["certificates"]]
    if found != stated:
        raise Failed(f"{report['tsa']['file']} does not hold the certificates the report names")
    return (
        f"{report['tsa']['file']}: SHA-256 fingerprints {', '.join(found)}: compare them with those "
        "the time-stamping authority publishes"
    )


def _timestamp(
    report: dict[str, Any], item: dict[str, Any], source: BundleSource, trusted: Sequence[Any] | None
) -> str:
    stamp = item["timestamp"]
    if stamp is None:
        raise Failed(f"securing file {item['number']} could not be bundled: no token to check")
    document = _securing_document(source, item)
    token = base64.b64decode(document["timestamp"]["token"], validate=True)
    try:
        if token_of_response(source.read(stamp["file"])) != token:
            raise Failed(f"{stamp['file']} does not hold the token of securing file {item['number']}")
        anchors = (
            list(trusted) if trusted is not None else load_certificates(source.read(report["tsa"]["file"]))
        )
        info = verify_token(token, bytes.fromhex(document["merkle"]["root"]), anchors)
    except TimestampError as error:
        raise Failed(f"time-stamp token: {error.message}") from error
    if utc_iso(info.gen_time) != stamp["gen_time"]:
        raise Failed(f"the token was signed at {utc_iso(info.gen_time)}, the report says {stamp['gen_time']}")
    whose = "a certificate given to the verifier" if trusted is not None else "the bundled certificate"
    return (
        f"RFC 3161 token of {info.signer} at {stamp['gen_time']}: its signature verifies, its imprint is "
        f"the Merkle root of securing file {item['number']}, its signer is {whose}"
    )
