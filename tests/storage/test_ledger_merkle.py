"""Tests for storage.ledger.merkle against an independent RFC 6962 implementation.

The vectors below are data copied from transparency-dev/merkle (Apache-2.0),
file ``proof/verify_test.go`` (variables ``leaves``, ``roots``,
``inclusionProofs``, ``consistencyProofs``; the same vectors as
certificate-transparency-go's ``merkle`` package). Leaf numbers in
``INCLUSION`` are 1-based there and kept so here.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from storage.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
    verify_inclusions,
)

H = bytes.fromhex

LEAVES = [H(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]
ROOTS = [H(x) for x in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
INCLUSION = [  # (leaf, 1-based; tree size; proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.fixture
def tree() -> MerkleTree:
    return MerkleTree([leaf_hash(x) for x in LEAVES])


def test_roots_match_vectors(tree: MerkleTree) -> None:
    """The tree head of every prefix size equals the reference implementation's."""
    assert tree.root(0) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for size in range(1, 9):
        assert tree.root(size) == ROOTS[size - 1], size
        assert MerkleTree([leaf_hash(x) for x in LEAVES[:size]]).root() == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_vectors(
    tree: MerkleTree, leaf: int, size: int, proof: list[str]
) -> None:
    """Generated inclusion proofs equal the reference ones and verify."""
    assert [h.hex() for h in tree.inclusion_proof(leaf - 1, size)] == proof
    verify_inclusion(leaf - 1, size, leaf_hash(LEAVES[leaf - 1]), [H(p) for p in proof],
                     ROOTS[size - 1])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_proofs_match_vectors(
    tree: MerkleTree, size1: int, size2: int, proof: list[str]
) -> None:
    """Generated consistency proofs equal the reference ones and verify."""
    assert [h.hex() for h in tree.consistency_proof(size1, size2)] == proof
    verify_consistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], [H(p) for p in proof])


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ 8]) + out[i][1:]
    return out


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_fail(leaf: int, size: int, proof: list[str]) -> None:
    """The reference's corruption probes (wrong index/size/leaf/root, garbage, bit flips) fail."""
    p = [H(x) for x in proof]
    idx, root, lh = leaf - 1, ROOTS[size - 1], leaf_hash(LEAVES[leaf - 1])
    probes = [
        (idx - 1, size, lh, p, root), (idx + 1, size, lh, p, root), (idx ^ 2, size, lh, p, root),
        (idx, size * 2, lh, p, root), (idx, size // 2, lh, p, root),
        (idx, size, b"WrongLeaf", p, root), (idx, size, lh, p, EMPTY_ROOT),
        (idx, size, lh, p, SOME_HASH), (idx, size, lh, [*p, b""], root),
        (idx, size, lh, [*p, root], root), (idx, size, lh, [b"", *p], root),
        (idx, size, lh, [root, *p], root), (idx, size, lh, p[:-1], root),
    ] + [(idx, size, lh, _flip(p, i), root) for i in range(len(p))]
    if len(p) > 1:
        probes.append((idx, size, lh, [p[0], SOME_HASH, *p[1:]], root))
    for index, sz, leaf_h, pr, rt in probes:
        with pytest.raises(ProofError):
            verify_inclusion(index, sz, leaf_h, pr, rt)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(size1: int, size2: int, proof: list[str]) -> None:
    """The reference's corruption probes for consistency proofs all fail."""
    p = [H(x) for x in proof]
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    flipped = [[*p[:i], bytes([p[i][0] ^ 16]) + p[i][1:], *p[i + 1:]] for i in range(len(p))]
    probes = [
        (size1 - 1, size2, r1, r2, p), (size1 + 1, size2, r1, r2, p),
        (size1 ^ 2, size2, r1, r2, p), (size1, size2 * 2, r1, r2, p),
        (size1, size2 // 2, r1, r2, p), (size1, size2, b"WrongRoot", r2, p),
        (size1, size2, r1, b"WrongRoot", p), (size1, size2, r2, r1, p),
        (size1, size2, r1, r2, []), (size1, size2, r1, r2, [*p, b""]),
        (size1, size2, r1, r2, [*p, r1]), (size1, size2, r1, r2, [*p, r2]),
        (size1, size2, r1, r2, [b"", *p]), (size1, size2, r1, r2, [r1, *p]),
        (size1, size2, r1, r2, [r2, *p]), (size1, size2, r1, r2, [p[0], *p]),
        (size1, size2, r1, r2, p[:-1]),
    ] + [(size1, size2, r1, r2, f) for f in flipped]
    for s1, s2, a, b, pr in probes:
        with pytest.raises(ProofError):
            verify_consistency(s1, s2, a, b, pr)


def test_edge_cases_of_the_reference() -> None:
    """Empty trees and equal sizes behave as in the reference's TestVerifyConsistency."""
    verify_consistency(0, 0, b"x" * 32, b"x" * 32, [])
    verify_consistency(0, 1, b"x" * 32, b"y" * 32, [])
    verify_consistency(1, 1, b"y" * 32, b"y" * 32, [])
    for args in [(1, 1, b"x" * 32, b"y" * 32, []), (1, 0, b"x" * 32, b"y" * 32, []),
                 (1, 2, b"x" * 32, b"y" * 32, []), (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    for index, size in [(0, 0), (1, 0), (2, 1)]:
        with pytest.raises(ProofError):
            root_from_inclusion(index, size, SOME_HASH, [])


def test_every_proof_of_odd_trees_verifies() -> None:
    """For many sizes every inclusion and consistency proof verifies (full tree and prefixes)."""
    rng = random.Random(6962)
    leaves = [leaf_hash(rng.randbytes(8)) for _ in range(70)]
    full = MerkleTree(leaves)
    for n in (1, 2, 3, 5, 7, 8, 9, 31, 33, 70):
        small = MerkleTree(leaves[:n])
        assert small.root() == full.root(n)
        for i in range(n):
            assert small.inclusion_proof(i) == full.inclusion_proof(i, n)
            verify_inclusion(i, n, leaves[i], small.inclusion_proof(i), small.root())
        for m in range(0, n + 1):
            verify_consistency(m, n, full.root(m), full.root(n), full.consistency_proof(m, n))


def test_batch_verification_agrees_with_single_proofs() -> None:
    """verify_inclusions accepts all valid proofs and flags exactly the corrupted ones."""
    rng = random.Random(9162)
    leaves = [leaf_hash(rng.randbytes(8)) for _ in range(37)]
    tree = MerkleTree(leaves)
    items = [(i, leaves[i], tree.inclusion_proof(i)) for i in range(37)]
    assert verify_inclusions(37, tree.root(), items) == []
    bad = list(items)
    bad[5] = (5, leaves[5], _flip(items[5][2], 0))
    bad[20] = (20, leaves[20], items[20][2][:-1])
    bad[30] = (30, leaves[31], items[30][2])
    bad[36] = (36, leaves[36], [*items[36][2], SOME_HASH])
    failed = verify_inclusions(37, tree.root(), bad)
    assert [n for n, _ in failed] == [5, 20, 30, 36]
    for n, (index, leaf, proof) in enumerate(bad):
        single_ok = True
        try:
            verify_inclusion(index, 37, leaf, proof, tree.root())
        except ProofError:
            single_ok = False
        assert single_ok == (n not in (5, 20, 30, 36))
