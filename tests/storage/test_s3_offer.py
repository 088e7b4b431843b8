"""The S3 offer's own promises, against a real S3 server (moto, in its own process on 127.0.0.1).

The promises every offer keeps are in `test_offer_conformance.py`, run on S3 too; here: large
objects by multipart upload, listings longer than a page, the key order shared with the
filesystem offer, the README, the prefix, a bucket per tenant, conditional writes, cleaning
interrupted uploads without disturbing live ones, errors naming what failed, and the settings.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError
from s3_support import S3Bucket, connection, free_port
from test_offer_conformance import KEY, PART, keys, putting_from_a_fifo, sha512, wait_until

from archipel.core.errors import ConfigurationError, IntegrityFault
from archipel.core.settings import OfferSettings, load_settings
from archipel.storage.filesystem import FileSystemOffer, offer_readme
from archipel.storage.offer import README, InvalidKey, ObjectMissing, OfferError
from archipel.storage.offers import build_offer
from archipel.storage.s3 import SHA512_METADATA, Placement, S3Location, S3Offer

DATA = "Registre des délibérations\n".encode() * 100

# -- large objects -------------------------------------------------------------------------------


def multipart_offer(bucket: S3Bucket) -> S3Offer:
    return bucket.offer(multipart_threshold=PART, part_size=PART)


def test_a_file_above_the_threshold_goes_by_multipart_upload(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    data = os.urandom(2 * PART + 12345)
    source = tmp_path / "scan.tiff"
    source.write_bytes(data)

    multipart_offer(s3_bucket).put(KEY, source, sha512(data))

    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=KEY)
    assert head["ETag"].strip('"').endswith("-3")  # three parts: 5 MiB, 5 MiB, the rest
    assert head["Metadata"] == {SHA512_METADATA: sha512(data)}
    assert multipart_offer(s3_bucket).digest(KEY) == sha512(data)
    assert s3_bucket.uploads() == []


def test_a_file_at_the_threshold_goes_in_one_request(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    data = os.urandom(PART)
    source = tmp_path / "scan.tiff"
    source.write_bytes(data)

    multipart_offer(s3_bucket).put(KEY, source, sha512(data))

    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=KEY)
    assert "-" not in head["ETag"] and head["Metadata"] == {SHA512_METADATA: sha512(data)}


def test_a_large_source_that_does_not_match_is_aborted_before_it_takes_the_key(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    source = tmp_path / "scan.tiff"
    source.write_bytes(os.urandom(PART + 1))

    with pytest.raises(IntegrityFault, match="nothing was stored"):
        multipart_offer(s3_bucket).put(KEY, source, sha512(b"other bytes"))

    assert s3_bucket.names() == [README] and s3_bucket.uploads() == []


def test_a_source_of_unknown_size_goes_by_multipart_upload(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    """A pipe has no size to put in one request: it is sent part after part as it comes."""
    fifo = tmp_path / "source"
    os.mkfifo(fifo)
    data = os.urandom(PART + 99)
    feeding = threading.Thread(target=lambda: fifo.write_bytes(data))
    feeding.start()

    multipart_offer(s3_bucket).put(KEY, fifo, sha512(data))

    feeding.join()
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=KEY)
    assert head["ETag"].strip('"').endswith("-2") and head["ContentLength"] == len(data)


def test_restore_replaces_a_damaged_copy_by_a_multipart_upload(s3_bucket: S3Bucket) -> None:
    offer = s3_bucket.offer()
    offer.put(KEY, DATA, sha512(DATA))
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=KEY, Body=b"rotten")

    assert offer.restore(KEY, DATA, sha512(DATA)) is True

    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=KEY)
    assert head["ETag"].strip('"').endswith("-1") and head["Metadata"] == {SHA512_METADATA: sha512(DATA)}
    assert offer.digest(KEY) == sha512(DATA)


# -- listing -------------------------------------------------------------------------------------


@pytest.mark.slow  # moto answers ~120 requests a second: 8 s to store the keys
def test_lists_beyond_one_page_of_a_thousand_keys(s3_bucket: S3Bucket) -> None:
    names = [f"tenants/1/units/0193/a1b2/{number:05d}.json" for number in range(1001)]
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda name: s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=name, Body=b"{}"), names
            )
        )
    offer = s3_bucket.offer()

    assert keys(offer.list()) == names
    assert keys(offer.list("tenants/1/units/0193/a1b2/009")) == names[900:1000]
    assert {entry.size for entry in offer.list()} == {2}


ORDERED = ["o/Z", "o/a-", "o/a/b", "o/a0", "o/z", "o/ß", "o/é", "o/\uffff", "o/😀", "o/a/é/x", "o/a./y"]
"""Keys whose order differs between UTF-16 (😀 before \\uffff), case-folding, or a listing that
puts folders first or last."""


def test_lists_in_the_same_order_as_the_filesystem_offer(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    """S3 orders keys by their UTF-8 bytes, the filesystem offer by code points: the same order,
    which the offer audit needs to merge listings of both kinds."""
    s3, folder = s3_bucket.offer(), FileSystemOffer("fs", tmp_path / "offer")
    for offer in (s3, folder):
        for key in ORDERED:
            offer.put(key, key.encode(), sha512(key.encode()))

    expected = sorted(ORDERED, key=lambda key: key.encode("utf-8"))
    assert keys(s3.list()) == expected == keys(folder.list()) == sorted(ORDERED)
    assert keys(s3.list("o/a")) == keys(folder.list("o/a"))


def test_lists_only_archive_objects(s3_bucket: S3Bucket) -> None:
    """A console's folder marker, a dot folder or the README are no keys of the offer."""
    offer = s3_bucket.offer()
    offer.put(KEY, DATA, sha512(DATA))
    for name in ("tenants/", "tenants/1/.hidden", "a//b", "tenants/1/objects/"):
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=name, Body=b"")

    assert keys(offer.list()) == [KEY]


# -- README and prefix ---------------------------------------------------------------------------


def test_writes_the_readme_at_its_first_write_and_keeps_an_existing_one(
    s3_buckets: Callable[..., S3Bucket],
) -> None:
    fresh, noted = s3_buckets(), s3_buckets()
    noted.client.put_object(Bucket=noted.name, Key=README, Body=b"Notes of the archivist")

    for bucket in (fresh, noted):
        bucket.offer().put(KEY, DATA, sha512(DATA))

    assert fresh.client.get_object(Bucket=fresh.name, Key=README)["Body"].read() == offer_readme()
    assert noted.client.get_object(Bucket=noted.name, Key=README)["Body"].read() == b"Notes of the archivist"
    assert keys(fresh.offer().list()) == [KEY]


def test_a_prefix_keeps_the_keys_unchanged_below_it(s3_bucket: S3Bucket) -> None:
    region_a, region_b = (
        s3_bucket.offer(prefix="archipel/region-a/"),
        s3_bucket.offer(prefix="archipel/region-b"),
    )
    region_a.put(KEY, DATA, sha512(DATA))

    assert s3_bucket.names() == [f"archipel/region-a/{README}", f"archipel/region-a/{KEY}"]
    assert keys(region_a.list()) == [KEY] and region_a.digest(KEY) == sha512(DATA)
    assert keys(region_b.list()) == [] and not region_b.exists(KEY)


@pytest.mark.parametrize("prefix", ["../x", "a//b", ".tmp", "a\\b"])
def test_refuses_a_prefix_that_is_no_plain_path(prefix: str) -> None:
    with pytest.raises(InvalidKey):
        Placement("archives", prefix)


# -- a bucket per tenant -------------------------------------------------------------------------


def test_places_each_tenants_keys_in_its_bucket_and_the_rest_in_the_shared_one() -> None:
    placement = Placement("archipel-shared", "p", "archipel-{tenant}")

    assert placement.locate("tenants/1/tenant.json") == S3Location(
        "archipel-1", "p/tenants/1/tenant.json", "tenants/1/tenant.json"
    )
    assert placement.bucket_of("tenants/0/objects/x") == "archipel-0"
    assert placement.bucket_of("tenants/01/x") == "archipel-shared"  # not a tenant number of the layout
    assert placement.bucket_of("tenants/x") == placement.bucket_of("notes.txt") == "archipel-shared"
    assert [placement.tenant_of(name) for name in ("archipel-12", "archipel-shared", "archipel-01")] == [
        12,
        None,
        None,
    ]


def test_lists_only_the_buckets_a_prefix_reaches() -> None:
    placement = Placement("shared", tenant_bucket="t-{tenant}")
    tenants = [1, 2, 10]

    def never() -> list[int]:
        raise AssertionError("no listing of buckets needed")

    assert placement.buckets_for("tenants/1/units/", never) == ["t-1"]
    assert placement.buckets_for("notes", never) == ["shared"]
    assert placement.buckets_for("tenants/1", lambda: tenants) == ["shared", "t-1", "t-10"]
    assert placement.buckets_for("", lambda: tenants) == ["shared", "t-1", "t-10", "t-2"]
    assert Placement("shared").buckets_for("", never) == ["shared"]


@pytest.mark.parametrize("template", ["archipel", "archipel-{tenant}-{tenant}", "archipel-{other}"])
def test_refuses_a_tenant_bucket_template_without_one_tenant(template: str) -> None:
    with pytest.raises(ConfigurationError):
        Placement("shared", tenant_bucket=template)


def test_a_bucket_per_tenant_on_the_server(s3_buckets: Callable[..., S3Bucket]) -> None:
    shared = s3_buckets()
    template = f"{shared.name}-t{{tenant}}"
    tenant_buckets = {
        tenant: s3_buckets(template.format(tenant=tenant), create=False) for tenant in (1, 2, 10)
    }
    offer = S3Offer(
        "s3",
        Placement(shared.name, "", template),
        connection(shared.server.endpoint_url),
        create_buckets=True,
    )
    written = [
        "tenants/1/tenant.json",
        "tenants/10/tenant.json",
        "tenants/2/units/x/000001.json",
        "notes/inventaire.txt",
    ]
    for key in written:
        offer.put(key, key.encode(), sha512(key.encode()))

    assert tenant_buckets[1].names() == [README, "tenants/1/tenant.json"]
    assert tenant_buckets[10].names() == [README, "tenants/10/tenant.json"]
    assert tenant_buckets[2].names() == [README, "tenants/2/units/x/000001.json"]
    assert shared.names() == [README, "notes/inventaire.txt"]
    assert keys(offer.list()) == sorted(written)
    assert keys(offer.list("tenants/1")) == ["tenants/1/tenant.json", "tenants/10/tenant.json"]
    assert keys(offer.list("tenants/3/")) == []  # no bucket yet: nothing
    assert offer.digest("tenants/10/tenant.json") == sha512(b"tenants/10/tenant.json")
    assert not offer.exists("tenants/3/tenant.json")


# -- conditional writes --------------------------------------------------------------------------


class RacedS3Offer(S3Offer):
    """Another writer stores its bytes at the key after this one found it free, before it writes."""

    other_bytes = b"the other writer's bytes"

    def _store(
        self, where: S3Location, source: Path | bytes, expected: str, condition: dict[str, str]
    ) -> None:
        other = S3Offer("other writer", self.placement, self.connection)
        other.put(where.key, self.other_bytes, sha512(self.other_bytes))
        super()._store(where, source, expected, condition)


def raced(bucket: S3Bucket) -> RacedS3Offer:
    return RacedS3Offer("s3", Placement(bucket.name), connection(bucket.server.endpoint_url))


def test_the_server_is_found_to_honour_conditional_writes(s3_bucket: S3Bucket) -> None:
    offer = s3_bucket.offer()
    offer.put(KEY, DATA, sha512(DATA))

    assert offer._conditional_writes is True
    assert s3_bucket.names() == [README, KEY]  # the probe is gone


def test_never_replaces_bytes_a_concurrent_writer_stored(s3_bucket: S3Bucket) -> None:
    offer = raced(s3_bucket)

    with pytest.raises(OfferError, match="already exists"):
        offer.put(KEY, DATA, sha512(DATA))

    assert offer.digest(KEY) == sha512(RacedS3Offer.other_bytes) and s3_bucket.uploads() == []


def test_never_replaces_bytes_a_concurrent_writer_stored_during_a_multipart_upload(
    s3_bucket: S3Bucket,
) -> None:
    offer = raced(s3_bucket)
    offer.multipart_threshold = 0
    data = os.urandom(PART + 1)

    with pytest.raises(OfferError, match="already exists"):
        offer.put(KEY, data, sha512(data))

    assert offer.digest(KEY) == sha512(RacedS3Offer.other_bytes) and s3_bucket.uploads() == []


def test_accepts_a_concurrent_writer_of_the_same_bytes(s3_bucket: S3Bucket) -> None:
    offer = raced(s3_bucket)
    offer.other_bytes = DATA

    offer.put(KEY, DATA, sha512(DATA))

    assert offer.digest(KEY) == sha512(DATA)


def test_without_conditional_writes_a_written_key_is_still_never_overwritten(s3_bucket: S3Bucket) -> None:
    """Check-then-write: the key is read before the write (the race it leaves is documented)."""
    offer = s3_bucket.offer(conditional_writes=False)
    offer.put(KEY, DATA, sha512(DATA))
    offer.put(KEY, DATA, sha512(DATA))

    with pytest.raises(OfferError, match="already exists"):
        offer.put(KEY, b"a forged version", sha512(b"a forged version"))

    assert offer.digest(KEY) == sha512(DATA) and s3_bucket.names() == [README, KEY]


# -- interrupted uploads -------------------------------------------------------------------------


def test_cleaning_spares_an_upload_in_progress(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    """Every CLI command cleans at start-up, possibly while the server is writing."""
    data = os.urandom(PART + 10)
    with putting_from_a_fifo(multipart_offer(s3_bucket), tmp_path / "source", data) as feed:
        os.write(feed, data[:PART])
        wait_until(lambda: bool(s3_bucket.uploads()) and parts_of(s3_bucket) > 0, "the first part")

        assert s3_bucket.offer().clean_temporary() == 0

        os.write(feed, data[PART:])


def parts_of(bucket: S3Bucket) -> int:
    upload = bucket.uploads()[0]
    listed = bucket.client.list_parts(Bucket=bucket.name, Key=upload["Key"], UploadId=upload["UploadId"])
    return len(listed.get("Parts", ()))


def test_cleaning_aborts_uploads_silent_for_longer_than_the_grace(s3_bucket: S3Bucket) -> None:
    client, bucket = s3_bucket.client, s3_bucket.name
    upload = client.create_multipart_upload(Bucket=bucket, Key=KEY)
    client.upload_part(Bucket=bucket, Key=KEY, UploadId=upload["UploadId"], PartNumber=1, Body=b"partial")

    assert s3_bucket.offer().clean_temporary() == 0  # a day of grace by default
    wait_until(lambda: s3_bucket.offer(upload_grace_seconds=1).clean_temporary() == 1, "the upload aborted")

    assert s3_bucket.uploads() == []


# -- errors --------------------------------------------------------------------------------------


@pytest.fixture
def unreachable() -> S3Offer:
    """An offer whose server is down: nothing listens on its port."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    return S3Offer(
        "s3-down", Placement("archives"), connection(endpoint, connect_timeout=0.5, max_attempts=1)
    )


@pytest.mark.parametrize(
    "use",
    [
        lambda offer: offer.put(KEY, DATA, sha512(DATA)),
        lambda offer: offer.restore(KEY, DATA, sha512(DATA)),
        lambda offer: offer.open(KEY),
        lambda offer: offer.digest(KEY),
        lambda offer: offer.exists(KEY),
        lambda offer: offer.size(KEY),
        lambda offer: offer.delete(KEY),
    ],
    ids=["put", "restore", "open", "digest", "exists", "size", "delete"],
)
def test_a_server_down_is_an_offer_error_naming_offer_bucket_and_key(
    unreachable: S3Offer, use: Callable[[S3Offer], object]
) -> None:
    with pytest.raises(OfferError) as raised:
        use(unreachable)

    assert not isinstance(raised.value, ObjectMissing)
    message = str(raised.value)
    assert "offer s3-down" in message and "s3://archives/" in message and KEY in message


def test_a_server_down_fails_listing_and_cleaning_naming_the_bucket(unreachable: S3Offer) -> None:
    for use in (lambda: list(unreachable.list("tenants/1/")), unreachable.clean_temporary):
        with pytest.raises(OfferError, match=r"offer s3-down: .*s3://archives/"):
            use()


def test_a_missing_bucket_is_named(s3_bucket: S3Bucket) -> None:
    offer = S3Offer("s3", Placement(f"{s3_bucket.name}-gone"), connection(s3_bucket.server.endpoint_url))

    with pytest.raises(ObjectMissing, match="no such bucket"):
        offer.open(KEY)
    with pytest.raises(OfferError, match=f"{s3_bucket.name}-gone"):
        offer.put(KEY, DATA, sha512(DATA))


def test_a_read_failure_mid_stream_is_an_offer_error(s3_bucket: S3Bucket) -> None:
    offer = s3_bucket.offer()
    offer.put(KEY, DATA, sha512(DATA))

    with offer.open(KEY) as stream:
        stream._body.close()  # type: ignore[attr-defined]  # the connection lost under the reader
        with pytest.raises(OfferError, match=KEY):
            stream.read()


# -- settings ------------------------------------------------------------------------------------


def test_an_s3_offer_without_a_bucket_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="offer archives: an s3 offer needs a bucket"):
        load_settings(tmp_path, offers=[{"name": "archives", "kind": "s3"}])


@pytest.mark.parametrize(
    "fields",
    [
        {"bucket": "Archives_1"},
        {"bucket": "archives", "tenant_bucket": "archives"},
        {"bucket": "archives", "access_key_id": "AKIA"},
        {"bucket": "archives", "path": "offers/s3"},
        {"bucket": "archives", "part_size": 1024},
    ],
    ids=["bucket-name", "template", "half-credentials", "path", "part-size"],
)
def test_refuses_s3_settings_that_cannot_work(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OfferSettings(name="s3", kind="s3", **fields)


def test_builds_the_offer_the_settings_describe(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        offers=[
            {"name": "offer-1"},
            {
                "name": "offer-2",
                "kind": "s3",
                "endpoint_url": "http://127.0.0.1:9",
                "bucket": "archipel",
                "tenant_bucket": "archipel-{tenant}",
                "prefix": "region-a",
                "access_key_id": "AKIAEXAMPLE",
                "secret_access_key": "a secret",
                "multipart_threshold": 1024,
                "max_attempts": 2,
            },
        ],
    )
    folder, s3 = (build_offer(offer) for offer in settings.offers)

    assert isinstance(folder, FileSystemOffer) and folder.root == tmp_path.resolve() / "offers" / "offer-1"
    assert isinstance(s3, S3Offer) and s3.name == "offer-2"
    assert s3.placement == Placement("archipel", "region-a/", "archipel-{tenant}")
    assert s3.connection.secret_access_key == "a secret" and s3.connection.max_attempts == 2
    assert s3.multipart_threshold == 1024
    assert "a secret" not in repr(settings) and "a secret" not in repr(s3.connection)


def test_credentials_unset_come_from_the_aws_chain(
    monkeypatch: pytest.MonkeyPatch, s3_bucket: S3Bucket
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    offer = build_offer(
        OfferSettings(
            name="s3",
            kind="s3",
            endpoint_url=s3_bucket.server.endpoint_url,
            bucket=s3_bucket.name,
            region="us-east-1",
        )
    )

    offer.put(KEY, DATA, sha512(DATA))

    assert offer.digest(KEY) == hashlib.sha512(DATA).hexdigest()
