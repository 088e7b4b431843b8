"""Analysis of a folder sent as a ZIP (`POST /api/v1/analyses`): unpacked safely, then walked.

The ZIP comes from outside, so it is unpacked by the ingest's own unpacking
(`archipel.ingest.safezip.unpack_sip`: path traversal, links, zip bombs, sizes counted as
written) within the instance's zip limits, further bounded by `SYNC_LIMITS` since the
analysis answers in the request. A ZIP it refuses is not analysed: `ZipRefused` names every
faulty entry. Some names the analysis would report on a folder (control characters,
backslashes, over-long names) are refused this way, and names arrive recomposed (NFC).

Unpacking gives files the time they are written; the analysis reports the modification
dates the ZIP records, so they are put back on the unpacked files: the Info-ZIP extended
timestamp (UTC, written by `zip` and 7-Zip) when present, else the entry's DOS date, which
has no time zone and is taken as UTC.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from archipel.collect.analysis import DEFAULT_OPTIONS, AnalysisOptions, AnalysisReport, analyse
from archipel.core.errors import InvalidRequest
from archipel.core.settings import ZipLimits
from archipel.ingest.findings import Finding
from archipel.ingest.safezip import entry_name, unpack_sip
from archipel.preservation.formats import FormatIdentifier

SYNC_LIMITS = ZipLimits(max_entries=20_000, max_total_bytes=4 * 1024**3, max_entry_bytes=4 * 1024**3)
"""What one request may make the server unpack and read while the caller waits (a few
minutes at most: about 2,000 files/s identified, 1.5 GB/s hashed); larger folders are
analysed with `archipel analyse` where they are."""
_EXTENDED_TIMESTAMP = 0x5455


class ZipRefused(InvalidRequest):
    """The ZIP cannot be unpacked safely: nothing was analysed."""

    code = "ZIP_REFUSED"

    def __init__(self, findings: Sequence[Finding]) -> None:
        super().__init__("the ZIP is refused: " + "; ".join(finding.message for finding in findings))
        self.findings = list(findings)


def bounded(limits: ZipLimits) -> ZipLimits:
    """The instance's zip limits, none looser than `SYNC_LIMITS`."""
    return ZipLimits(
        max_entries=min(limits.max_entries, SYNC_LIMITS.max_entries),
        max_total_bytes=min(limits.max_total_bytes, SYNC_LIMITS.max_total_bytes),
        max_entry_bytes=min(limits.max_entry_bytes, SYNC_LIMITS.max_entry_bytes),
        max_ratio=min(limits.max_ratio, SYNC_LIMITS.max_ratio),
    )


def analyse_zip(
    zip_path: Path,
    label: str,
    limits: ZipLimits,
    identifier: FormatIdentifier | None,
    scratch: Path,
    options: AnalysisOptions = DEFAULT_OPTIONS,
) -> AnalysisReport:
    """The report on the ZIP's content, unpacked under `scratch` and removed afterwards."""
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix="analysis-") as work:
        content = Path(work) / "content"
        unpacked = unpack_sip(zip_path, content, limits)
        if unpacked.findings:
            raise ZipRefused(unpacked.findings)
        content.mkdir(exist_ok=True)  # an empty ZIP unpacks to nothing
        _restore_dates(zip_path, unpacked.files)
        return analyse(content, identifier, options, label=label)


def _restore_dates(zip_path: Path, files: dict[str, Path]) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = files.get(entry_name(info))
            if target is not None:
                moment = _recorded_mtime(info)
                os.utime(target, (moment, moment))


def _recorded_mtime(info: zipfile.ZipInfo) -> float:
    """Seconds since the epoch the entry records as its modification time."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        if kind == _EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack_from("<i", body, 1)[0])
        at += 4 + size
    return datetime(*info.date_time, tzinfo=UTC).timestamp()
