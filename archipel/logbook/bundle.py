"""Writing an evidence bundle: the report, the files it names and the binaries, in one ZIP.

The binaries come through `open_object` like any delivery (the access contract checked
again, the copy verified before the first byte, the delivery recorded in the access log)
and are hashed again as they are written: bytes that are not those the report states stop
the export rather than ship. They are stored uncompressed, so any ZIP tool shows them byte
for byte; documents are deflated. `report.json` is written last, naming the digests of
`report.pdf` and `README.txt`. The ZIP is built under a temporary name beside its target
and renamed once complete and flushed, so nobody reads half a bundle.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archipel.access.delivery import open_object
from archipel.access.scope import AccessScope
from archipel.core.digests import CHUNK
from archipel.core.errors import IntegrityFault
from archipel.logbook.bundle_readme import readme
from archipel.logbook.evidence import BundledBinary, Evidence, probative_report
from archipel.logbook.evidence_pdf import render_pdf
from archipel.logbook.verifier import REPORT_FILE

if TYPE_CHECKING:
    from archipel.platform import Platform

PDF_FILE = "report.pdf"
README_FILE = "README.txt"


def final_report(evidence: Evidence) -> tuple[dict[str, Any], bytes, bytes]:
    """The report as bundled (naming its PDF and README), the PDF and the README."""
    pdf = render_pdf(evidence.report)
    report = {**evidence.report, "pdf": {"file": PDF_FILE, "sha512": hashlib.sha512(pdf).hexdigest()}}
    text = readme(report)
    report["readme"] = {"file": README_FILE, "sha512": hashlib.sha512(text).hexdigest()}
    return report, pdf, text


def write_bundle(platform: Platform, scope: AccessScope, evidence: Evidence, target: Path) -> Path:
    """Writes the bundle at `target` (see the module doc); nothing is left behind on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    report, pdf, text = final_report(evidence)
    stamp = datetime.fromisoformat(report["generated"]).timetuple()[:6]
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            _document(archive, README_FILE, text, stamp)
            for name in sorted(evidence.files):
                _document(archive, name, evidence.files[name], stamp)
            for binary in evidence.binaries:
                _binary(platform, scope, archive, binary, stamp)
            _document(archive, PDF_FILE, pdf, stamp)
            data = json.dumps(report, ensure_ascii=False, indent=1) + "\n"
            _document(archive, REPORT_FILE, data.encode("utf-8"), stamp)
        with partial.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _document(archive: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, ...]) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _binary(
    platform: Platform,
    scope: AccessScope,
    archive: zipfile.ZipFile,
    binary: BundledBinary,
    stamp: tuple[int, ...],
) -> None:
    info = zipfile.ZipInfo(binary.name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_STORED
    digest = hashlib.sha512()
    large = (binary.size or 0) >= zipfile.ZIP64_LIMIT
    with (
        open_object(platform, scope, binary.object_id) as (_row, stream),
        archive.open(info, "w", force_zip64=large) as entry,
    ):
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            entry.write(chunk)
    if digest.hexdigest() != binary.sha512:
        raise IntegrityFault(
            f"object {binary.object_id}: the bytes read for the bundle are not those the report states"
        )


def export_bundle(platform: Platform, scope: AccessScope, unit_id: str, target: Path) -> Evidence:
    """The probative-value report of a unit the scope covers, bundled at `target`."""
    evidence = probative_report(platform, scope, unit_id)
    write_bundle(platform, scope, evidence, target)
    return evidence
