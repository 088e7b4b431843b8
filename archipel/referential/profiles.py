"""Archive profiles (profils d'archivage): the notice, its RelaxNG or XSD file, and the ingest check.

The notice is the reference system's JSON (`Identifier`, `Name`, `Description`, `Status`,
`Format` RNG or XSD, dates, optional `SedaVersion`); an import adds and updates notices.
The schema file, usually made with the Pastis editor, is attached afterwards
(`ReferentialService.attach_file`) and kept inside the notice (`ProfileFile`, with its
`ProfileFileSha512`), so an export, a referential snapshot on the offers, or a restore
carries the file with the notice. A notice imported with a `ProfileFile` is checked exactly
as an attached file is.

At ingest (CHECK_HEADER), the reference system's rules apply:

* a profile the manifest names (`ArchivalProfile`) must exist and be active
  (`CHECK_IC_AP_RELATION.UNKNOWN` / `.INACTIVE`, fixtures `2194_INEXISTENT_PROFIL`,
  `2194_INACTIVE_PROFIL` in Vitam's tests);
* when the ingest contract lists profiles, the manifest must name one of them
  (`CHECK_IC_AP_RELATION.DIFF`: `2194_DIFF` names another one, `2194_INEXISTENT_PROFIL_IN_MANIFEST`
  names none). A contract listing none accepts any existing active profile
  (`WARNING_SIPWithAP_mail_Seda2.2` is accepted under `IC-000001`, which lists none);
* the manifest must conform to the profile's file (`CHECK_ARCHIVEPROFILE.NOT_VALID`, one
  finding per error); a profile without a file is only checked for existence and status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from archipel.ingest.findings import Finding, fatal, ko, ko_each
from archipel.referential.contracts import ACTIVE, COMMON_FIELDS, parse_json_notices
from archipel.referential.jsonfile import read_json_array, write_json_array
from archipel.referential.profile_schema import (
    FORMATS,
    ProfileFile,
    ProfileFileError,
    check_profile_text,
    compiled_profile,
    read_profile_file,
)
from archipel.referential.report import LineError
from archipel.seda.schema import SUPPORTED_VERSIONS

if TYPE_CHECKING:
    from archipel.referential.kinds import CheckContext

Document = dict[str, Any]

STEP = "CHECK_HEADER"
UNKNOWN = "CHECK_IC_AP_RELATION.UNKNOWN"
INACTIVE = "CHECK_IC_AP_RELATION.INACTIVE"
DIFF = "CHECK_IC_AP_RELATION.DIFF"
NOT_VALID = "CHECK_ARCHIVEPROFILE.NOT_VALID"
MAX_REPORTED_ERRORS = 20
MANIFEST = "manifest.xml"
TARGET = "ArchivalProfile"

FILE_FIELD, DIGEST_FIELD = "ProfileFile", "ProfileFileSha512"
PROFILE_FIELDS: dict[str, type] = {
    **COMMON_FIELDS,
    "Format": str,
    "SedaVersion": str,
    "Path": str,
    FILE_FIELD: str,
    DIGEST_FIELD: str,
}


def parse_profiles(data: bytes) -> tuple[list[Document], list[LineError]]:
    """Every notice of a profiles file, and every fault of it (a carried `ProfileFile` included)."""
    documents, errors = parse_json_notices(PROFILE_FIELDS, data)
    lines = _first_lines(data)
    checked = []
    for document in documents:
        document, faults = _check_notice(document, lines.get(document["Identifier"], 0))
        checked.append(document)
        errors.extend(faults)
    return checked, sorted(errors, key=lambda error: error.line)


def export_profiles(documents: list[Document]) -> bytes:
    return write_json_array(documents)


def attach_profile_file(document: Document, data: bytes) -> tuple[Document, list[LineError]]:
    """The notice with its schema file, or the faults of the file (lines are the file's)."""
    identifier = document["Identifier"]
    profile, faults = read_profile_file(data, document.get("Format", ""))
    if profile is None:
        return document, [LineError(fault.line, fault.message, identifier) for fault in faults]
    return _with_file(document, profile), []


def check_files_kept(documents: list[Document], lines: list[int], context: CheckContext) -> list[LineError]:
    """A notice imported without `ProfileFile` would silently drop the file attached to the
    profile, and ingest would stop checking manifests against it: that is refused."""
    current = context.entries("profiles")
    errors = []
    for document, line in zip(documents, lines, strict=True):
        identifier = document["Identifier"]
        stored = current.get(identifier) or {}
        if stored.get(FILE_FIELD) and not document.get(FILE_FIELD):
            message = (
                f"profile {identifier} has a {stored.get('Format', '')} file attached that this notice "
                f"lacks: import the notice with its {FILE_FIELD} (as an export gives it), or delete the "
                "profile first"
            )
            errors.append(LineError(line, message, identifier))
    return errors


def validate_manifest(tree: etree._ElementTree, document: Document) -> list[str]:
    """Every way a manifest breaks a profile's file (`line N: ...`); none when it conforms or
    the profile has no file. Raises `ProfileFileError` if the stored file no longer compiles."""
    text = document.get(FILE_FIELD)
    if not text:
        return []
    profile = ProfileFile(text, document.get(DIGEST_FIELD) or "")
    if not profile.sha512:
        profile, faults = check_profile_text(text, document.get("Format", ""))
        if profile is None:
            raise ProfileFileError(faults)
    compiled = compiled_profile(profile, document.get("Format", ""))
    return [str(fault) for fault in compiled.validate(tree)]


def check_profile(
    manifest_profile: str | None,
    contract_profiles: tuple[str, ...],
    profiles: dict[str, Document],
    tree: etree._ElementTree,
) -> list[Finding]:
    """The archive profile a transfer names, against its contract and the profiles referential.

    Every relation fault is reported together (unknown *and* outside the contract); the
    manifest is validated only against a profile that applies (known, active, allowed).
    """
    name = (manifest_profile or "").strip()
    allowed = ", ".join(contract_profiles)
    if not name:
        if not contract_profiles:
            return []
        message = (
            f"the transfer names no archive profile (ArchivalProfile); its ingest contract requires one of "
            f"{allowed}"
        )
        return [ko(STEP, message, DIFF, TARGET)]
    findings = []
    document = profiles.get(name)
    if document is None:
        findings.append(ko(STEP, f"archive profile {name!r} does not exist", UNKNOWN, TARGET))
    elif document.get("Status", ACTIVE) != ACTIVE:
        findings.append(ko(STEP, f"archive profile {name!r} is inactive", INACTIVE, TARGET))
    if contract_profiles and name not in contract_profiles:
        message = f"archive profile {name!r} is not one the ingest contract allows ({allowed})"
        findings.append(ko(STEP, message, DIFF, TARGET))
    if findings or document is None:
        return findings
    return _conformity(name, document, tree)


def _conformity(name: str, document: Document, tree: etree._ElementTree) -> list[Finding]:
    try:
        errors = validate_manifest(tree, document)
    except ProfileFileError as error:
        return [
            fatal(STEP, f"archive profile {name!r}: its stored file does not compile: {error}", NOT_VALID)
        ]
    messages = [f"the manifest does not conform to archive profile {name!r}: {error}" for error in errors]
    findings = ko_each(STEP, NOT_VALID, MANIFEST, messages, MAX_REPORTED_ERRORS, f"errors against {name!r}")
    return findings


def _check_notice(document: Document, line: int) -> tuple[Document, list[LineError]]:
    identifier = document["Identifier"]
    errors = []
    profile_format = document.get("Format")
    if profile_format not in FORMATS:
        written = f"Format {profile_format!r} is" if profile_format is not None else "Format is missing:"
        errors.append(LineError(line, f"{written} neither RNG nor XSD", identifier))
    version = document.get("SedaVersion")
    if version is not None and version not in SUPPORTED_VERSIONS:
        message = f"SedaVersion {version!r} is not one of {', '.join(SUPPORTED_VERSIONS)}"
        errors.append(LineError(line, message, identifier))
    text = document.get(FILE_FIELD)
    if not text:
        return {
            key: value for key, value in document.items() if key not in (FILE_FIELD, DIGEST_FIELD)
        }, errors
    if errors:
        return document, errors
    profile, faults = check_profile_text(text, profile_format)
    if profile is None:
        return document, [LineError(line, f"{FILE_FIELD}, {fault}", identifier) for fault in faults]
    written = document.get(DIGEST_FIELD)
    if written and written.lower() != profile.sha512:
        message = f"{DIGEST_FIELD} does not match {FILE_FIELD} (leave it out to have it computed)"
        return document, [LineError(line, message, identifier)]
    return _with_file(document, profile), []


def _with_file(document: Document, profile: ProfileFile) -> Document:
    return {**document, FILE_FIELD: profile.text, DIGEST_FIELD: profile.sha512}


def _first_lines(data: bytes) -> dict[str, int]:
    """The line where each identifier first appears (parse keeps faultless notices only)."""
    lines: dict[str, int] = {}
    for record in read_json_array(data).records:
        identifier = record.values.get("Identifier")
        if isinstance(identifier, str):
            lines.setdefault(identifier, record.line)
    return lines
