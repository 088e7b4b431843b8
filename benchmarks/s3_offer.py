"""S3 offer throughput, put and get, against plain boto3 calls on the very same server.

Run by hand: `python benchmarks/s3_offer.py [--small 200] [--small-kb 64] [--large 2] [--large-mb 128]`
(with the dev extras: it starts moto's S3 server on 127.0.0.1, as the tests do), or against a
real server with `--endpoint-url URL --bucket NAME` (credentials from the AWS chain).
For small objects (one PUT each) and large ones (above the multipart threshold, so multipart
uploads of 16 MiB parts), prints MB/s and objects/s of:
1. raw: boto3 `put_object` (small) or `upload_file` (large, s3transfer's multipart) and a
   `get_object` read through, no verification, no bookkeeping;
2. offer: `S3Offer.put` (the key read first, the conditional write, the whole object read back
   and hashed) and `S3Offer.digest` (a read with SHA-512);
and the offer's ratio to raw: the price of verified, never-overwriting writes on that server.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' moto server
from s3_support import MotoServer, connection

from archipel.storage.s3 import Placement, S3Connection, S3Offer

MB = 1024 * 1024


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def report(label: str, count: int, total: int, raw: float, offer: float) -> None:
    print(
        f"{label:<22} raw {total / MB / raw:8.1f} MB/s {count / raw:7.1f} obj/s   "
        f"offer {total / MB / offer:8.1f} MB/s {count / offer:7.1f} obj/s   offer/raw {raw / offer:.2f}"
    )


def measure(client: Any, offer: S3Offer, sources: list[Path], label: str) -> None:
    """Raw boto3 then the offer, writing then reading the same files under distinct names."""
    bucket = offer.placement.bucket
    total = sum(path.stat().st_size for path in sources)
    digests = [hashlib.sha512(path.read_bytes()).hexdigest() for path in sources]
    raw_names = [f"raw/{uuid.uuid4()}" for _ in sources]
    keys = [f"tenants/1/objects/{uuid.uuid4()}" for _ in sources]

    def raw_put() -> None:
        for path, name in zip(sources, raw_names, strict=True):
            if path.stat().st_size > offer.multipart_threshold:
                client.upload_file(str(path), bucket, name)
            else:
                with path.open("rb") as body:
                    client.put_object(Bucket=bucket, Key=name, Body=body)

    def raw_get() -> None:
        for name in raw_names:
            body = client.get_object(Bucket=bucket, Key=name)["Body"]
            while body.read(MB):
                pass

    def offer_put() -> None:
        for path, key, digest in zip(sources, keys, digests, strict=True):
            offer.put(key, path, digest)

    def offer_get() -> None:
        for key, digest in zip(keys, digests, strict=True):
            assert offer.digest(key) == digest

    report(f"{label} put", len(sources), total, timed(raw_put), timed(offer_put))
    report(f"{label} get", len(sources), total, timed(raw_get), timed(offer_get))


def files(folder: Path, count: int, size: int, name: str) -> list[Path]:
    made = []
    for number in range(count):
        path = folder / f"{name}-{number}"
        path.write_bytes(os.urandom(size))
        made.append(path)
    return made


def sha512_rate(paths: list[Path]) -> float:
    """MB/s of SHA-512 over the files (from the page cache): the bound of any verified read."""

    def hash_all() -> None:
        for path in paths:
            hashlib.sha512(path.read_bytes()).hexdigest()

    return sum(path.stat().st_size for path in paths) / MB / timed(hash_all)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--small-kb", type=int, default=64)
    parser.add_argument("--large", type=int, default=2)
    parser.add_argument("--large-mb", type=int, default=128)
    parser.add_argument("--endpoint-url", help="a real S3 server (default: moto on 127.0.0.1)")
    parser.add_argument("--bucket", help="with --endpoint-url: an existing bucket to write to")
    args = parser.parse_args()
    if bool(args.endpoint_url) != bool(args.bucket):
        parser.error("--endpoint-url and --bucket go together")
    server = None if args.endpoint_url else MotoServer().start()
    try:
        if server is None:
            link, bucket = S3Connection(endpoint_url=args.endpoint_url), args.bucket
        else:
            link, bucket = connection(server.endpoint_url), f"bench-{uuid.uuid4().hex[:12]}"
            link.client().create_bucket(Bucket=bucket)
        offer = S3Offer("bench", Placement(bucket, f"bench-{uuid.uuid4().hex[:8]}"), link)
        print(f"server: {args.endpoint_url or 'moto ' + server.endpoint_url}, bucket {bucket}")
        with tempfile.TemporaryDirectory(prefix="archipel-s3-") as folder:
            small = files(Path(folder), args.small, args.small_kb * 1024, "small")
            large = files(Path(folder), args.large, args.large_mb * MB, "large")
            print(f"SHA-512 of the sources: {sha512_rate(large):.0f} MB/s (one core)")
            offer.put(
                "tenants/1/warm-up", b"warm-up", hashlib.sha512(b"warm-up").hexdigest()
            )  # probe, README
            measure(link.client(), offer, small, f"{args.small} × {args.small_kb} KiB")
            measure(link.client(), offer, large, f"{args.large} × {args.large_mb} MiB")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
