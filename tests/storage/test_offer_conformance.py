"""What every storage offer promises (archipel/storage/offer.py), checked once for every kind.

An offer kind joins the suite by adding a factory to `OFFER_KINDS`: the factory gives the
offer and the means to misbehave that the tests need (damage a stored copy behind the
offer's back, alter a copy between write and read-back, kill a writer mid-write); it gets the
test's request to ask for the fixtures it needs (the S3 kind: a bucket on a real server). The
filesystem offer's own promises (plain files, README, `.tmp`) follow the generic suite; the
S3 offer's are in `test_s3_offer.py`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from s3_support import S3Bucket

from archipel.core.errors import IntegrityFault, NotFound
from archipel.storage.filesystem import TEMPORARY, TEMPORARY_GRACE_SECONDS, FileSystemOffer, offer_readme
from archipel.storage.offer import (
    README,
    InvalidKey,
    ObjectMissing,
    Offer,
    OfferEntry,
    OfferError,
    validate_key,
    validate_prefix,
)
from archipel.storage.s3 import Placement, S3Location, S3Offer

KEY = "tenants/1/objects/0193/a1b2/0193a1b2-c3d4-7e5f-8a6b-0c1d2e3f4a5b"
DATA = "Délibération du conseil municipal\n".encode() * 100


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.01)


@dataclass
class OfferUnderTest:
    """An offer, and ways to make it meet the accidents it must survive."""

    offer: Offer
    damage: Callable[[str, bytes], None]
    """Replaces the stored bytes of a key behind the offer's back (bit rot, a careless hand)."""
    altering_writes: Callable[[], Offer]
    """An offer of the same kind whose copies get altered between the write and the read-back."""
    kill_a_writer_mid_put: Callable[[], None]
    """Kills a process while it writes to the offer (SIGKILL)."""
    leftovers: Callable[[], int]
    """How many traces of unfinished writes the offer holds."""


# -- the filesystem offer ------------------------------------------------------------------------


class AlteringFileSystemOffer(FileSystemOffer):
    """Flips a byte of each copy after it is written and synced, before it is read back."""

    def _receive(self, key: str, source: Path | bytes) -> Path:
        temporary = super()._receive(key, source)
        with temporary.open("r+b") as copy:
            first = copy.read(1)
            copy.seek(0)
            copy.write(bytes([first[0] ^ 0xFF]))
        return temporary


WRITER = """
import sys
from pathlib import Path
from archipel.storage.filesystem import FileSystemOffer
offer = FileSystemOffer("writer", Path(sys.argv[1]))
offer.put("tenants/1/objects/interrupted", Path(sys.argv[2]), "0" * 128)
"""


def open_feed(fifo: Path, writer: subprocess.Popen[bytes] | None = None) -> int:
    """The writing end of a FIFO, once its reader (the offer's put) has opened it."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            if (writer is not None and writer.poll() is not None) or time.monotonic() > deadline:
                raise AssertionError("the writer never started reading its source") from None
            time.sleep(0.01)


def filesystem_offer(request: pytest.FixtureRequest, tmp_path: Path) -> OfferUnderTest:
    root = tmp_path / "offer"
    offer = FileSystemOffer("fs", root)

    def damage(key: str, data: bytes) -> None:
        (root / key).write_bytes(data)

    def kill_a_writer_mid_put() -> None:
        """A real process, blocked mid-copy on a FIFO source, killed with SIGKILL."""
        fifo = tmp_path / f"source-{time.monotonic_ns()}"
        os.mkfifo(fifo)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(fifo)])
        feed = open_feed(fifo, writer)
        try:
            os.write(feed, b"the first bytes of a large object")
            wait_until(lambda: leftovers() > 0, "the writer's temporary file")
            writer.kill()
            writer.wait()
        finally:
            os.close(feed)

    def leftovers() -> int:
        return len(list((root / TEMPORARY).iterdir()))

    return OfferUnderTest(
        offer,
        damage,
        lambda: AlteringFileSystemOffer("altering", tmp_path / "altering"),
        kill_a_writer_mid_put,
        leftovers,
    )


# -- the S3 offer --------------------------------------------------------------------------------

S3_GRACE_SECONDS = 0.5
"""The grace of the offers under test, so a killed writer's upload is soon silent long enough."""
PART = 5 * 1024 * 1024
"""S3's smallest part but the last."""


class AlteringS3Offer(S3Offer):
    """Flips a byte of each stored object after it is written, before it is read back."""

    def _store(
        self, where: S3Location, source: Path | bytes, expected: str, condition: dict[str, str]
    ) -> None:
        super()._store(where, source, expected, condition)
        data = bytearray(self._client.get_object(**where.args())["Body"].read())
        data[0] ^= 0xFF
        self._client.put_object(**where.args(), Body=bytes(data))


S3_WRITER = """
import sys
from pathlib import Path
from archipel.storage.s3 import Placement, S3Connection, S3Offer
endpoint, bucket, source = sys.argv[1:]
connection = S3Connection(endpoint, "us-east-1", "testing", "testing")
offer = S3Offer("writer", Placement(bucket), connection, part_size=5 * 1024 * 1024)
offer.put("tenants/1/objects/interrupted", Path(source), "0" * 128)
"""


def s3_offer(request: pytest.FixtureRequest, tmp_path: Path) -> OfferUnderTest:
    make_bucket: Callable[[], S3Bucket] = request.getfixturevalue("s3_buckets")
    bucket = make_bucket()
    offer = bucket.offer(upload_grace_seconds=S3_GRACE_SECONDS)

    def damage(key: str, data: bytes) -> None:
        bucket.client.put_object(Bucket=bucket.name, Key=key, Body=data)

    def altering_writes() -> Offer:
        other = make_bucket()
        return AlteringS3Offer("altering", Placement(other.name), offer.connection)

    def kill_a_writer_mid_put() -> None:
        """A real process, blocked in a multipart upload after its first part (its source a FIFO),
        killed with SIGKILL, then silent for longer than the grace."""
        fifo = tmp_path / f"source-{time.monotonic_ns()}"
        os.mkfifo(fifo)
        command = [sys.executable, "-c", S3_WRITER, bucket.server.endpoint_url, bucket.name, str(fifo)]
        writer = subprocess.Popen(command)
        feed = open_feed(fifo, writer)
        try:
            os.set_blocking(feed, True)
            os.write(feed, os.urandom(PART + 33))
            wait_until(lambda: leftovers() > 0, "the writer's multipart upload")
            writer.kill()
            writer.wait()
        finally:
            os.close(feed)
        time.sleep(S3_GRACE_SECONDS + 0.1)

    def leftovers() -> int:
        return len(bucket.uploads())

    return OfferUnderTest(offer, damage, altering_writes, kill_a_writer_mid_put, leftovers)


OFFER_KINDS: dict[str, Callable[[pytest.FixtureRequest, Path], OfferUnderTest]] = {
    "filesystem": filesystem_offer,
    "s3": s3_offer,
}


@pytest.fixture(params=sorted(OFFER_KINDS))
def under_test(request: pytest.FixtureRequest, tmp_path: Path) -> OfferUnderTest:
    return OFFER_KINDS[request.param](request, tmp_path)


@pytest.fixture
def offer(under_test: OfferUnderTest) -> Offer:
    return under_test.offer


def keys(entries: Iterator[OfferEntry]) -> list[str]:
    return [entry.key for entry in entries]


# -- writing and reading -------------------------------------------------------------------------


def test_reads_back_the_bytes_it_was_given(offer: Offer) -> None:
    offer.put(KEY, DATA, sha512(DATA))

    with offer.open(KEY) as stream:
        assert stream.read() == DATA
    assert offer.exists(KEY)
    assert offer.size(KEY) == len(DATA)
    assert offer.digest(KEY) == sha512(DATA)


def test_stores_a_file_larger_than_one_read_chunk(offer: Offer, tmp_path: Path) -> None:
    data = os.urandom(2 * 1024 * 1024 + 12345)
    source = tmp_path / "scan.tiff"
    source.write_bytes(data)

    offer.put(KEY, source, sha512(data))

    assert offer.digest(KEY) == sha512(data)
    assert offer.size(KEY) == len(data)


def test_accepts_a_digest_in_upper_case(offer: Offer) -> None:
    offer.put(KEY, DATA, sha512(DATA).upper())

    assert offer.digest(KEY) == sha512(DATA)


def test_refuses_a_copy_that_does_not_match_the_digest_and_keeps_nothing(
    under_test: OfferUnderTest,
) -> None:
    offer = under_test.offer

    with pytest.raises(IntegrityFault, match="SHA-512"):
        offer.put(KEY, DATA, sha512(b"other bytes"))

    assert not offer.exists(KEY)
    assert keys(offer.list()) == []
    assert under_test.leftovers() == 0


def test_removes_a_copy_altered_between_write_and_read_back(under_test: OfferUnderTest) -> None:
    offer = under_test.altering_writes()

    with pytest.raises(IntegrityFault):
        offer.put(KEY, DATA, sha512(DATA))

    assert not offer.exists(KEY)
    assert keys(offer.list()) == []


def test_refuses_to_overwrite_a_key_with_other_bytes(offer: Offer) -> None:
    offer.put(KEY, DATA, sha512(DATA))

    with pytest.raises(OfferError, match="already exists"):
        offer.put(KEY, b"a forged version", sha512(b"a forged version"))

    assert offer.digest(KEY) == sha512(DATA)


def test_accepts_writing_the_same_bytes_again(offer: Offer) -> None:
    offer.put(KEY, DATA, sha512(DATA))

    offer.put(KEY, DATA, sha512(DATA))

    assert keys(offer.list()) == [KEY]


def test_refuses_a_digest_that_is_not_sha512(offer: Offer) -> None:
    with pytest.raises(OfferError, match="SHA-512"):
        offer.put(KEY, DATA, hashlib.sha256(DATA).hexdigest())

    assert not offer.exists(KEY)


def test_recomputes_the_digest_of_a_copy_damaged_at_rest(under_test: OfferUnderTest) -> None:
    offer = under_test.offer
    offer.put(KEY, DATA, sha512(DATA))

    under_test.damage(KEY, b"rotten")

    assert offer.digest(KEY) == sha512(b"rotten")


def test_a_missing_key_is_not_found(offer: Offer) -> None:
    assert not offer.exists(KEY)
    for read in (offer.open, offer.digest, offer.size):
        with pytest.raises(ObjectMissing) as raised:
            read(KEY)
        assert isinstance(raised.value, NotFound)


# -- deleting --------------------------------------------------------------------------------------


def test_delete_removes_the_object_and_may_be_repeated(offer: Offer) -> None:
    offer.put(KEY, DATA, sha512(DATA))

    offer.delete(KEY)
    offer.delete(KEY)

    assert not offer.exists(KEY)
    assert keys(offer.list()) == []


def test_a_deleted_key_can_be_written_again(offer: Offer) -> None:
    offer.put(KEY, DATA, sha512(DATA))
    offer.delete(KEY)

    offer.put(KEY, b"new", sha512(b"new"))

    assert offer.digest(KEY) == sha512(b"new")


# -- listing ---------------------------------------------------------------------------------------

LISTED = [
    "p/a/b",
    "p/a-c",
    "p/a0",
    "p/ab/c",
    "q/z",
    "tenants/1/units/x/000002.json",
    "tenants/1/units/x/000010.json",
    "tenants/10/tenant.json",
    "tenants/1/tenant.json",
]


@pytest.fixture
def listed(offer: Offer) -> Offer:
    for number, key in enumerate(reversed(LISTED)):
        data = b"x" * number
        offer.put(key, data, sha512(data))
    return offer


def test_lists_every_key_in_key_order_with_its_size(listed: Offer) -> None:
    entries = list(listed.list())

    assert keys(iter(entries)) == sorted(LISTED)
    sizes = {entry.key: entry.size for entry in entries}
    assert sizes == {key: number for number, key in enumerate(reversed(LISTED))}


def test_lists_by_plain_string_prefix(listed: Offer) -> None:
    assert keys(listed.list("p/a")) == ["p/a-c", "p/a/b", "p/a0", "p/ab/c"]  # "-" < "/" < "0"
    assert keys(listed.list("p/a/")) == ["p/a/b"]
    assert keys(listed.list("tenants/1")) == sorted(key for key in LISTED if key.startswith("tenants/1"))
    assert keys(listed.list("tenants/1/")) == [
        "tenants/1/tenant.json",
        "tenants/1/units/x/000002.json",
        "tenants/1/units/x/000010.json",
    ]
    assert keys(listed.list("q/z")) == ["q/z"]
    assert keys(listed.list("nothing/here")) == []


def test_listing_is_a_stream(listed: Offer) -> None:
    listing = listed.list()

    assert iter(listing) is listing
    assert next(listing).key == sorted(LISTED)[0]


def test_listing_shows_only_archive_objects(under_test: OfferUnderTest) -> None:
    under_test.kill_a_writer_mid_put()

    assert keys(under_test.offer.list()) == []


# -- keys ------------------------------------------------------------------------------------------

BAD_KEYS = [
    "",
    "/tenants/1/tenant.json",
    "tenants/../../etc/passwd",
    "tenants/./1",
    "tenants\\1\\tenant.json",
    "tenants//1",
    "tenants/1/",
    "tenants/1/objects/x\n",
    "tenants/1/objects/x\x00y",
    "tenants/1/objects/x\x7f",
    "tenants/1/.hidden",
    ".tmp/leftover",
    "tenants/1/\ud800",
    "x" * 256,
    "a/" * 600 + "b",
    README,
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_refuses_keys_that_are_not_plain_relative_paths(offer: Offer, key: str) -> None:
    with pytest.raises(InvalidKey):
        validate_key(key)
    with pytest.raises(InvalidKey):
        offer.put(key, DATA, sha512(DATA))
    for use in (offer.open, offer.exists, offer.delete, offer.digest, offer.size):
        with pytest.raises(InvalidKey):
            use(key)


@pytest.mark.parametrize(
    "key", [KEY, "tenants/1/tenant.json", "a", "dossier/procès-verbal 1.pdf", "a/README.txt"]
)
def test_accepts_plain_relative_paths(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("prefix", ["/tenants", "tenants//1", "../", "tenants/../x", ".tmp", "a/.b", "a\\b"])
def test_refuses_listing_prefixes_no_key_can_start_with(offer: Offer, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        validate_prefix(prefix)
    with pytest.raises(InvalidKey):
        list(offer.list(prefix))


# -- crashes ---------------------------------------------------------------------------------------


def test_cleans_what_a_writer_killed_mid_put_left(under_test: OfferUnderTest) -> None:
    under_test.kill_a_writer_mid_put()
    assert under_test.leftovers() > 0

    assert under_test.offer.clean_temporary() >= 1

    assert under_test.leftovers() == 0
    assert keys(under_test.offer.list()) == []


# -- the filesystem offer --------------------------------------------------------------------------


def test_filesystem_offer_stores_each_object_as_a_plain_file_at_its_key(tmp_path: Path) -> None:
    offer = FileSystemOffer("fs", tmp_path / "offer")

    offer.put(KEY, DATA, sha512(DATA))

    assert (tmp_path / "offer" / KEY).read_bytes() == DATA


def test_filesystem_offer_explains_its_layout_in_a_readme_at_its_root(tmp_path: Path) -> None:
    FileSystemOffer("fs", tmp_path / "offer")

    assert (tmp_path / "offer" / README).read_bytes() == offer_readme()
    assert "tenants/{tenant}/objects/" in offer_readme().decode("utf-8")


def test_filesystem_offer_keeps_an_existing_readme(tmp_path: Path) -> None:
    (tmp_path / "offer").mkdir()
    (tmp_path / "offer" / README).write_text("Notes of the archivist", encoding="utf-8")

    FileSystemOffer("fs", tmp_path / "offer")

    assert (tmp_path / "offer" / README).read_text(encoding="utf-8") == "Notes of the archivist"


def test_filesystem_offer_removes_folders_a_delete_left_empty(tmp_path: Path) -> None:
    offer = FileSystemOffer("fs", tmp_path / "offer")
    offer.put("a/b/c", DATA, sha512(DATA))
    offer.put("a/d", DATA, sha512(DATA))

    offer.delete("a/b/c")
    assert not (tmp_path / "offer" / "a" / "b").exists()
    assert (tmp_path / "offer" / "a").is_dir()

    offer.delete("a/d")
    assert not (tmp_path / "offer" / "a").exists()
    assert (tmp_path / "offer").is_dir()


def test_filesystem_offer_refuses_a_key_that_is_a_folder(tmp_path: Path) -> None:
    offer = FileSystemOffer("fs", tmp_path / "offer")
    offer.put("a/b", DATA, sha512(DATA))

    with pytest.raises(OfferError, match="already exists"):
        offer.put("a", DATA, sha512(DATA))
    assert not offer.exists("a")


def test_filesystem_offer_fails_cleanly_when_a_file_stands_where_a_folder_must_go(tmp_path: Path) -> None:
    offer = FileSystemOffer("fs", tmp_path / "offer")
    (tmp_path / "offer" / "tenants").write_bytes(b"in the way")

    with pytest.raises(OfferError, match="publish failed"):
        offer.put(KEY, DATA, sha512(DATA))

    assert list((tmp_path / "offer" / TEMPORARY).iterdir()) == []


@contextmanager
def putting_from_a_fifo(offer: Offer, fifo: Path, data: bytes) -> Iterator[int]:
    """A `put` of `data` from a FIFO, in a thread: gives the FIFO's blocking writing end, for the
    test to feed; once fed and closed, the put must have succeeded."""
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            offer.put(KEY, fifo, sha512(data))
        except BaseException as error:
            errors.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    feed = open_feed(fifo)
    os.set_blocking(feed, True)
    try:
        yield feed
    finally:
        os.close(feed)
        writer.join()
    assert errors == []
    assert offer.digest(KEY) == sha512(data)


def test_filesystem_offer_cleaning_spares_a_write_in_progress(tmp_path: Path) -> None:
    """Every CLI command cleans at start-up, possibly while the server is writing."""
    offer = FileSystemOffer("fs", tmp_path / "offer")
    with putting_from_a_fifo(offer, tmp_path / "source", DATA) as feed:
        os.write(feed, DATA[:10])
        wait_until(lambda: any((tmp_path / "offer" / TEMPORARY).iterdir()), "the temporary file")

        assert offer.clean_temporary() == 0

        os.write(feed, DATA[10:])


def test_filesystem_offer_cleans_temporary_files_silent_for_a_day(tmp_path: Path) -> None:
    offer = FileSystemOffer("fs", tmp_path / "offer")
    stale = tmp_path / "offer" / TEMPORARY / "written-by-another-host"
    fresh = tmp_path / "offer" / TEMPORARY / "being-written-by-another-host"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    long_ago = time.time() - TEMPORARY_GRACE_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    assert offer.clean_temporary() == 1

    assert not stale.exists()
    assert fresh.exists()


class RacedFileSystemOffer(FileSystemOffer):
    """Another writer publishes its bytes at the same key while this one verifies its copy."""

    other_bytes = b"the other writer's bytes"

    def _verify(self, key: str, temporary: Path, expected: str) -> None:
        super()._verify(key, temporary, expected)
        FileSystemOffer("other writer", self.root).put(key, self.other_bytes, sha512(self.other_bytes))


def test_filesystem_offer_never_replaces_bytes_a_concurrent_writer_published(tmp_path: Path) -> None:
    offer = RacedFileSystemOffer("fs", tmp_path / "offer")

    with pytest.raises(OfferError, match="already exists"):
        offer.put(KEY, DATA, sha512(DATA))

    assert offer.digest(KEY) == sha512(RacedFileSystemOffer.other_bytes)
    assert list((tmp_path / "offer" / TEMPORARY).iterdir()) == []


def test_filesystem_offer_accepts_a_concurrent_writer_of_the_same_bytes(tmp_path: Path) -> None:
    offer = RacedFileSystemOffer("fs", tmp_path / "offer")
    offer.other_bytes = DATA

    offer.put(KEY, DATA, sha512(DATA))

    assert offer.digest(KEY) == sha512(DATA)
