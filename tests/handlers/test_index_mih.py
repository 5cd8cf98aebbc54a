"""Multi-index hashing segment: exact radius search compared with brute force."""

from __future__ import annotations

import numpy as np
import pytest

from handlers.index.mih import (
    MihSegment,
    budgets,
    chunk_key,
    distances,
    expand_ranges,
    hex_to_words,
    words_to_hex,
)


def _flip(words: np.ndarray, rng: np.random.Generator, k: int) -> np.ndarray:
    out = words.copy()
    for b in rng.choice(256, size=k, replace=False):
        out[b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)
    return out


@pytest.fixture(scope="module")
def bank() -> np.ndarray:
    """50,000 random 256-bit hashes."""
    rng = np.random.default_rng(42)
    return rng.integers(0, 2**64 - 1, size=(50_000, 4), dtype=np.uint64, endpoint=True)


@pytest.mark.parametrize(
    ("radius", "hi_bits"), [(0, None), (10, None), (31, None), (45, 11), (31, 20), (31, 21)]
)
def test_search_equals_brute_force(bank: np.ndarray, radius: int, hi_bits: int | None) -> None:
    """For near and random queries the segment returns exactly the brute-force set
    (hi_bits 20 and 21 are what segments of 4-8 and over 8 million rows get)."""
    seg = MihSegment(bank, hi_bits=hi_bits)
    rng = np.random.default_rng(radius)
    near = [_flip(bank[i], rng, int(rng.integers(0, radius + 5))) for i in range(40)]
    far = rng.integers(0, 2**64 - 1, size=(10, 4), dtype=np.uint64, endpoint=True)
    queries = np.vstack([np.array(near), far])
    q, rows, dist = seg.search(queries, radius)
    got = {(int(a), int(b), int(c)) for a, b, c in zip(q, rows, dist, strict=True)}
    expected = set()
    for i, query in enumerate(queries):
        d = distances(bank, np.broadcast_to(query, bank.shape))
        expected |= {(i, int(r), int(d[r])) for r in np.flatnonzero(d <= radius)}
    assert got == expected
    assert len(got) == len({(a, b) for a, b, _ in got})  # no duplicates


def test_edge_bits_flipped_still_found(bank: np.ndarray) -> None:
    """Flips concentrated at the end (bits not indexed by chunks) are still found."""
    seg = MihSegment(bank)
    query = bank[7].copy()
    query[3] ^= np.uint64(0b111)  # the 3 unindexed bits
    query[0] ^= np.uint64(0xFFFFFFF) << np.uint64(36)  # 28 bits inside chunk 0/1
    _q, rows, dist = seg.search(query[None, :], 31)
    assert 7 in rows.tolist()
    assert int(dist[rows.tolist().index(7)]) == 31


def test_empty_and_small_segments() -> None:
    """An empty segment finds nothing; a one-row segment finds its row."""
    empty = MihSegment(np.zeros((0, 4), dtype=np.uint64))
    assert len(empty.search(np.zeros((1, 4), dtype=np.uint64), 31)[0]) == 0
    one = MihSegment(np.ones((1, 4), dtype=np.uint64))
    q, rows, dist = one.search(np.ones((2, 4), dtype=np.uint64), 0)
    assert rows.tolist() == [0, 0] and q.tolist() == [0, 1] and dist.tolist() == [0, 0]


def test_budgets_satisfy_pigeonhole() -> None:
    """Chunk budgets sum to at least radius - chunks + 1 and are spread evenly."""
    for radius in range(0, 64):
        b = budgets(radius)
        assert sum(b) >= radius - len(b) + 1
        assert max(b) - min(b) <= 1
    assert budgets(31) == [2] * 10 + [1]


def test_hex_round_trip_and_chunk_keys() -> None:
    """Hex <-> words round-trips; chunk keys read bits MSB-first across words."""
    hexes = ["80" + "00" * 31, "00" * 31 + "ff"]
    words = hex_to_words(hexes)
    assert words_to_hex(words) == hexes
    assert int(chunk_key(words, 0)[0]) == 1 << 22
    assert int(chunk_key(words, 0)[1]) == 0
    with pytest.raises(ValueError):
        hex_to_words(["abc"])


def test_expand_ranges() -> None:
    """Range expansion concatenates arange(start, start+len) for each pair."""
    out = expand_ranges(np.array([5, 0, 9]), np.array([2, 0, 3]))
    assert out.tolist() == [5, 6, 9, 10, 11]


def test_many_identical_hashes_use_absolute_offsets() -> None:
    """70,000 copies of one hash (a bucket block over 65,535 rows) are all found."""
    rng = np.random.default_rng(9)
    same = np.repeat(rng.integers(0, 2**63, size=(1, 4), dtype=np.uint64), 70_000, axis=0)
    other = rng.integers(0, 2**64 - 1, size=(5_000, 4), dtype=np.uint64, endpoint=True)
    seg = MihSegment(np.vstack([same, other]))
    _q, rows, dist = seg.search(same[:1], 31)
    assert len(rows) == 70_000 and set(rows.tolist()) == set(range(70_000))
    assert set(dist.tolist()) == {0}


def test_offset_compression_round_trip() -> None:
    """Relative 16-bit offsets give the same bucket bounds as absolute ones."""
    from handlers.index.mih import _bounds, _compress_offsets

    rng = np.random.default_rng(2)
    offsets = np.concatenate([[0], np.cumsum(rng.integers(0, 9, size=4096))]).astype(np.int64)
    coarse, fine = _compress_offsets(offsets)
    assert coarse is not None and fine.dtype == np.uint16
    buckets = rng.integers(0, 4096, size=500).astype(np.int64)
    starts, lens = _bounds(coarse, fine, buckets)
    assert starts.tolist() == offsets[buckets].tolist()
    assert lens.tolist() == (offsets[buckets + 1] - offsets[buckets]).tolist()
    big = offsets.copy()
    big[300:] += 70_000
    assert _compress_offsets(big)[0] is None
