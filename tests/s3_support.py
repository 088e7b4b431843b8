"""A real S3 server for tests: moto's, in a process of its own on 127.0.0.1, and buckets in it.

One server per test process (each pytest-xdist worker starts its own, on a free port); each
test takes fresh buckets, emptied and removed afterwards. Tests misbehave through `client`, a
plain boto3 client, behind the offer's back; the offer itself is never mocked.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from archipel.storage.s3 import Placement, S3Connection, S3Offer

REGION = "us-east-1"
ACCESS_KEY_ID = SECRET_ACCESS_KEY = "testing"
START_SECONDS = 30


def connection(endpoint_url: str, **options: Any) -> S3Connection:
    return S3Connection(
        endpoint_url=endpoint_url,
        region=REGION,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
        **options,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MotoServer:
    """`python -m moto.server` on a free loopback port: a separate process, as a real server is."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint_url = ""

    def start(self) -> MotoServer:
        for _ in range(3):  # the free port may be taken between the probe and the server's bind
            port = free_port()
            self.endpoint_url = f"http://127.0.0.1:{port}"
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._answers():
                return self
            self.stop()
        raise RuntimeError("the moto S3 server did not start")

    def _answers(self) -> bool:
        client = self.client(connect_timeout=1, read_timeout=5, max_attempts=1)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.process is not None and self.process.poll() is None:
            try:
                client.list_buckets()
                return True
            except Exception:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def client(self, **options: Any) -> Any:
        """A plain boto3 client of this server, for tests to do what the offer would not."""
        return connection(self.endpoint_url, **options).client()

    def bucket(self, name: str | None = None, create: bool = True) -> S3Bucket:
        bucket = S3Bucket(self, name or f"test-{uuid.uuid4().hex[:20]}", self.client(max_attempts=2))
        if create:
            bucket.client.create_bucket(Bucket=bucket.name)
        return bucket


@dataclass
class S3Bucket:
    server: MotoServer
    name: str
    client: Any

    def offer(self, name: str = "s3", prefix: str = "", **options: Any) -> S3Offer:
        return S3Offer(name, Placement(self.name, prefix), connection(self.server.endpoint_url), **options)

    def names(self, prefix: str = "") -> list[str]:
        """Every object name in the bucket, as S3 lists them."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", ())]

    def uploads(self) -> list[dict[str, Any]]:
        """The multipart uploads begun and neither completed nor aborted."""
        return list(self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", ()))

    def remove(self) -> None:
        """Empties the bucket (objects, unfinished uploads) and deletes it; a missing one is fine."""
        if self.name not in {bucket["Name"] for bucket in self.client.list_buckets()["Buckets"]}:
            return
        for upload in self.uploads():
            upload_id = upload["UploadId"]
            self.client.abort_multipart_upload(Bucket=self.name, Key=upload["Key"], UploadId=upload_id)
        for batch in _batches(self.names(), 1000):
            objects = [{"Key": name} for name in batch]
            try:
                self.client.delete_objects(Bucket=self.name, Delete={"Objects": objects})
            except ClientError:  # moto fails a batch naming some characters (emoji): one by one then
                for name in batch:
                    self.client.delete_object(Bucket=self.name, Key=name)
        self.client.delete_bucket(Bucket=self.name)


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
