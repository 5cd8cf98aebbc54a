"""Multi-index hashing (Norouzi et al.) of 256-bit PDQ hashes in numpy.

One immutable :class:`MihSegment` answers "which rows are within Hamming
distance r of this hash" exactly (no approximation).

Layout: the hash is cut into ``CHUNKS`` = 11 chunks of ``CHUNK_BITS`` = 23 bits
(253 bits indexed; the last 3 only take part in the final distance). By the
pigeonhole principle, if two hashes are within distance r, then for any budgets
``t_j`` with ``sum(t_j) >= r - CHUNKS + 1`` some chunk j differs in at most
``t_j`` bits. For r = 31 that is ten chunks at 2 and one at 1: about 2,800
23-bit probes per query (2,300 bucket reads), each hitting ~1.2 of 10 million
rows on random data, so about 3,300 candidates get a full 256-bit distance
check.

Each chunk table is one sorted array of 32-bit words, one per row: the low 24
bits hold the row number and the top bits the chunk's last ``LO_BITS`` = 2 key
bits. An offsets table over the first ``HI_BITS`` = 21 key bits finds a bucket
(~5 rows at 10 M); the 2 low bits are then compared inside the bucket with what
is left of the probe's budget. The offsets are stored as 16-bit values relative
to a 32-bit offset every 256 buckets (4 MB per chunk instead of 8). Memory per
row: 32 bytes of hash plus 11 x 4 bytes of tables, ~76 bytes, plus 46 MB of
offsets (806 MB at 10 M). Past 2^24 rows the words are 64-bit (row in the low
40 bits). Smaller segments use fewer key bits (buckets of ~8 rows).

Bit order: hashes are (N, 4) uint64, word 0 holding the first 16 hex digits
(big-endian), bit 0 the most significant bit of word 0.
"""

from __future__ import annotations

import ctypes
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from itertools import combinations
from typing import Any, cast

import numpy as np
import numpy.typing as npt

CHUNKS = 11
_LITTLE = sys.byteorder == "little"
CHUNK_BITS = 23
HI_BITS = 21
LO_BITS = 3  # at most (fewer when HI_BITS + LO_BITS would exceed CHUNK_BITS)
BLOCK_SHIFT = 8  # one absolute offset per 256 buckets, 16-bit offsets in between
SMALL_ROW_BITS = 24  # rows < 2**24: uint32 words
LARGE_ROW_BITS = 40

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def hex_to_words(hexes: list[str] | tuple[str, ...]) -> U64:
    """64-digit hex strings to an (N, 4) uint64 array. Raises ValueError on bad hex."""
    if not hexes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(hexes))
    if len(raw) != 32 * len(hexes):
        raise ValueError("every PDQ hash must be 64 hex digits")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def bytes_to_words(raw: npt.NDArray[np.uint8]) -> U64:
    """An (N, 32) uint8 array of hash bytes to (N, 4) uint64 words."""
    flat = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1)
    return np.frombuffer(flat.tobytes(), dtype=">u8").astype(np.uint64).reshape(-1, 4)


def words_to_hex(words: U64) -> list[str]:
    """Inverse of :func:`hex_to_words`."""
    raw = words.astype(">u8").tobytes().hex()
    return [raw[i : i + 64] for i in range(0, len(raw), 64)]


def distances(a: U64, b: U64) -> npt.NDArray[np.int64]:
    """Row-wise Hamming distances of two equally shaped (N, 4) arrays."""
    c = np.bitwise_count(a ^ b)
    # Summing 4 columns by hand is much faster than a reduction over axis 1.
    out: npt.NDArray[np.int64] = (c[:, 0] + c[:, 1] + c[:, 2] + c[:, 3]).astype(np.int64)
    return out


def chunk_key(words: U64, chunk: int, bits: int = CHUNK_BITS) -> U64:
    """Bits [chunk*bits, +bits) of each hash as an integer."""
    start = chunk * bits
    w, off = divmod(start, 64)
    mask = np.uint64((1 << bits) - 1)
    if off + bits <= 64:
        return (words[:, w] >> np.uint64(64 - off - bits)) & mask
    spill = off + bits - 64
    high = (words[:, w] << np.uint64(spill)) & mask
    return high | (words[:, w + 1] >> np.uint64(64 - spill))


def budgets(radius: int) -> list[int]:
    """Per-chunk bit budgets t_j with sum >= radius - CHUNKS + 1, spread evenly."""
    total = max(0, radius - CHUNKS + 1)
    base, extra = divmod(total, CHUNKS)
    return [base + (1 if j < extra else 0) for j in range(CHUNKS)]


@cache
def flip_masks(bits: int, max_flips: int) -> tuple[I64, I64]:
    """All XOR masks over ``bits`` bits with at most ``max_flips`` bits set, and their weights."""
    masks: list[int] = []
    weights: list[int] = []
    for k in range(max_flips + 1):
        for combo in combinations(range(bits), k):
            m = 0
            for b in combo:
                m |= 1 << b
            masks.append(m)
            weights.append(k)
    return np.array(masks, dtype=np.int64), np.array(weights, dtype=np.int64)


def expand_ranges(starts: I64, lens: I64) -> I64:
    """Concatenation of ``arange(s, s + n)`` for every (s, n), vectorised."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lens)
    shift = np.repeat(starts - (ends - lens), lens)
    out: I64 = np.arange(total, dtype=np.int64) + shift
    return out


_Offsets = tuple["npt.NDArray[np.integer[Any]] | None", "npt.NDArray[np.integer[Any]]"]


def _compress_offsets(offsets: I64) -> _Offsets:
    """(coarse, fine): fine offsets relative to one absolute offset per block of
    2**BLOCK_SHIFT buckets, as uint16 when every block holds < 65,536 rows;
    else (None, absolute offsets)."""
    if len(offsets) > (1 << BLOCK_SHIFT):
        coarse = offsets[:: 1 << BLOCK_SHIFT]
        fine = offsets - np.repeat(coarse, 1 << BLOCK_SHIFT)[: len(offsets)]
        if int(fine.max()) < (1 << 16):
            small = coarse.astype(np.uint32) if int(offsets[-1]) < (1 << 32) else coarse
            return small, fine.astype(np.uint16)
    return None, (offsets.astype(np.uint32) if int(offsets[-1]) < (1 << 32) else offsets)


def _release_free_memory() -> None:
    """Give the building's freed temporaries back to the OS (glibc keeps freed
    heap memory of worker threads' arenas otherwise; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return


def _bounds(
    coarse: npt.NDArray[np.integer[Any]] | None,
    fine: npt.NDArray[np.integer[Any]],
    buckets: I64,
) -> tuple[I64, I64]:
    """First position and length of every bucket."""
    if coarse is None:
        starts = np.take(fine, buckets).astype(np.int64)
        return starts, np.take(fine, buckets + 1).astype(np.int64) - starts
    nxt = buckets + 1
    starts = np.take(coarse, buckets >> BLOCK_SHIFT).astype(np.int64) + np.take(fine, buckets)
    stops = np.take(coarse, nxt >> BLOCK_SHIFT).astype(np.int64) + np.take(fine, nxt)
    return starts, stops - starts


class MihSegment:
    """An immutable exact radius-search structure over a fixed set of hashes."""

    __slots__ = (
        "_bits",
        "_coarse",
        "_hi_bits",
        "_lo_bits",
        "_offsets",
        "_row_bits",
        "_tables",
        "words",
    )

    def __init__(self, words: U64, *, threads: int = 2, hi_bits: int | None = None) -> None:
        """Index ``words`` ((N, 4) uint64); row numbers are positions in it.

        ``hi_bits`` overrides the bucket-key width chosen from the size (tests).
        """
        if words.ndim != 2 or words.shape[1] != 4:
            raise ValueError("words must have shape (N, 4)")
        self.words = np.ascontiguousarray(words, dtype=np.uint64)
        n = len(self.words)
        # Small segments use fewer key bits (buckets of ~8 rows, small offsets).
        auto = min(HI_BITS, max(8, math.ceil(math.log2(max(n, 1) / 8))))
        self._hi_bits = auto if hi_bits is None else hi_bits
        if not 1 <= self._hi_bits <= CHUNK_BITS:
            raise ValueError(f"hi_bits must be 1..{CHUNK_BITS}")
        # Chunks never exceed CHUNK_BITS (11 x 23 <= 256): fewer low bits if needed.
        self._lo_bits = lo_bits = min(LO_BITS, CHUNK_BITS - self._hi_bits)
        self._bits = self._hi_bits + lo_bits
        hi_bits, bits = self._hi_bits, self._bits
        self._row_bits = SMALL_ROW_BITS if n < (1 << SMALL_ROW_BITS) else LARGE_ROW_BITS
        rows = np.arange(n, dtype=np.uint64)
        word_mask = np.uint64((1 << (lo_bits + self._row_bits)) - 1)
        row_bits = self._row_bits

        def build(j: int) -> tuple[npt.NDArray[np.unsignedinteger[Any]], _Offsets]:
            key = chunk_key(self.words, j, bits)
            composite = (key << np.uint64(row_bits)) | rows
            composite.sort()  # numpy's sort releases the GIL: chunks build in parallel
            packed = composite & word_mask
            del composite
            table = packed.astype(np.uint32) if row_bits == SMALL_ROW_BITS else packed
            hi = (key >> np.uint64(lo_bits)).astype(np.intp)
            counts = np.bincount(hi, minlength=1 << hi_bits)
            offsets = np.zeros((1 << hi_bits) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            return table, _compress_offsets(offsets)

        with ThreadPoolExecutor(max_workers=max(1, min(threads, CHUNKS))) as pool:
            built = list(pool.map(build, range(CHUNKS)))
        self._tables: list[npt.NDArray[np.unsignedinteger[Any]]] = [b[0] for b in built]
        self._coarse: list[npt.NDArray[np.integer[Any]] | None] = [b[1][0] for b in built]
        self._offsets: list[npt.NDArray[np.integer[Any]]] = [b[1][1] for b in built]
        if n >= 1_000_000:
            _release_free_memory()

    def __len__(self) -> int:
        return len(self.words)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays of this segment."""
        return int(
            self.words.nbytes
            + sum(t.nbytes for t in self._tables)
            + sum(o.nbytes for o in self._offsets)
            + sum(c.nbytes for c in self._coarse if c is not None)
        )

    def search(self, queries: U64, radius: int) -> tuple[I64, I64, I64]:
        """All (query index, row, distance) with distance <= radius, in no order."""
        n_q = len(queries)
        empty = np.zeros(0, dtype=np.int64)
        if n_q == 0 or len(self.words) == 0:
            return empty, empty.copy(), empty.copy()
        lo_mask = np.uint64((1 << self._lo_bits) - 1)
        cand_q: list[I64] = []
        cand_r: list[I64] = []
        for j, t in enumerate(budgets(radius)):
            masks, weights = flip_masks(self._hi_bits, t)
            n_p = len(masks)
            qkey = chunk_key(queries, j, self._bits)
            qhi = (qkey >> np.uint64(self._lo_bits)).astype(np.int64)
            qlo = (qkey & lo_mask).astype(np.int64)
            buckets = (qhi[:, None] ^ masks[None, :]).reshape(-1)
            starts, lens = _bounds(self._coarse[j], self._offsets[j], buckets)
            ends = np.cumsum(lens)
            total = int(ends[-1])
            if total == 0:
                continue
            # int32 positions (tables hold < 2**31 rows here) halve the traffic.
            itype = np.int32 if total < 2**31 and len(self.words) < 2**31 else np.int64
            shift = (starts - (ends - lens)).astype(itype)
            idx = cast(
                "npt.NDArray[np.signedinteger[Any]]",
                np.arange(total, dtype=itype) + np.repeat(shift, lens),
            )
            word: npt.NDArray[np.unsignedinteger[Any]] = np.take(self._tables[j], idx)
            # Which low key bits each probe still accepts, as an 8-bit set.
            allowed = _allowed_table(self._lo_bits)[qlo[:, None], (t - weights)[None, :]]
            if word.dtype == np.uint32:  # the low key bits are the top byte: a view
                lo = word.view(np.uint8)[3::4] if _LITTLE else word.view(np.uint8)[0::4]
            else:
                lo = np.right_shift(word, self._row_bits).astype(np.uint8)
            ok = (np.repeat(allowed.reshape(-1), lens) >> lo) & np.uint8(1)
            pos = np.flatnonzero(ok.view(np.bool_))  # 0/1 bytes: a bool view is valid
            if len(pos) == 0:
                continue
            # The query of each survivor: positions are sorted, so search the
            # per-query ends (n_q values) rather than the per-probe ends.
            query_ends = ends[n_p - 1 :: n_p]
            cand_q.append(np.searchsorted(query_ends, pos, side="right"))
            rows = np.take(word, pos) & word.dtype.type((1 << self._row_bits) - 1)
            cand_r.append(rows.astype(np.int64))
        if not cand_q:
            return empty, empty.copy(), empty.copy()
        # Verify first, de-duplicate after: a row found through several chunks
        # is rare for non-matches, and sorting all candidates costs more.
        q_all = np.concatenate(cand_q)
        r_all = np.concatenate(cand_r)
        # np.take on axis 0 is far faster than fancy indexing of 2-D arrays.
        dist = distances(np.take(self.words, r_all, axis=0), np.take(queries, q_all, axis=0))
        keep = np.flatnonzero(dist <= radius)
        if len(keep) == 0:
            return empty, empty.copy(), empty.copy()
        q_k, r_k, d_k = q_all[keep], r_all[keep], dist[keep]
        order = np.lexsort((r_k, q_k))
        q_k, r_k, d_k = q_k[order], r_k[order], d_k[order]
        first = np.ones(len(q_k), dtype=bool)
        first[1:] = (q_k[1:] != q_k[:-1]) | (r_k[1:] != r_k[:-1])
        return q_k[first], r_k[first], d_k[first]


@cache
def _allowed_table(lo_bits: int) -> npt.NDArray[np.uint8]:
    """[q, left]: bit v set when popcount(v ^ q) <= left, for ``lo_bits``-bit v."""
    size = 1 << lo_bits
    table = np.zeros((size, CHUNK_BITS + 1), dtype=np.uint8)
    for q in range(size):
        for left in range(CHUNK_BITS + 1):
            bits = 0
            for v in range(size):
                if (v ^ q).bit_count() <= left:
                    bits |= 1 << v
            table[q, left] = bits
    return table
