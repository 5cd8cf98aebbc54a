"""RFC 6962 / RFC 9162 Merkle tree: tree head, inclusion and consistency proofs,
and their verification by the RFC's algorithms (RFC 9162 sections 2.1.3 and 2.1.4).

``leaf = SHA-256(0x00 || data)``, ``node = SHA-256(0x01 || left || right)``,
the empty tree's head is ``SHA-256("")``. Hashes are 32-byte ``bytes``.

:class:`MerkleTree` keeps every level of the tree in memory (about 64 bytes per
leaf), which makes one proof O(log n) and all proofs of an export O(n log n)
with O(n) hashing; a million leaves build in about a second.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Sequence

from storage.errors import InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(InvalidInput, ValueError):
    """A proof does not verify; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An immutable tree over a list of leaf hashes."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        level = list(leaf_hashes)
        for i, h in enumerate(level):
            if len(h) != HASH_SIZE:
                raise ValueError(f"leaf hash {i} has {len(h)} bytes, expected {HASH_SIZE}")
        self._levels: list[list[bytes]] = [level]
        sha = hashlib.sha256
        while len(level) > 1:
            nxt = [
                sha(b"\x01" + level[i] + level[i + 1]).digest()
                for i in range(0, len(level) - 1, 2)
            ]
            if len(level) % 2:
                nxt.append(level[-1])  # an unpaired node moves up unchanged (RFC 6962 shape)
            self._levels.append(nxt)
            level = nxt

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def hex_levels(self) -> list[list[str]]:
        """Every level (leaves first, root last) as hex strings."""
        return [[h.hex() for h in level] for level in self._levels]

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all)."""
        n = self.size if size is None else size
        if not 0 <= n <= self.size:
            raise ValueError(f"tree size {n} outside 0..{self.size}")
        if n == 0:
            return EMPTY_ROOT
        if n == self.size:
            return self._levels[-1][0]
        return self._subtree(0, n)

    def _subtree(self, lo: int, hi: int) -> bytes:
        """MTH of leaves ``lo..hi-1``; ``lo`` is a multiple of the range's split."""
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            return self._levels[width.bit_length() - 1][lo // width]
        k = _split(width)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[size]): sibling hashes from the leaf up."""
        n = self.size if size is None else size
        if not 0 <= index < n <= self.size:
            raise ValueError(f"no leaf {index} in a tree of size {n}")
        if n == self.size:
            proof: list[bytes] = []
            for level in self._levels[:-1]:
                sibling = index ^ 1
                if sibling < len(level):
                    proof.append(level[sibling])
                index >>= 1
            return proof
        return self._path(index, 0, n)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = _split(hi - lo)
        if m < k:
            return [*self._path(m, lo, lo + k), self._subtree(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self._subtree(lo, lo + k)]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[size])."""
        n = self.size if size is None else size
        if not 0 <= old_size <= n <= self.size:
            raise ValueError(f"no consistency proof from size {old_size} to {n}")
        if old_size in (0, n):
            return []
        return self._subproof(old_size, 0, n, True)

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        if m == hi - lo:
            return [] if complete else [self._subtree(lo, hi)]
        k = _split(hi - lo)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self._subtree(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self._subtree(lo, lo + k)]


def _check_hashes(what: str, hashes: Sequence[bytes]) -> None:
    for i, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise ProofError(f"{what}[{i}] has {len(h)} bytes, expected {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root that ``proof`` leads to from ``leaf``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    _check_hashes("leaf", [leaf])
    _check_hashes("proof", proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"proof has {len(proof)} hashes, too many for index {index} of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof has {len(proof)} hashes, too few for index {index} of {size}")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows ``leaf`` at ``index`` under ``root``."""
    _check_hashes("root", [root])
    got = root_from_inclusion(index, size, leaf, proof)
    if got != root:
        raise ProofError(f"inclusion proof leads to root {got.hex()}, not {root.hex()}")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 2.1.4.2: raise :class:`ProofError` unless the tree of ``size2``
    with head ``root2`` extends the tree of ``size1`` with head ``root1``."""
    _check_hashes("proof", proof)
    if size1 < 0 or size2 < size1:
        raise ProofError(f"size {size2} is smaller than earlier size {size1}")
    if size1 == size2:
        if proof:
            raise ProofError("trees of equal size need an empty proof")
        if root1 != root2:
            raise ProofError(f"same size {size1} but different roots {root1.hex()} / {root2.hex()}")
        return
    if size1 == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError(f"empty consistency proof from size {size1} to {size2}")
    _check_hashes("root", [root1, root2])
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof too long for sizes {size1} -> {size2}")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof too short for sizes {size1} -> {size2}")
    if fr != root1:
        raise ProofError(f"consistency proof does not lead to the earlier root {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof does not lead to the later root {root2.hex()}")


HEX_STRIDE = 67  # one hash in a proof's JSON text: '"' + 64 hex digits + '"' + ','


def proof_text(proof: Sequence[bytes]) -> bytes:
    """A proof as the inside of its JSON array: ``"hex0","hex1",...``."""
    return b",".join(b'"' + h.hex().encode() + b'"' for h in proof)


def verify_inclusions(
    size: int, root: bytes, items: Sequence[tuple[int, bytes, list[bytes]]]
) -> list[tuple[int, str]]:
    """:func:`verify_inclusion_texts` for proofs given as lists of hashes."""
    return verify_inclusion_texts(size, root, [(i, leaf, proof_text(p)) for i, leaf, p in items])


def verify_inclusion_texts(
    size: int, root: bytes, items: Sequence[tuple[int, bytes, bytes]]
) -> list[tuple[int, str]]:
    """Verify many inclusion proofs against one tree head; return ``(item number,
    reason)`` for each proof that fails.

    Each proof is given as the text inside its JSON array (see :func:`proof_text`,
    lower-case hex). Same verdicts as :func:`verify_inclusion` for each item, but
    a node already reached by a verified proof is not hashed again: once a proof
    arrives at a verified node with the same hash, it holds if the rest of its
    text equals the rest of the proof that verified there. A million proofs then
    cost about two million hashes instead of twenty million, and most proof
    hashes are compared as text, never decoded.
    """
    _check_hashes("root", [root])
    memo: dict[tuple[int, int], tuple[bytes, bytes, int]] = {}
    failures: list[tuple[int, str]] = []
    sha = hashlib.sha256
    unhex = binascii.unhexlify
    for n, (index, leaf, text) in enumerate(items):
        count = (len(text) + 1) // HEX_STRIDE if text else 0
        if text and count * HEX_STRIDE != len(text) + 1:
            failures.append((n, "inclusion is not a list of 64-digit hex hashes"))
            continue
        if not 0 <= index < size:
            failures.append((n, f"leaf index {index} is not inside a tree of size {size}"))
            continue
        if len(leaf) != HASH_SIZE:
            failures.append((n, "the leaf hash does not have 32 bytes"))
            continue
        fn, sn, r, level = index, size - 1, leaf, 0
        seen: list[tuple[tuple[int, int], bytes, int]] = []
        verdict: str | None = None
        for j in range(count):
            if sn == 0:
                verdict = f"proof has {count} hashes, too many for index {index} of {size}"
                break
            at = j * HEX_STRIDE
            try:
                p = unhex(text[at + 1 : at + 65])
            except (binascii.Error, ValueError):
                p = b""
            if len(p) != HASH_SIZE or text[at : at + 1] != b'"' or text[at + 65 : at + 66] != b'"':
                verdict = f"proof hash {j} is not 64 hex digits in quotes"
                break
            if fn & 1 or fn == sn:
                r = sha(b"\x01" + p + r).digest()
                if not fn & 1:
                    while fn and not fn & 1:
                        fn >>= 1
                        sn >>= 1
                        level += 1
            else:
                r = sha(b"\x01" + r + p).digest()
            fn >>= 1
            sn >>= 1
            level += 1
            rest = at + HEX_STRIDE
            hit = memo.get((level, fn))
            if hit is not None:
                value, other, other_rest = hit
                if value != r or other[other_rest:] != text[rest:]:
                    verdict = "inclusion proof does not lead to the checkpoint root"
                break
            seen.append(((level, fn), r, rest))
        else:
            if sn != 0:
                verdict = f"proof has {count} hashes, too few for index {index} of {size}"
            elif r != root:
                verdict = "inclusion proof does not lead to the checkpoint root"
        if verdict is not None:
            failures.append((n, verdict))
            continue
        for key, value, rest in seen:
            memo[key] = (value, text, rest)
    return failures
