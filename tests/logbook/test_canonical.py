"""The canonical serialisation hashes are computed over (archipel/logbook/canonical.py)."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta, timezone

import pytest

from archipel.logbook.canonical import (
    GENESIS,
    NotCanonical,
    canonical_bytes,
    chain_link,
    link_hash,
    utc_iso,
)


def test_keys_are_sorted_without_whitespace_and_text_is_utf8_as_is() -> None:
    value = {"b": [1, None, True], "a": "Délibération", "c": {"z": 1, "y": "x"}}
    assert canonical_bytes(value) == '{"a":"Délibération","b":[1,null,true],"c":{"y":"x","z":1}}'.encode()


@pytest.mark.parametrize("value", [1.5, {"a": 0.1}, [datetime.now(UTC)], {1: "x"}])
def test_values_with_more_than_one_spelling_are_refused(value: object) -> None:
    with pytest.raises(NotCanonical):
        canonical_bytes(value)


def test_a_link_hash_is_sha512sum_of_the_canonical_bytes() -> None:
    link = chain_link(1, "operations", "chain-id", 1, GENESIS, {"id": "op", "message": "versé"})
    printed = subprocess.run(["sha512sum"], input=canonical_bytes(link), capture_output=True, check=True)
    assert (
        link_hash(link)
        == printed.stdout.split()[0].decode()
        == hashlib.sha512(canonical_bytes(link)).hexdigest()
    )


def test_dates_are_written_in_utc_with_microseconds_whatever_the_offset() -> None:
    paris = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert utc_iso(paris) == "2026-03-01T09:00:00.000000+00:00"
    assert utc_iso(paris) == utc_iso(paris.astimezone(UTC))
    assert utc_iso(None) is None
