"""Integrity audit throughput against the raw SHA-512 read rate of the very same files.

Run by hand: `python benchmarks/audit.py [--megabytes 500] [--object-mb 4] [--keep DIR]`.
Ingests one SIP of that many megabytes of random objects into a fresh embedded instance
(SQLite + two filesystem offers), then, on the copies both offers hold:
1. raw: every copy file read and hashed with SHA-512 by a plain loop, on one thread and on
   as many threads as the audit uses (`workers`), with no database and no bookkeeping;
2. audit: `AuditService` integrity audit of the tenant (keyset pages, per-copy size and
   SHA-512 check, logbook events and progress).
Before each measure the files' cached pages are dropped (`posix_fadvise(DONTNEED)`), so both
read the device. Prints MB/s of copies read for each and the audit's ratio to the raw rate at
the same parallelism: how close to the read-and-hash bound the audit runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archipel.collect.sip_builder import Document, build_sip
from archipel.core.settings import load_settings
from archipel.ingest.service import IngestService
from archipel.platform import Platform
from archipel.storage.audit import AuditRequest, AuditService
from archipel.storage.copies import AuditKind
from archipel.storage.selection import ObjectSelection

MB = 1024 * 1024
TENANT = 1
"""A demo commune."""


def forget_cached_pages(files: list[Path]) -> None:
    for path in files:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def sha512_of(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as stream:
        while chunk := stream.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


def raw_rate(files: list[Path], threads: int) -> float:
    """MB/s of SHA-512 over every file, `threads` files at a time."""
    forget_cached_pages(files)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(sha512_of, files))
    elapsed = time.perf_counter() - start
    return sum(path.stat().st_size for path in files) / MB / elapsed


def make_instance(folder: Path, megabytes: int, object_mb: float) -> Platform:
    platform = Platform(load_settings(folder / "home", demo=True))
    platform.initialise()  # the demo communes hold the referentials a built SIP names
    rng = random.Random(1)
    size = int(object_mb * MB)
    count = max(1, megabytes * MB // size)
    sip = build_sip(
        folder / "sip.zip",
        (Document(f"Registre {i}", f"registre-{i}.bin", rng.randbytes(size)) for i in range(count)),
    )
    service = IngestService(platform)
    start = time.perf_counter()
    result = service.run(TENANT, service.submit(TENANT, sip.path, sip.path.name))
    print(
        f"instance: {result.objects} objects of {object_mb:g} MB ingested ({result.outcome.value}) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    sip.path.unlink()
    return platform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500, help="archive volume (one copy)")
    parser.add_argument("--object-mb", type=float, default=4.0, help="size of each object")
    parser.add_argument("--keep", type=Path, help="work folder to use and keep (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="archipel-audit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        platform = make_instance(folder, args.megabytes, args.object_mb)
        workers = platform.settings.workers
        files = [
            Path(offer.root) / entry.key  # type: ignore[attr-defined]
            for offer in platform.storage.offers
            for entry in offer.list(f"tenants/{TENANT}/objects/")
        ]
        copies_mb = sum(path.stat().st_size for path in files) / MB
        print(f"copies: {len(files)} files, {copies_mb:.0f} MB on {len(platform.storage.offers)} offers")

        raw_single = raw_rate(files, 1)
        raw_parallel = raw_rate(files, workers)
        print(f"raw SHA-512 read, 1 thread:          {raw_single:8.1f} MB/s")
        print(f"raw SHA-512 read, {workers} threads:         {raw_parallel:8.1f} MB/s")

        forget_cached_pages(files)
        request = AuditRequest(AuditKind.INTEGRITY, ObjectSelection(TENANT))
        service = AuditService(platform)
        start = time.perf_counter()
        report = service.run(service.submit(request, agent="benchmark"), request)
        elapsed = time.perf_counter() - start
        rate = report.bytes_read / MB / elapsed
        print(
            f"integrity audit ({workers} workers):    {rate:8.1f} MB/s of copies read "
            f"({report.checked} objects, {report.checked / elapsed:.0f} objects/s, {report.outcome.value})"
        )
        print(f"ratio audit / raw ({workers} threads): {rate / raw_parallel:.2f}")
        print(f"ratio audit / raw (1 thread):  {rate / raw_single:.2f}")
        platform.close()
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
