"""The storage strategy (archipel/storage/strategy.py): every copy written, a good copy read."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from archipel.core.errors import ConfigurationError, IntegrityFault
from archipel.storage.filesystem import FileSystemOffer
from archipel.storage.offer import OfferError
from archipel.storage.strategy import CopyFault, StorageStrategy

KEY = "tenants/1/objects/0193/a1b2/0193a1b2-c3d4-7e5f-8a6b-0c1d2e3f4a5b"
DATA = b"%PDF-1.7 registre des deliberations" * 1000
MB = 1024 * 1024


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "offer-1", tmp_path / "offer-2"


@pytest.fixture
def storage(roots: tuple[Path, Path]) -> StorageStrategy:
    return StorageStrategy([FileSystemOffer("offer-1", roots[0]), FileSystemOffer("offer-2", roots[1])])


Reader = Callable[[StorageStrategy, str, str], bytes]


def read_all(storage: StorageStrategy, key: str, digest: str) -> bytes:
    with storage.open_verified(key, digest) as stream:
        return b"".join(iter(lambda: stream.read(MB), b""))


BOTH_READS = pytest.mark.parametrize(
    "read", [read_all, StorageStrategy.read_verified], ids=["streamed", "in memory"]
)


# -- writing ---------------------------------------------------------------------------------------


def test_writes_every_object_to_every_offer(storage: StorageStrategy, tmp_path: Path) -> None:
    source = tmp_path / "acte.pdf"
    source.write_bytes(DATA)

    storage.put(KEY, source, sha512(DATA))

    assert storage.exists_everywhere(KEY)
    assert [offer.digest(KEY) for offer in storage.offers] == [sha512(DATA)] * 2


def test_writes_a_document_to_every_offer_and_gives_its_digest(storage: StorageStrategy) -> None:
    document = '{"title": "Délibération"}\n'.encode()

    digest = storage.put_document("tenants/1/tenant.json", document)

    assert digest == sha512(document)
    assert [offer.digest("tenants/1/tenant.json") for offer in storage.offers] == [digest] * 2


def test_a_failed_write_on_the_second_offer_removes_the_first_copy(
    storage: StorageStrategy, roots: tuple[Path, Path]
) -> None:
    (roots[1] / "tenants").write_bytes(b"a file where the tenants folder must go")

    with pytest.raises(OfferError, match="offer-2"):
        storage.put(KEY, DATA, sha512(DATA))

    assert not storage.offers[0].exists(KEY)
    assert list(storage.offers[0].list()) == []


def test_a_failed_write_never_removes_a_copy_that_was_there_before(
    storage: StorageStrategy, roots: tuple[Path, Path]
) -> None:
    storage.offers[0].put(KEY, DATA, sha512(DATA))
    (roots[1] / "tenants").write_bytes(b"a file where the tenants folder must go")

    with pytest.raises(OfferError):
        storage.put(KEY, DATA, sha512(DATA))

    assert storage.offers[0].digest(KEY) == sha512(DATA)


def test_a_copy_that_fails_verification_leaves_no_copy_anywhere(storage: StorageStrategy) -> None:
    with pytest.raises(IntegrityFault):
        storage.put(KEY, DATA, sha512(b"what the manifest declared"))

    assert not any(offer.exists(KEY) for offer in storage.offers)


def test_deletes_from_every_offer(storage: StorageStrategy) -> None:
    storage.put(KEY, DATA, sha512(DATA))

    storage.delete(KEY)
    storage.delete(KEY)

    assert not any(offer.exists(KEY) for offer in storage.offers)


def test_exists_everywhere_only_when_every_offer_has_a_copy(storage: StorageStrategy) -> None:
    storage.put(KEY, DATA, sha512(DATA))
    storage.offers[1].delete(KEY)

    assert not storage.exists_everywhere(KEY)


@pytest.mark.parametrize("names", [[], ["offer-1", "offer-1"]], ids=["none", "twice the same"])
def test_refuses_a_strategy_without_distinct_offers(tmp_path: Path, names: list[str]) -> None:
    offers = [FileSystemOffer(name, tmp_path / str(number)) for number, name in enumerate(names)]

    with pytest.raises(ConfigurationError):
        StorageStrategy(offers)


# -- reading ---------------------------------------------------------------------------------------


@BOTH_READS
def test_reads_the_second_copy_when_the_first_is_corrupted_on_disk(
    storage: StorageStrategy, roots: tuple[Path, Path], read: Reader
) -> None:
    storage.put(KEY, DATA, sha512(DATA))
    (roots[0] / KEY).write_bytes(DATA[:-1] + b"!")

    assert read(storage, KEY, sha512(DATA)) == DATA

    faults = storage.drain_faults()
    assert [(fault.offer, fault.key) for fault in faults] == [("offer-1", KEY)]
    assert "SHA-512" in faults[0].problem
    assert storage.drain_faults() == []


@BOTH_READS
def test_reads_the_second_copy_when_the_first_is_missing(
    storage: StorageStrategy, roots: tuple[Path, Path], read: Reader
) -> None:
    storage.put(KEY, DATA, sha512(DATA))
    (roots[0] / KEY).unlink()

    assert read(storage, KEY, sha512(DATA)) == DATA

    assert storage.faults == [CopyFault("offer-1", KEY, "missing")]


@BOTH_READS
def test_refuses_to_serve_when_no_copy_matches(
    storage: StorageStrategy, roots: tuple[Path, Path], read: Reader
) -> None:
    storage.put(KEY, DATA, sha512(DATA))
    (roots[0] / KEY).write_bytes(b"truncated")
    (roots[1] / KEY).unlink()

    with pytest.raises(IntegrityFault) as raised:
        read(storage, KEY, sha512(DATA))

    assert KEY in raised.value.message
    assert "offer-1" in raised.value.message
    assert "offer-2: missing" in raised.value.message
    assert {fault.offer for fault in storage.faults} == {"offer-1", "offer-2"}


def test_serves_the_first_offer_when_its_copy_is_good(
    storage: StorageStrategy, roots: tuple[Path, Path]
) -> None:
    storage.put(KEY, DATA, sha512(DATA))
    (roots[1] / KEY).write_bytes(b"rotten")

    assert read_all(storage, KEY, sha512(DATA)) == DATA
    assert storage.faults == []


def test_streams_a_large_object_without_holding_it_in_memory(
    storage: StorageStrategy, tmp_path: Path
) -> None:
    source = tmp_path / "film.mkv"
    hasher = hashlib.sha512()
    with source.open("wb") as target:
        for _ in range(24):
            chunk = os.urandom(MB)
            hasher.update(chunk)
            target.write(chunk)
    storage.put(KEY, source, hasher.hexdigest())

    tracemalloc.start()
    try:
        served = hashlib.sha512()
        with storage.open_verified(KEY, hasher.hexdigest()) as stream:
            while chunk := stream.read(MB):
                served.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert served.hexdigest() == hasher.hexdigest()
    assert peak < 6 * MB


def test_closes_the_copy_when_the_reader_is_done(storage: StorageStrategy) -> None:
    storage.put(KEY, DATA, sha512(DATA))

    with storage.open_verified(KEY, sha512(DATA)) as stream:
        stream.read(10)

    assert stream.closed
