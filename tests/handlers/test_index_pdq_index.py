"""PdqIndex: bulk segments, incremental tail, compaction, batched search."""

from __future__ import annotations

import numpy as np
import pytest

from handlers.index.mih import distances, words_to_hex
from handlers.index.pdq_index import PdqIndex


@pytest.fixture
def words() -> np.ndarray:
    """30,000 random hashes."""
    rng = np.random.default_rng(5)
    return rng.integers(0, 2**64 - 1, size=(30_000, 4), dtype=np.uint64, endpoint=True)


def _truth(words: np.ndarray, ids: np.ndarray, query: np.ndarray, radius: int) -> set[int]:
    d = distances(words, np.broadcast_to(query, words.shape))
    return {int(ids[r]) for r in np.flatnonzero(d <= radius)}


def test_bulk_and_incremental_agree_with_brute_force(words: np.ndarray) -> None:
    """Entries added in bulk, one by one, and after compaction are all found, with ids."""
    ids = np.arange(1000, 1000 + len(words), dtype=np.int64)
    index = PdqIndex(tail_limit=100)
    index.add_bulk(ids[:20_000], words[:20_000], np.full(20_000, 7, dtype=np.uint32))
    hexes = words_to_hex(words[20_000:20_250])
    for i, h in enumerate(hexes):
        index.add(int(ids[20_000 + i]), h, tag=9)
    assert len(index) == 20_250
    assert index.segments == 3  # bulk + two frozen tails of 100; 50 still in the tail
    queries = words[[3, 19_999, 20_001, 20_249]] ^ np.array(
        [0xFF, 0, 0, 0], dtype=np.uint64
    )  # 8 bits off
    for q_i, query in enumerate(queries):
        hits = index.search(queries, 31)
        found = set(hits.ids[hits.query == q_i].tolist())
        assert found == _truth(words[:20_250], ids[:20_250], query, 31)
    hits = index.search(queries, 31)
    assert set(hits.tags.tolist()) == {7, 9}
    index.compact()
    assert index.segments == 1 and len(index) == 20_250
    after = index.search(queries, 31)
    assert sorted(after.ids.tolist()) == sorted(hits.ids.tolist())


@pytest.mark.parametrize("threads", [1, 2])
def test_search_batch_matches_search(words: np.ndarray, threads: int) -> None:
    """Batched search (threaded or not) returns the same pairs as one plain search."""
    index = PdqIndex(threads=threads)
    index.add_bulk(np.arange(len(words)), words)
    rng = np.random.default_rng(1)
    queries = words[rng.integers(0, len(words), 300)] ^ np.array([0xF0F0, 0, 0, 1], dtype=np.uint64)
    plain = index.search(queries, 31)
    batch = index.search_batch(queries, 31)
    assert sorted(zip(plain.query.tolist(), plain.ids.tolist(), strict=True)) == sorted(
        zip(batch.query.tolist(), batch.ids.tolist(), strict=True)
    )
    assert len(batch) >= 300


def test_small_bulk_goes_to_tail_and_errors() -> None:
    """A small bulk add lands in the tail; mismatched ids and hashes are refused."""
    index = PdqIndex()
    index.add_bulk([1, 2], np.array([[0, 0, 0, 0], [1, 1, 1, 1]], dtype=np.uint64))
    assert index.segments == 0 and len(index) == 2
    hits = index.search_hex(["00" * 32], 0)
    assert hits.ids.tolist() == [1]
    with pytest.raises(ValueError):
        index.add_bulk([1], np.zeros((2, 4), dtype=np.uint64))
    with pytest.raises(ValueError):
        index.add(3, "zz")


def test_compact_while_adding_keeps_every_entry_once(words: np.ndarray) -> None:
    """Entries added from another thread during compaction are all kept, none twice,
    and searches during compaction keep finding the bulk entries."""
    import threading

    index = PdqIndex(tail_limit=50)
    index.add_bulk(np.arange(20_000), words[:20_000])
    index.add_bulk(np.arange(20_000, 25_000), words[20_000:25_000])
    hexes = words_to_hex(words[25_000:25_400])
    stop = threading.Event()
    misses: list[int] = []

    def writer() -> None:
        for i, h in enumerate(hexes):
            index.add(25_000 + i, h)

    def reader() -> None:
        while not stop.is_set():
            if 7 not in index.search(words[7:8], 0).ids.tolist():
                misses.append(1)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    index.compact()
    threads[0].join()
    stop.set()
    threads[1].join()
    index.compact()
    assert misses == []
    assert len(index) == 25_400 and index.segments == 1
    hits = index.search(words[:25_400], 0)
    assert sorted(hits.ids.tolist()) == list(range(25_400))


def test_many_small_bulk_adds_make_few_segments(words: np.ndarray) -> None:
    """Small bulk adds (one video's frames each) fill the tail into full segments."""
    index = PdqIndex(tail_limit=100)
    for start in range(0, 1500, 30):
        index.add_bulk(np.arange(start, start + 30), words[start : start + 30])
    assert len(index) == 1500
    assert index.segments <= 1500 // 100
    hits = index.search(words[:1500], 0)
    assert sorted(hits.ids.tolist()) == list(range(1500))
