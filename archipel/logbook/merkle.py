"""Merkle trees over logbook entries, and the proof that one entry is under a sealed root.

Pure functions over plain data (hex strings, dicts as read from a securing file), so an
offline verifier needs nothing but this module and `hashlib`.

Construction (RFC 6962 §2.1, "Merkle Tree Hash", with SHA-512 in place of SHA-256):
- a leaf is `SHA-512(0x00 || H)` where `H` is the 64 bytes of the entry's hash (the hex
  of `archipel.logbook.canonical.link_hash`, decoded);
- an inner node is `SHA-512(0x01 || left || right)` over the 64-byte hashes of its children;
- the two prefixes separate leaves from nodes, so an inner node can never be passed off as
  an entry (the "second preimage" attack on unprefixed trees);
- built level by level from the leaves in order, an odd node at the end of a level is
  carried up unchanged — never paired with a copy of itself, which would let two
  different lists of entries share a root (CVE-2012-2459). This gives exactly RFC 6962's
  tree, whose left subtree is the largest power of two below the leaf count;
- the root of a single leaf is that leaf's hash. There is no tree of zero leaves.

A proof (`entry_proof`) is the list of sibling hashes from the leaf up to the root, each
saying on which side it stands; `verify_entry_proof` folds them back into the root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
CONSTRUCTION = (
    "RFC 6962 Merkle Tree Hash with SHA-512: leaf = SHA-512(0x00 || entry hash), "
    "node = SHA-512(0x01 || left || right), an odd last node is carried up unchanged"
)


class ProofError(ValueError):
    """A proof cannot be made or read: the entry is not in the securing file, or a hash is malformed."""


def _bytes(hex_hash: str) -> bytes:
    try:
        raw = bytes.fromhex(hex_hash)
    except (TypeError, ValueError) as error:
        raise ProofError(f"not a hex hash: {hex_hash!r}") from error
    if len(raw) != 64:
        raise ProofError(f"not a SHA-512 hash (64 bytes): {hex_hash!r}")
    return raw


def leaf_hash(entry_hash: str) -> bytes:
    return hashlib.sha512(LEAF_PREFIX + _bytes(entry_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha512(NODE_PREFIX + left + right).digest()


def _levels(entry_hashes: Sequence[str]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last."""
    if not entry_hashes:
        raise ProofError("a Merkle tree needs at least one entry")
    levels = [[leaf_hash(entry) for entry in entry_hashes]]
    while len(levels[-1]) > 1:
        level = levels[-1]
        parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            parents.append(level[-1])  # carried up unchanged
        levels.append(parents)
    return levels


def merkle_root(entry_hashes: Sequence[str]) -> str:
    """The root (hex) of the tree over the entries' hashes, in the order given."""
    return _levels(entry_hashes)[-1][0].hex()


def merkle_path(entry_hashes: Sequence[str], index: int) -> list[dict[str, str]]:
    """Siblings from leaf `index` up to the root: `[{"side": "left"|"right", "hash": hex}]`."""
    if not 0 <= index < len(entry_hashes):
        raise ProofError(f"leaf {index} is not in a tree of {len(entry_hashes)} leaves")
    path = []
    for level in _levels(entry_hashes)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):  # no sibling: the node is carried up, nothing to add
            path.append({"side": "left" if sibling < index else "right", "hash": level[sibling].hex()})
        index //= 2
    return path


def root_from_path(entry_hash: str, path: Sequence[Mapping[str, str]]) -> str:
    """The root a leaf and its path lead to."""
    node = leaf_hash(entry_hash)
    for step in path:
        sibling = _bytes(step["hash"])
        if step.get("side") == "left":
            node = node_hash(sibling, node)
        elif step.get("side") == "right":
            node = node_hash(node, sibling)
        else:
            raise ProofError(f"a proof step must say side left or right, got {step.get('side')!r}")
    return node.hex()


def entry_proof(securing: Mapping[str, Any], entry: str, kind: str | None = None) -> dict[str, Any]:
    """The proof that `entry` (an operation or lifecycle entry id) is under the securing file's root.

    `securing` is the securing file as parsed JSON (`archipel.logbook.securing`); `kind`
    narrows the search when the same id could stand in two logbooks.
    """
    leaves = securing["entries"]
    for index, leaf in enumerate(leaves):
        if leaf["entry"] == entry and (kind is None or leaf["kind"] == kind):
            hashes = [item["hash"] for item in leaves]
            return {
                "securing": securing.get("number"),
                "entry": entry,
                "kind": leaf["kind"],
                "chain": leaf["chain"],
                "position": leaf["position"],
                "hash": leaf["hash"],
                "leaf_index": index,
                "leaves": len(leaves),
                "path": merkle_path(hashes, index),
                "root": securing["merkle"]["root"],
            }
    raise ProofError(f"entry {entry} is not in securing file {securing.get('number')}")


def verify_entry_proof(proof: Mapping[str, Any], entry_hash: str | None = None) -> bool:
    """Whether the proof's path leads from the entry's hash to its root.

    Pass `entry_hash` (recomputed from the entry itself with `canonical.link_hash`) to also
    check that the proof is about that very entry, not only a well-formed path.
    """
    if entry_hash is not None and entry_hash != proof["hash"]:
        return False
    try:
        return root_from_path(proof["hash"], proof["path"]) == proof["root"]
    except ProofError:
        return False
