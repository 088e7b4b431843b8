"""The copies of one object across the offers: checked against the record, repaired from a healthy one.

Two depths of check, as in the reference system's audits:
- existence (`AUDIT_FILE_EXISTING`): each offer holds the key with the recorded size. Cheap
  (a `stat` per copy), it finds lost and truncated copies, not altered bytes;
- integrity (`AUDIT_FILE_INTEGRITY`): each copy is read whole and its SHA-512 recomputed
  and compared with the one recorded at ingest. It finds every alteration, at the cost of
  reading every byte of every offer.

A repair copies a healthy copy over a faulty one with `Offer.restore`, which verifies the
new copy against the recorded SHA-512 before it takes the key: whatever the check could
see of the source, what lands is the recorded content or nothing. An object no offer
holds intact stays as it is, reported: nothing here ever deletes a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from archipel.core.errors import IntegrityFault
from archipel.storage.offer import ObjectMissing, Offer, OfferError
from archipel.storage.selection import StoredObject


class AuditKind(StrEnum):
    EXISTENCE = "existence"
    INTEGRITY = "integrity"


class FaultKind(StrEnum):
    MISSING = "missing"
    """The offer holds nothing under the object's key."""
    WRONG_SIZE = "wrong_size"
    """A copy whose size is not the recorded one (truncated, or grown)."""
    CORRUPT = "corrupt"
    """A copy of the right size whose SHA-512 is not the recorded one."""
    UNREADABLE = "unreadable"
    """The offer failed to give the copy's size or bytes (an I/O error, a refused access)."""


@dataclass(frozen=True)
class Fault:
    """One faulty copy: which object, on which offer, what is wrong, and whether it was repaired."""

    object: str
    offer: str
    kind: FaultKind
    detail: str
    repaired_from: str | None = None
    """The offer whose healthy copy replaced this one; None while the fault remains."""
    repair_failure: str | None = None
    """Why a repair attempted did not succeed."""

    @property
    def repaired(self) -> bool:
        return self.repaired_from is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "object": self.object,
            "offer": self.offer,
            "kind": self.kind.value,
            "detail": self.detail,
            "repaired": self.repaired,
            "repaired_from": self.repaired_from,
        }


@dataclass
class ObjectVerdict:
    """What the check of one object found on every offer."""

    object: StoredObject
    faults: list[Fault] = field(default_factory=list)
    bytes_read: int = 0


def check_object(offers: Sequence[Offer], key: str, stored: StoredObject, kind: AuditKind) -> ObjectVerdict:
    """Checks the object's copy on every offer; never raises for a faulty copy, reports it."""
    verdict = ObjectVerdict(stored)
    for offer in offers:
        fault = _check_copy(offer, key, stored, kind, verdict)
        if fault is not None:
            verdict.faults.append(fault)
    return verdict


def _check_copy(
    offer: Offer, key: str, stored: StoredObject, kind: AuditKind, verdict: ObjectVerdict
) -> Fault | None:
    def fault(fault_kind: FaultKind, detail: str) -> Fault:
        return Fault(stored.id, offer.name, fault_kind, detail)

    try:
        size = offer.size(key)
    except ObjectMissing:
        return fault(FaultKind.MISSING, f"offer {offer.name}: no copy under {key}")
    except (OfferError, OSError) as error:
        return fault(FaultKind.UNREADABLE, f"offer {offer.name}: size unreadable: {error}")
    if stored.size is not None and size != stored.size:
        return fault(FaultKind.WRONG_SIZE, f"offer {offer.name}: {size} bytes, {stored.size} recorded")
    if kind is AuditKind.EXISTENCE:
        return None
    try:
        actual = offer.digest(key)
    except ObjectMissing:  # removed since the size was read
        return fault(FaultKind.MISSING, f"offer {offer.name}: no copy under {key}")
    except (OfferError, OSError) as error:
        return fault(FaultKind.UNREADABLE, f"offer {offer.name}: copy unreadable: {error}")
    verdict.bytes_read += size
    if actual != stored.sha512:
        return fault(
            FaultKind.CORRUPT,
            f"offer {offer.name}: SHA-512 is {actual[:16]}…, {stored.sha512[:16]}… recorded",
        )
    return None


def repair_object(offers: Sequence[Offer], key: str, verdict: ObjectVerdict) -> list[Fault]:
    """Restores every faulty copy of the object from a copy found healthy; returns the faults updated.

    The sources tried are the offers the check found no fault on, in strategy order. After
    an existence check their bytes were not read: `restore` verifies what it writes against
    the recorded SHA-512, so a source that turns out altered is refused and the next one tried.
    """
    faulty = {fault.offer for fault in verdict.faults}
    sources = [offer for offer in offers if offer.name not in faulty]
    by_name = {offer.name: offer for offer in offers}
    return [
        _repair_copy(by_name[fault.offer], key, verdict.object, fault, sources) for fault in verdict.faults
    ]


def _repair_copy(target: Offer, key: str, stored: StoredObject, fault: Fault, sources: list[Offer]) -> Fault:
    if not sources:
        return replace(fault, repair_failure="no offer holds a healthy copy")
    failures = []
    for source in sources:
        try:
            with source.open(key) as stream:
                restored = target.restore(key, stream, stored.sha512)
            if not restored:
                return replace(
                    fault,
                    repair_failure="the copy matches the recorded SHA-512: the recorded size is wrong, "
                    "not the copy, which was left untouched",
                )
            if target.digest(key) != stored.sha512:
                raise IntegrityFault(f"offer {target.name}: the restored copy does not match when read again")
        except (IntegrityFault, OfferError, OSError) as error:
            failures.append(f"from {source.name}: {getattr(error, 'message', error)}")
            continue
        return replace(fault, repaired_from=source.name)
    return replace(fault, repair_failure="; ".join(failures))
