"""Ingest throughput on the embedded default (SQLite + two filesystem offers).

Run by hand: `python benchmarks/ingest.py [--large-mb 200] [--small 10000] [--keep DIR]`.
Generates two SIPs — a few large objects, and many small units each with one object —
ingests each into a fresh instance, and prints units/s and MB/s next to this machine's raw
SHA-512 + write + fsync throughput measured in the same run, as a ratio. An ingest reads
each byte several times (unpack, digest, identification, write to 2 offers, read-back
verification), so the ratio says how close to the disk-and-hash bound the pipeline runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from archipel.collect.sip_builder import Document, build_sip
from archipel.core.settings import load_settings
from archipel.ingest.service import IngestService
from archipel.platform import Platform

MB = 1024 * 1024


def raw_hash_and_write(folder: Path, size: int) -> float:
    """MB/s of SHA-512 over a buffer written to disk and fsynced: the floor of one copy."""
    data = os.urandom(MB)
    path = folder / "raw.bin"
    start = time.perf_counter()
    digest = hashlib.sha512()
    with path.open("wb") as stream:
        for _ in range(size // MB):
            digest.update(data)
            stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    elapsed = time.perf_counter() - start
    path.unlink()
    return size / MB / elapsed


def ingest_once(folder: Path, sip: Path) -> tuple[float, int, int, str]:
    home = folder / "home"
    platform = Platform(load_settings(home, demo=True))
    platform.initialise()  # the demo communes hold the contract and agencies a built SIP names
    platform.format_identifier()  # load signatures outside the timed part
    service = IngestService(platform)
    start = time.perf_counter()
    operation_id = service.submit(1, sip, sip.name, agent="benchmark")
    result = service.run(1, operation_id)
    elapsed = time.perf_counter() - start
    platform.close()
    shutil.rmtree(home)
    return elapsed, result.units, result.objects, result.outcome.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mb", type=int, default=200, help="size of the large-object SIP")
    parser.add_argument("--large-count", type=int, default=4, help="number of large objects")
    parser.add_argument("--small", type=int, default=10_000, help="units of the many-small-objects SIP")
    parser.add_argument("--small-bytes", type=int, default=2048)
    parser.add_argument("--keep", type=Path, help="work folder to use and keep (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="archipel-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    try:
        raw = raw_hash_and_write(folder, args.large_mb * MB)
        print(f"raw SHA-512 + write + fsync: {raw:8.1f} MB/s (one copy, same disk)")

        each = args.large_mb * MB // args.large_count
        large = build_sip(
            folder / "large.zip",
            (
                Document(f"Vidéo du conseil {i}", f"conseil-{i}.bin", rng.randbytes(each))
                for i in range(args.large_count)
            ),
        )
        elapsed, units, objects, outcome = ingest_once(folder, large.path)
        rate = large.bytes / MB / elapsed
        print(
            f"large SIP: {large.bytes / MB:.0f} MB in {objects} objects: {outcome} in {elapsed:.1f} s "
            f"= {rate:.1f} MB/s, ratio to raw {rate / raw:.2f}"
        )

        small = build_sip(
            folder / "small.zip",
            (
                Document(
                    f"Délibération {i}",
                    f"deliberation-{i}.txt",
                    (f"Délibération n°{i}\n" * (args.small_bytes // 20)).encode(),
                )
                for i in range(args.small)
            ),
        )
        elapsed, units, objects, outcome = ingest_once(folder, small.path)
        print(
            f"small SIP: {units} units, {objects} objects, {small.bytes / MB:.1f} MB: {outcome} "
            f"in {elapsed:.1f} s = {units / elapsed:.0f} units/s, {objects / elapsed:.0f} objects/s"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
