"""The offline verifier of evidence bundles (`archipel verify BUNDLE.zip`): no database, no server.

A judge's expert receives a ZIP (`archipel.logbook.bundle`) and must be able to tell, with
this command or by hand (the bundle's README.txt), that it shows an archive unit as it was
received and kept. Nothing here opens an instance: the bundle is read where it lies,
without being extracted, and every statement of `report.json` that can be recomputed
from the bundle is recomputed:
- each binary's SHA-512 (and the digest its depositor declared, in the declared algorithm)
  against the report, the object-group document and the manifest received;
- the unit and object-group documents against the digests the report names;
- the ingest reply against the SHA-512 sealed in the ingest operation's logbook entry;
- the logbook entries, the Merkle proofs, the securing files and the time-stamp tokens
  (`archipel.logbook.verifier_logbook`).
The checks the report itself lists are never trusted: they are what the instance found at
export (a copy on each offer, which an offline reader cannot see) and are shown as such.

A check that cannot be made (a file missing, a field malformed) is a failed check naming
what is missing, never a crash: a tampered bundle must yield a list of what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from archipel.core.digests import CHUNK, hashlib_name
from archipel.seda.manifest import read_manifest_bytes

REPORT_FILE = "report.json"
REPORT_SCHEMA = "archipel:probative-report:1"
SMALL_FILE_LIMIT = 256 * 1024 * 1024
"""A document, securing file or certificate larger than this is not read into memory."""


@dataclass(frozen=True)
class Check:
    """One thing verified: what (`name`, naming the object, entry or file), whether it held, and why."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [check.as_dict() for check in self.checks]}


class Failed(Exception):
    """Raised by a check function: the detail of what does not hold."""


class MissingFile(Failed):
    """A file the report names is not in the bundle, or cannot be read from it."""


@dataclass(frozen=True)
class Hashed:
    digests: dict[str, str]
    size: int


def hash_stream(stream: BinaryIO, algorithms: Iterable[str]) -> Hashed:
    """Digests (hashlib names → hex) and size of a stream, read once in chunks."""
    hashers = {name: hashlib.new(name) for name in set(algorithms)}
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        for hasher in hashers.values():
            hasher.update(chunk)
    return Hashed({name: hasher.hexdigest() for name, hasher in hashers.items()}, size)


class BundleSource(Protocol):
    """The files of a bundle, wherever they are: a ZIP, or an export not yet written."""

    def names(self) -> set[str]: ...

    def read(self, name: str) -> bytes:
        """A small file's bytes; `MissingFile` if absent or unreadable."""
        ...

    def hash(self, name: str, algorithms: Iterable[str]) -> Hashed:
        """A (possibly large) file's digests, streamed; `MissingFile` if absent or unreadable."""
        ...


class ZipBundle:
    """A bundle ZIP read in place: small files into memory, binaries streamed."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def names(self) -> set[str]:
        return {info.filename for info in self.archive.infolist() if not info.is_dir()}

    def read(self, name: str) -> bytes:
        info = self._info(name)
        if info.file_size > SMALL_FILE_LIMIT:
            raise MissingFile(f"{name}: {info.file_size} bytes, too large for a document")
        try:
            return self.archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise MissingFile(f"{name}: unreadable in the ZIP ({error})") from error

    def hash(self, name: str, algorithms: Iterable[str]) -> Hashed:
        info = self._info(name)
        try:
            with self.archive.open(info) as stream:
                return hash_stream(stream, algorithms)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise MissingFile(f"{name}: unreadable in the ZIP ({error})") from error

    def _info(self, name: str) -> zipfile.ZipInfo:
        if not isinstance(name, str):
            raise MissingFile(f"the report names no file here ({name!r})")
        try:
            return self.archive.getinfo(name)
        except KeyError as error:
            raise MissingFile(f"{name}: not in the bundle") from error


def run_check(name: str, check: Callable[..., str], *args: Any) -> Check:
    """Runs one check function: its return is the detail of success, `Failed` the detail of failure.

    A malformed report (a field missing or of the wrong type) fails the check, naming the field.
    """
    try:
        return Check(name, True, check(*args))
    except Failed as failure:
        return Check(name, False, str(failure))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        return Check(name, False, f"malformed report or file: {type(error).__name__}: {error}")


def sha512_of(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def file_digest(source: BundleSource, described: dict[str, Any], what: str) -> bytes:
    """The bytes of a file the report describes as `{"file", "sha512"}`, checked against that digest."""
    if described["file"] is None:
        raise Failed(f"{what}: not in the bundle, no offer held a copy to bundle")
    data = source.read(described["file"])
    actual = sha512_of(data)
    if actual != described["sha512"]:
        raise Failed(
            f"{what} ({described['file']}): its SHA-512 is {actual[:16]}…, "
            f"the report names {str(described['sha512'])[:16]}…"
        )
    return data


def verify_bundle(path: Path, trusted: Sequence[Any] | None = None) -> Verdict:
    """Every check of the module doc over the bundle at `path`.

    `trusted`: the time-stamping authorities' certificates to trust; by default those the
    bundle carries (the report then tells to compare their fingerprints with published ones).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return Verdict([Check("bundle", False, f"{path.name}: not a readable ZIP file ({error})")])
    with archive:
        source = ZipBundle(archive)
        loaded = run_check("report", _load_report, source)
        if not loaded.ok:
            return Verdict([loaded])
        report = json.loads(source.read(REPORT_FILE))
        try:
            checks = [loaded, *check_contents(report, source, trusted)]
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:  # a gutted report
            return Verdict([Check("report", False, f"{REPORT_FILE} lacks what a report holds: {error!r}")])
        checks.append(run_check("bundle contents", _only_named_files, source, named_files(report)))
    return Verdict(checks)


def _load_report(source: BundleSource) -> str:
    try:
        report = json.loads(source.read(REPORT_FILE))
    except ValueError as error:
        raise Failed(f"{REPORT_FILE} is not JSON: {error}") from error
    if not isinstance(report, dict) or report.get("schema") != REPORT_SCHEMA:
        raise Failed(f"{REPORT_FILE} is not a probative-value report ({REPORT_SCHEMA})")
    return f"{REPORT_FILE}: report on unit {report['unit']['id']}, made {report.get('generated')}"


def named_files(value: Any) -> set[str]:
    """Every file the report names: the value of each `file` key, at any depth, and the checksum file."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("file", "checksums") and isinstance(item, str):
                found.add(item)
            else:
                found |= named_files(item)
    elif isinstance(value, list):
        for item in value:
            found |= named_files(item)
    return found


def _only_named_files(source: BundleSource, named: set[str]) -> str:
    extra = sorted(source.names() - named - {REPORT_FILE})
    if extra:
        raise Failed(f"files the report does not name (added to the bundle?): {', '.join(extra)}")
    return f"{len(named) + 1} files, each named by the report"


def check_contents(
    report: dict[str, Any], source: BundleSource, trusted: Sequence[Any] | None
) -> list[Check]:
    """The checks of the module doc, over a report and the files it names."""
    from archipel.logbook.verifier_logbook import logbook_checks

    checks = [
        run_check(f"unit document {item.get('version')}", _unit_document, report, item, source)
        for item in report["unit"]["documents"]
    ]
    group = report.get("object_group")
    if group is not None:
        checks.append(run_check("object group document", _group_document, group, source))
    manifest = report["ingest"]["manifest"]
    checks.append(run_check("ingest manifest", file_digest_detail, source, manifest, "the manifest"))
    checks.append(run_check("ingest reply", _reply, report, source))
    declared = _declared_digests(source, manifest)
    for obj in report["objects"]:
        name = f"binary {obj.get('id')} ({obj.get('usage')}_{obj.get('version')})"
        checks.append(run_check(name, _binary, obj, group, declared, source, report["entries"]))
    if report.get("checksums"):
        checks.append(run_check("checksum file", _checksums, report, source))
    for key, name in (("pdf", "readable report"), ("readme", "readme")):
        if report.get(key):
            checks.append(run_check(name, file_digest_detail, source, report[key], f"the {name}"))
    return checks + logbook_checks(report, source, trusted)


def file_digest_detail(source: BundleSource, described: dict[str, Any], what: str) -> str:
    file_digest(source, described, what)
    return f"{described['file']}: SHA-512 {described['sha512']}"


def _unit_document(report: dict[str, Any], item: dict[str, Any], source: BundleSource) -> str:
    unit = report["unit"]
    document = json.loads(file_digest(source, item, f"unit document version {item['version']}"))
    problems = []
    if document.get("id") != unit["id"] or document.get("version") != item["version"]:
        problems.append(f"the document is not version {item['version']} of unit {unit['id']}")
    if item["version"] == unit["version"]:  # the current version describes the unit as the report does
        for field in ("title", "originating_agency", "operation_id", "object_group"):
            if document.get(field) != unit.get(field):
                problems.append(
                    f"{field} is {document.get(field)!r} in the document, {unit.get(field)!r} in the report"
                )
    if problems:
        raise Failed("; ".join(problems))
    return f"{item['file']}: SHA-512 {item['sha512']}, describes the unit as the report does"


def _group_document(group: dict[str, Any], source: BundleSource) -> str:
    document = json.loads(file_digest(source, group["document"], "the object group document"))
    if document.get("id") != group["id"] or document.get("version") != group["version"]:
        raise Failed(f"the document is not version {group['version']} of object group {group['id']}")
    return f"{group['document']['file']}: SHA-512 {group['document']['sha512']}"


def group_objects(group: dict[str, Any] | None, source: BundleSource) -> dict[str, dict[str, Any]]:
    """The objects of the bundled group document by id (empty when it cannot be read)."""
    if group is None:
        return {}
    try:
        document = json.loads(source.read(group["document"]["file"]))
        return {item["id"]: item for item in document.get("objects", [])}
    except (Failed, ValueError, KeyError, TypeError):
        return {}


def _reply(report: dict[str, Any], source: BundleSource) -> str:
    ingest = report["ingest"]
    data = file_digest(source, ingest["reply"], "the ingest reply (ArchiveTransferReply)")
    described = ingest["reply"]
    sealed = next(
        (
            entry["content"].get("reply_sha512")
            for entry in report["entries"]
            if entry["id"] == ingest["operation_id"]
        ),
        None,
    )
    if sealed != described["sha512"]:
        raise Failed(f"the ingest operation's sealed entry names another reply (SHA-512 {str(sealed)[:16]}…)")
    if report["unit"]["id"].encode() not in data:
        raise Failed(f"the reply does not name unit {report['unit']['id']}")
    return f"{described['file']}: SHA-512 sealed in the ingest operation's entry; it names the unit"


def _declared_digests(source: BundleSource, manifest: dict[str, Any]) -> dict[str, tuple[str, str]] | None:
    """Manifest id → (algorithm, value) the depositor declared; None when the manifest is unreadable."""
    try:
        parsed = read_manifest_bytes(source.read(manifest["file"]))
    except Exception:  # an unreadable manifest is reported by its own check; objects are then unbound
        return None
    return {
        key: (obj.digest.algorithm, obj.digest.value) for key, obj in parsed.objects.items() if obj.digest
    }


def _binary(
    obj: dict[str, Any],
    group: dict[str, Any] | None,
    declared: dict[str, tuple[str, str]] | None,
    source: BundleSource,
    entries: list[dict[str, Any]],
) -> str:
    if obj["kind"] != "binary":
        return f"{obj['kind']} object: no binary to check"
    recorded = obj["sha512_database"]
    problems = []
    if obj["sha512_document"] != recorded:
        problems.append("the database and the object group document recorded different SHA-512 at ingest")
    listed = group_objects(group, source).get(obj["id"])
    if listed is None:
        problems.append("not in the bundled object group document")
    elif (listed.get("sha512"), listed.get("size")) != (obj["sha512_document"], obj["size"]):
        problems.append("the object group document does not record this SHA-512 and size")
    algorithm = hashlib_name(obj.get("declared_digest_algorithm") or "")
    stated = (obj["declared_digest_algorithm"], obj["declared_digest"])
    if declared is not None and obj.get("manifest_id") in declared and declared[obj["manifest_id"]] != stated:
        problems.append("the manifest received does not declare the digest the report states")
    sealed = sealed_digest(entries, obj["id"])
    if sealed is not None and sealed != recorded:
        problems.append(f"the logbook sealed SHA-512 {sealed[:16]}… at ingest, {recorded[:16]}… is stated")
    if obj["file"] is None:
        reason = obj.get("withheld") or obj.get("missing") or "no reason given"
        if problems or not obj.get("withheld"):
            raise Failed("; ".join([*problems, f"the binary is not in the bundle: {reason}"]))
        return f"not in the bundle ({reason}); SHA-512 recorded at ingest: {recorded}"
    hashed = source.hash(obj["file"], ["sha512", *([algorithm] if algorithm else [])])
    if hashed.digests["sha512"] != recorded:
        problems.append(
            f"{obj['file']}: SHA-512 is {hashed.digests['sha512'][:16]}…, {recorded[:16]}… recorded at ingest"
        )
    if hashed.size != obj["size"]:
        problems.append(f"{obj['file']}: {hashed.size} bytes, {obj['size']} recorded at ingest")
    if algorithm and hashed.digests[algorithm] != obj["declared_digest"]:
        problems.append(
            f"{obj['file']} does not match the {obj['declared_digest_algorithm']} the depositor declared"
        )
    if problems:
        raise Failed("; ".join(problems))
    bound = f", and the {obj['declared_digest_algorithm']} the depositor declared" if algorithm else ""
    return (
        f"{obj['file']}: SHA-512 {recorded}, as recorded at ingest (database, object group document){bound}"
    )


def _checksums(report: dict[str, Any], source: BundleSource) -> str:
    """The `sha512sum -c` file lists exactly the bundled binaries with their SHA-512 at ingest."""
    expected = {
        f"{obj['sha512_database']}  {Path(obj['file']).name}"
        for obj in report["objects"]
        if obj["file"] is not None
    }
    lines = set(source.read(report["checksums"]).decode("utf-8").splitlines())
    if lines != expected:
        raise Failed(f"{report['checksums']} does not list each bundled binary with its SHA-512 at ingest")
    return f"{report['checksums']}: {len(lines)} binaries, for `sha512sum -c`"


def sealed_digest(entries: list[dict[str, Any]], object_id: str) -> str | None:
    """The SHA-512 an object group's sealed `LFC.INGEST` entry gives the object, if any.

    Its hash is checked with the other entries (a changed detail breaks the chain and the
    Merkle proof), so a digest found here is the one time-stamped at securing.
    """
    for entry in entries:
        content = entry.get("content") or {}
        if content.get("event") != "LFC.INGEST" or not content.get("detail"):
            continue
        try:
            listed = json.loads(content["detail"]).get("objects", [])
        except (ValueError, AttributeError):
            continue
        for item in listed:
            if isinstance(item, dict) and item.get("id") == object_id:
                return str(item.get("sha512"))
    return None
