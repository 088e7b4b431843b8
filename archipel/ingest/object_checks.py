"""Checks of the binary objects against the files actually received.

The manifest's claims (Uri, MessageDigest, Size, FormatId) are compared with what the
archive measures itself; the measured values are what it keeps (SHA-512, size, PUID).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from archipel.core.digests import digest_file, hashlib_name
from archipel.ingest.context import IngestContext, ObjectFacts
from archipel.ingest.findings import Finding, ko, warning
from archipel.seda.model import DataObject


def normalise_uri(uri: str) -> str:
    """A manifest Uri as a ZIP entry name: forward slashes, no leading `./`, NFC, unescaped.

    Producers write `Content/a%20b.pdf`, `content/a b.pdf` or `./Content/...`; all name the
    same entry. Percent-decoding happens only when the raw Uri does not name an entry.
    """
    text = unicodedata.normalize("NFC", uri.strip().replace("\\", "/"))
    while text.startswith("./"):
        text = text[2:]
    return text


def resolve_uri(uri: str, files: dict[str, object]) -> str | None:
    """The ZIP entry a Uri names, or None."""
    name = normalise_uri(uri)
    if name in files:
        return name
    decoded = normalise_uri(unquote(name))
    return decoded if decoded in files else None


def _binaries(ctx: IngestContext) -> list[DataObject]:
    assert ctx.manifest is not None
    return [obj for obj in ctx.manifest.objects.values() if obj.kind == "binary"]


def check_object_files(ctx: IngestContext) -> list[Finding]:
    """Every declared binary is in the ZIP, and every file of the ZIP is declared.

    An undeclared file is refused, not warned about, as the reference SAE does: it would be
    neither described nor archived while the depositor believes it was transferred.
    """
    step = "CHECK_MANIFEST_OBJECTNUMBER"
    declared: dict[str, str] = {}
    missing: list[DataObject] = []
    findings: list[Finding] = []
    for obj in _binaries(ctx):
        entry = resolve_uri(obj.uri, ctx.files) if obj.uri else None
        if entry is None:
            missing.append(obj)
        else:
            declared[entry] = obj.manifest_id
    undeclared = sorted(name for name in ctx.files if name not in declared and name != ctx.manifest_name)
    if missing and undeclared:
        code = "INVALID_URI"
    elif missing:
        code = "MANIFEST_SUPERIOR_BDO"
    else:
        code = "MANIFEST_INFERIOR_BDO"
    for obj in missing:
        findings.append(
            ko(
                step,
                f"binary object {obj.manifest_id} names {obj.uri!r}, which is not in the SIP",
                code,
                obj.manifest_id,
            )
        )
    for name in undeclared:
        findings.append(ko(step, f"file {name!r} is in the SIP but no binary object declares it", code, name))
    return findings


def check_digests(ctx: IngestContext) -> list[Finding]:
    """Declared digests and sizes against the bytes received; SHA-512 computed for storage.

    The declared algorithm and SHA-512 are computed in one read of each file. A wrong
    `Size` is a WARNING (the reference SAE accepts it and records the real size); a wrong
    or empty digest is a KO: the bytes are not those the producer sealed.
    """
    findings: list[Finding] = []
    binaries = [obj for obj in _binaries(ctx) if obj.uri and resolve_uri(obj.uri, ctx.files)]
    done = 0
    total = sum(
        ctx.files[resolve_uri(obj.uri, ctx.files) or ""].stat().st_size for obj in binaries if obj.uri
    )
    for obj in binaries:
        assert obj.uri is not None
        path = ctx.files[resolve_uri(obj.uri, ctx.files) or ""]
        declared = obj.digest
        algorithms = {"sha512"}
        algorithm = hashlib_name(declared.algorithm) if declared else None
        if algorithm:
            algorithms.add(algorithm)
        measured = digest_file(path, algorithms)
        size = path.stat().st_size
        ctx.facts[obj.manifest_id] = ObjectFacts(path=path, size=size, sha512=measured["sha512"])
        target = obj.manifest_id
        if declared is None or not declared.value.strip():
            findings.append(ko("CHECK_DIGEST", f"binary object {target} has no MessageDigest", None, target))
        elif algorithm is None:
            findings.append(
                ko(
                    "CHECK_DIGEST",
                    f"binary object {target}: unknown algorithm {declared.algorithm!r}",
                    None,
                    target,
                )
            )
        elif measured[algorithm].lower() != declared.value.strip().lower():
            findings.append(
                ko(
                    "CHECK_DIGEST",
                    f"binary object {target} ({obj.uri}): declared {declared.algorithm} "
                    f"{declared.value.strip()} but the file's is {measured[algorithm]}",
                    None,
                    target,
                )
            )
        if obj.size is not None and obj.size != size:
            findings.append(
                warning(
                    "CHECK_OBJECT_SIZE",
                    f"binary object {target}: declared Size {obj.size} but the file has {size} bytes; "
                    "the real size is kept",
                    None,
                    target,
                )
            )
        done += size
        ctx.progress("digests", done, total)
    ctx.total_bytes = sum(facts.size for facts in ctx.facts.values())
    return findings


def identify_formats(ctx: IngestContext) -> list[Finding]:
    """PRONOM identification of every binary; a declared format that disagrees is a WARNING.

    The identified PUID is what the archive records: preservation decisions must rest on
    what the bytes are, not on what the producer believed.
    """
    assert ctx.manifest is not None
    findings: list[Finding] = []
    total = len(ctx.facts)
    for done, (manifest_id, facts) in enumerate(ctx.facts.items(), start=1):
        identification = ctx.identifier.identify(facts.path)
        facts.identification = identification
        declared = ctx.manifest.objects[manifest_id].format_id
        if identification.puid is None:
            findings.append(
                warning(
                    "OG_OBJECTS_FORMAT_CHECK",
                    f"binary object {manifest_id}: format not identified",
                    "UNKNOWN",
                    manifest_id,
                )
            )
        elif (
            declared
            and declared.strip() != identification.puid
            and declared.strip() not in identification.candidates
        ):
            findings.append(
                warning(
                    "OG_OBJECTS_FORMAT_CHECK",
                    f"binary object {manifest_id}: declared format {declared.strip()} but identified as "
                    f"{identification.puid} ({identification.name}); the identified format is kept",
                    "DIFF",
                    manifest_id,
                )
            )
        ctx.progress("formats", done, total)
    return findings
