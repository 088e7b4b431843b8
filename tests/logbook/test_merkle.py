"""Merkle trees and proofs (archipel/logbook/merkle.py): the construction the ADR documents."""

from __future__ import annotations

import hashlib

import pytest

from archipel.logbook.merkle import (
    ProofError,
    entry_proof,
    merkle_path,
    merkle_root,
    root_from_path,
    verify_entry_proof,
)


def entry_hashes(count: int) -> list[str]:
    return [hashlib.sha512(f"entry {n}".encode()).hexdigest() for n in range(count)]


def rfc6962_root(hashes: list[str]) -> bytes:
    """RFC 6962 §2.1 written out independently: split at the largest power of two below n."""
    if len(hashes) == 1:
        return hashlib.sha512(b"\x00" + bytes.fromhex(hashes[0])).digest()
    split = 1
    while split * 2 < len(hashes):
        split *= 2
    return hashlib.sha512(b"\x01" + rfc6962_root(hashes[:split]) + rfc6962_root(hashes[split:])).digest()


@pytest.mark.parametrize("count", range(1, 34))
def test_the_root_is_rfc6962_merkle_tree_hash_with_sha512(count: int) -> None:
    hashes = entry_hashes(count)
    assert merkle_root(hashes) == rfc6962_root(hashes).hex()


def test_three_entries_spelled_out_with_hashlib() -> None:
    a, b, c = (bytes.fromhex(h) for h in entry_hashes(3))
    leaf = [hashlib.sha512(b"\x00" + x).digest() for x in (a, b, c)]
    left = hashlib.sha512(b"\x01" + leaf[0] + leaf[1]).digest()
    root = hashlib.sha512(b"\x01" + left + leaf[2]).digest()  # the odd leaf is carried up, not doubled
    assert merkle_root(entry_hashes(3)) == root.hex()


def test_a_duplicated_last_entry_does_not_give_the_same_root() -> None:
    """CVE-2012-2459: trees that pair an odd node with itself let [a, b, c] and [a, b, c, c] collide."""
    hashes = entry_hashes(3)
    assert merkle_root(hashes) != merkle_root([*hashes, hashes[-1]])


def test_an_inner_node_cannot_pass_for_an_entry() -> None:
    hashes = entry_hashes(4)
    inner = hashlib.sha512(
        b"\x01"
        + hashlib.sha512(b"\x00" + bytes.fromhex(hashes[0])).digest()
        + hashlib.sha512(b"\x00" + bytes.fromhex(hashes[1])).digest()
    ).hexdigest()
    path = merkle_path(hashes, 0)[1:]  # the proof of the pair's node, as if it were a leaf
    assert root_from_path(inner, path) != merkle_root(hashes)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13, 17])
def test_every_entry_has_a_proof_leading_to_the_root(count: int) -> None:
    hashes = entry_hashes(count)
    for index, entry in enumerate(hashes):
        assert root_from_path(entry, merkle_path(hashes, index)) == merkle_root(hashes)


def securing_file(count: int) -> dict:
    hashes = entry_hashes(count)
    return {
        "number": 4,
        "merkle": {"root": merkle_root(hashes)},
        "entries": [
            {"kind": "operations", "chain": "c", "position": n + 1, "entry": f"op-{n}", "hash": h}
            for n, h in enumerate(hashes)
        ],
    }


def test_a_proof_from_a_securing_file_verifies_and_names_the_entry() -> None:
    securing = securing_file(11)
    proof = entry_proof(securing, "op-6")
    assert (proof["entry"], proof["position"], proof["leaf_index"], proof["leaves"]) == ("op-6", 7, 6, 11)
    assert proof["root"] == securing["merkle"]["root"]
    assert verify_entry_proof(proof, entry_hash=securing["entries"][6]["hash"])


def test_a_proof_does_not_verify_for_another_entry_or_a_changed_path() -> None:
    securing = securing_file(11)
    proof = entry_proof(securing, "op-6")
    assert not verify_entry_proof(proof, entry_hash=securing["entries"][5]["hash"])
    flipped = {**proof, "path": [{**proof["path"][0], "side": "left"}, *proof["path"][1:]]}
    assert not verify_entry_proof(flipped)
    other = {**proof, "path": [{**proof["path"][0], "hash": entry_hashes(1)[0]}, *proof["path"][1:]]}
    assert not verify_entry_proof(other)


def test_an_entry_missing_from_the_securing_file_has_no_proof() -> None:
    with pytest.raises(ProofError, match="not in securing file 4"):
        entry_proof(securing_file(3), "op-9")


def test_a_tree_needs_at_least_one_entry_of_64_bytes() -> None:
    with pytest.raises(ProofError):
        merkle_root([])
    with pytest.raises(ProofError, match="64 bytes"):
        merkle_root(["abcd"])
