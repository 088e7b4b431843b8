"""The production example, end to end: a platform whose strategy writes every object to a folder
offer and to an S3 offer (moto, a real server on loopback) ingests a reference SIP; both offers
then hold the same keys and bytes, the offer audit finds nothing to say, and the index rebuilt
from the S3 offer alone is the index that was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from s3_support import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, MotoServer, S3Bucket
from sqlalchemy import select
from support import FIXTURES, make_platform, rebuilt_from_offer
from test_audit import binaries, ingest
from test_offer_audit import audit_offers

from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.platform import Platform
from archipel.storage import layout
from archipel.storage.filesystem import FileSystemOffer
from archipel.storage.s3 import SHA512_METADATA, S3Offer

SIP = FIXTURES / "sip" / "ok" / "OK_SIP_2_GO.zip"  # 4 binaries: an ODT of 68 kB, PDFs of 29 kB
PREFIX = "metropole"
MULTIPART_THRESHOLD = 50_000
"""Between the ODT and the PDFs: both ways of writing an object are taken."""


def settings_file(endpoint_url: str, bucket: str, prefix: str = PREFIX, **options: int) -> str:
    """What an operator writes in `archipel.toml`: a folder offer and an S3 offer (`options`: more
    settings of the S3 offer, such as its timeouts)."""
    more = "".join(f"{name} = {value}\n" for name, value in options.items())
    return f"""
[[offers]]
name = "offer-1"
kind = "filesystem"

[[offers]]
name = "offer-2"
kind = "s3"
endpoint_url = "{endpoint_url}"
bucket = "{bucket}"
prefix = "{prefix}"
region = "{REGION}"
access_key_id = "{ACCESS_KEY_ID}"
secret_access_key = "{SECRET_ACCESS_KEY}"
{more}"""


@dataclass
class Archive:
    platform: Platform
    bucket: S3Bucket
    operation_id: str


@pytest.fixture(scope="module")
def archive(s3_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """One ingest for the module's tests, which only read (the rebuild writes to tenant 0 only)."""
    bucket = s3_server.bucket()
    home = tmp_path_factory.mktemp("s3-platform") / "home"
    home.mkdir()
    settings = settings_file(s3_server.endpoint_url, bucket.name, multipart_threshold=MULTIPART_THRESHOLD)
    (home / "archipel.toml").write_text(settings, encoding="utf-8")
    platform = make_platform(home, f"sqlite:///{home / 'archipel.db'}")
    try:
        yield Archive(platform, bucket, ingest(platform, 1, SIP))
    finally:
        platform.close()
        bucket.remove()


def test_the_strategy_holds_a_folder_offer_and_an_s3_offer(archive: Archive) -> None:
    folder, s3 = archive.platform.storage.offers

    assert isinstance(folder, FileSystemOffer) and isinstance(s3, S3Offer)
    assert (s3.name, s3.placement.bucket, s3.placement.prefix) == (
        "offer-2",
        archive.bucket.name,
        f"{PREFIX}/",
    )


def test_every_object_is_on_both_offers_with_its_sha512(archive: Archive) -> None:
    objects = binaries(archive.platform, 1)
    folder, s3 = archive.platform.storage.offers
    multipart = 0
    for stored in objects:
        key = layout.object_key(1, stored.id)
        assert folder.digest(key) == s3.digest(key) == stored.sha512
        head = archive.bucket.client.head_object(Bucket=archive.bucket.name, Key=f"{PREFIX}/{key}")
        assert head["Metadata"] == {SHA512_METADATA: stored.sha512} and head["ContentLength"] == stored.size
        multipart += head["ETag"].strip('"').endswith("-1")
    assert len(objects) == 4 and multipart == sum(stored.size > MULTIPART_THRESHOLD for stored in objects) > 0

    tenant = layout.tenant_prefix(1)
    assert list(folder.list(tenant)) == list(s3.list(tenant))
    assert len(list(s3.list(tenant))) > len(objects)  # documents, manifest, reply, logbook too


def test_the_offer_audit_finds_no_fault(archive: Archive) -> None:
    report = audit_offers(archive.platform)

    assert report.faults == [] and report.outcome.value == "OK"
    assert report.keys > 4 and report.bytes_read > 0


def test_the_index_rebuilt_from_the_s3_offer_is_the_index_that_was(archive: Archive, tmp_path: Path) -> None:
    before = index(archive.platform)

    with rebuilt_from_offer(archive.platform, tmp_path) as rebuilt:
        assert [offer.name for offer in rebuilt.storage.offers] == ["offer-1", "offer-2"]
        assert index(rebuilt) == before
        stored = binaries(rebuilt, 1)[0]
        assert stored.sha512 is not None
        data = rebuilt.storage.read_verified(layout.object_key(1, stored.id), stored.sha512)
        assert len(data) == stored.size


def index(platform: Platform) -> dict[str, object]:
    """What the index knows of tenant 1: its units and its objects with their digests."""
    with platform.database.unit_of_work() as session:
        units = session.scalars(select(ArchiveUnit).where(ArchiveUnit.tenant_id == 1))
        objects = session.scalars(select(DataObject).where(DataObject.tenant_id == 1))
        return {
            "units": sorted((unit.id, unit.title) for unit in units),
            "objects": sorted((obj.id, obj.kind, obj.size, obj.sha512) for obj in objects),
        }
