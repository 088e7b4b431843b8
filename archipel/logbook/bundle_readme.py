"""The README.txt of an evidence bundle: how to check it by hand, and what each report field means.

It travels inside the bundle because the bundle must outlive Archipel: an expert with
`unzip`, `sha512sum`, `openssl` and `python3` (or their equivalents decades from now)
finds here every step and every value to compare, with the names of this very bundle.
"""

from __future__ import annotations

from typing import Any

SCHEMA_TEXT = """\
report.json (schema "archipel:probative-report:1"), field by field
  schema, title, generated (UTC), generator, tenant, access_contract (null: the instance's operator)
  unit: as `archipel unit show` gives it: id, title, level, parents, children, object_group,
        operation_id (its ingest), manifest_id, originating_agency, created, version, content and
        management (its description and rules), unit_type; documents[]: every version of its document
        ({"file", "key" on the offers, "sha512", "copies"})
  ingest: operation_id, type, outcome, started, ended, source_name (the SIP received),
        manifest and reply ({"file", "key", "sha512", "copies"}): the SEDA transfer and the
        ArchiveTransferReply as kept on the offers
  object_group: id, version, document ({"file", "key", "sha512", "copies"}) or null
  objects[]: id, kind, usage, version, size, digest and digest_algorithm (the archive's), puid,
        format_name, mime, filename, uri, physical_id, metadata (as the manifest described it),
        manifest_id, sha512_database and sha512_document (SHA-512 recorded at ingest in the database
        and in the object group document), declared_digest_algorithm and declared_digest (what the
        depositor declared in the manifest), file (the bundled binary, or null), withheld (why the access
        contract kept the binary out), missing (why no intact copy could be bundled),
        copies[] ({"offer", "sha512" recomputed at export, "ok", "detail"})
  entries[]: the sealed logbook entries about the unit: role ("ingest operation", "unit lifecycle",
        "object group lifecycle"), id, event, outcome, date, subject, content (the entry as sealed:
        the fields listed in archipel/logbook/canonical.py), link ({"kind", "chain", "position",
        "previous", "hash"}: its place in its hash chain), file (its canonical link, under
        logbook/entries/), securing (the number of the securing file covering it) and proof (its
        Merkle path: leaf_index, leaves, path[] of {"side", "hash"}, root)
  securings[]: number, key, file, sha512 (as the instance recorded it when writing the file), root,
        leaves, created, copies, timestamp ({"file" (.tsr), "standard", "authority", "signer",
        "gen_time", "serial", "policy"})
  tsa: file (PEM), certificates[] ({"subject", "sha256" fingerprint, "not_before", "not_after"})
  checksums: the sha512sum file of the bundled binaries
  checks[]: {"name", "ok", "detail"} as found at export (the copies on every offer, and every check
        the offline verifier makes); ok: all of them held
  limitations[]: what the bundle does not prove
  pdf, readme: {"file", "sha512"} of report.pdf (a rendering of this report) and of this file
Verified offline: everything but "copies" and "checks", which state what the instance saw.
"""


def readme(report: dict[str, Any]) -> bytes:
    unit, ingest = report["unit"], report["ingest"]
    securing = report["securings"][0] if report["securings"] else None
    number = f"{securing['number']:06d}" if securing else "000001"
    root = securing["root"] if securing else "ROOT"
    operation_entry = f"logbook/entries/{ingest['operation_id']}.json"
    verdict = "all held" if report["ok"] else "SOME FAILED"
    limits = "\n".join(f"- {text}" for text in report["limitations"])
    text = f"""\
EVIDENCE BUNDLE (paquet de preuve) — probative value of an archive unit
=======================================================================
Unit {unit["id"]}: "{unit["title"]}"
Tenant {report["tenant"]}, ingested by operation {ingest["operation_id"]}.
Made {report["generated"]} by {report["generator"]}. Checks at export: {verdict}.

report.json is the probative-value report (relevé de valeur probante); report.pdf reads it
in French. Everything below can be checked without Archipel's database or server.

CONTENTS
  report.json, report.pdf     the report (schema below) and its readable rendering
  unit/NNNNNN.json            every version of the unit's document, as on the offers
  object-group/NNNNNN.json    the object group's document: each object's SHA-512 at ingest
  ingest/manifest.xml         the SEDA transfer manifest received (declared digests)
  ingest/reply.xml            the ArchiveTransferReply sent (names the unit and objects by id)
  Content/                    the binaries, and SHA512SUMS (their SHA-512 recorded at ingest)
  logbook/entries/ID.json     each sealed logbook entry as its canonical chain link
  logbook/securings/N.json    the securing files covering them (Merkle tree of sealed entries)
  logbook/securings/N.tsr     their RFC 3161 time-stamp tokens (TimeStampResp, DER)
  tsa/tsa-certificates.pem    the time-stamping authority's certificate(s)

1. WITH ARCHIPEL (any installation; no instance, database or server needed)
  archipel verify THIS.zip [--json] [--ca AUTHORITY.pem]
  exit 0: every check held; exit 1: the failed checks are listed, each naming what is wrong.
  --ca: trust these certificates instead of the bundled ones.

2. BY HAND (unzip, sha512sum, openssl, python3)
  a. The binaries are those recorded at ingest:
       cd Content && sha512sum -c SHA512SUMS
     Each line's SHA-512 is also in object-group/*.json ("objects"[]."sha512") and in report.json.
  b. Each logbook entry is sealed: the SHA-512 of its file is the entry's hash.
       sha512sum logbook/entries/*.json
     Each file is the canonical JSON (keys sorted, no spaces, UTF-8, non-ASCII written as is) of
     {{"tenant", "kind", "chain", "position", "previous", "entry"}}: "entry" is the content shown in
     report.json, "previous" the hash of the entry before it in its chain. Each hash is listed in
     the securing file, beside the hash of the position before it.
  c. The securing file is the one the instance recorded (report.json "securings"[]."sha512"):
       sha512sum logbook/securings/*.json
  d. Its Merkle root (RFC 6962 with SHA-512: leaf = SHA-512(0x00 || hash), node =
     SHA-512(0x01 || left || right), an odd last node carried up) is recomputed by:
       python3 - logbook/securings/{number}.json <<'EOF'
       import hashlib, json, sys
       level = [hashlib.sha512(b"\\0" + bytes.fromhex(e["hash"])).digest()
                for e in json.load(open(sys.argv[1]))["entries"]]
       while len(level) > 1:
           odd = level[len(level) - len(level) % 2:]
           level = [hashlib.sha512(b"\\1" + level[i] + level[i + 1]).digest()
                    for i in range(0, len(level) - 1, 2)] + odd
       print(level[0].hex())
       EOF
     It must print the file's "merkle"."root".
  e. The root was time-stamped by the authority:
       openssl ts -verify -in logbook/securings/{number}.tsr -digest {root} -CAfile tsa/tsa-certificates.pem
       openssl ts -reply -in logbook/securings/{number}.tsr -text        (shows the time)
       openssl x509 -in tsa/tsa-certificates.pem -noout -fingerprint -sha256
     Compare the fingerprint with the one the authority publishes.
  f. The reply is the one sealed with the ingest operation:
       sha512sum ingest/reply.xml
     equals "reply_sha512" in {operation_entry}.

{SCHEMA_TEXT}
WHAT THIS BUNDLE DOES NOT PROVE
{limits}
"""
    return text.encode("utf-8")
