"""What every offer holds of one key, recomputed now: the copies a probative-value report attests.

The report states, for each binary and each document it bundles, the SHA-512 of the copy
on *each* offer at the time of export — something only the instance can see, and which
an offline verifier cannot redo, so it is stated as a check of the export. Every copy is
read whole; a missing or unreadable copy is a finding, never an exception.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from archipel.logbook.verifier import Check, Hashed, hash_stream
from archipel.storage.offer import ObjectMissing, Offer, OfferError


@dataclass
class Copies:
    """The copies of one key: one line per offer, and the first copy that matches."""

    key: str
    expected: str | None
    copies: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    hashed: Hashed | None = None
    """Digests of the first matching copy (what the bundle will hold)."""
    data: bytes | None = None
    """Its bytes, for the small documents read with `keep=True`."""


def read_copies(
    offers: Sequence[Offer],
    key: str,
    label: str,
    expected: str | None,
    algorithms: Iterable[str] = ("sha512",),
    keep: bool = False,
) -> Copies:
    """Every offer's copy of `key` against `expected` (SHA-512), or, when nothing was recorded
    (unit and group documents), against the first copy read: the copies must then agree."""
    wanted = {"sha512", *algorithms}
    result = Copies(key, expected)
    for offer in offers:
        hashed, data, problem = _read(offer, key, wanted, keep)
        if hashed is not None and result.expected is None:
            result.expected = hashed.digests["sha512"]
        actual = hashed.digests["sha512"] if hashed else None
        ok = actual is not None and actual == result.expected
        if problem is None and not ok:
            problem = f"SHA-512 is {str(actual)[:16]}…, expected {str(result.expected)[:16]}…"
        detail = f"SHA-512 recomputed now: {actual}" if ok else str(problem)
        result.copies.append({"offer": offer.name, "sha512": actual, "ok": ok, "detail": detail})
        result.checks.append(Check(f"copy of {label} on {offer.name}", ok, detail))
        if ok and result.hashed is None:
            result.hashed, result.data = hashed, data
    return result


def _read(
    offer: Offer, key: str, algorithms: set[str], keep: bool
) -> tuple[Hashed | None, bytes | None, str | None]:
    try:
        with offer.open(key) as stream:
            if not keep:
                return hash_stream(stream, algorithms), None, None
            data = stream.read()
    except ObjectMissing:
        return None, None, f"no copy under {key}"
    except (OfferError, OSError) as error:
        return None, None, f"copy unreadable: {error}"
    return hash_stream(io.BytesIO(data), algorithms), data, None
