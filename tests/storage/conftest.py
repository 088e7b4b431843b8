"""Fixtures of the storage tests: a real S3 server (moto) for the session, fresh buckets per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from s3_support import MotoServer, S3Bucket


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoServer]:
    """Started on first use, once per test process (each xdist worker has its own)."""
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def s3_buckets(s3_server: MotoServer) -> Iterator[Callable[..., S3Bucket]]:
    """Makes buckets (`s3_buckets()`, or `s3_buckets(name, create=False)` for one an offer will
    create); every one is emptied and deleted after the test."""
    made: list[S3Bucket] = []

    def bucket(name: str | None = None, create: bool = True) -> S3Bucket:
        made.append(s3_server.bucket(name, create))
        return made[-1]

    yield bucket
    for each in made:
        each.remove()


@pytest.fixture
def s3_bucket(s3_buckets: Callable[..., S3Bucket]) -> S3Bucket:
    return s3_buckets()
