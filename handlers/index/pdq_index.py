"""A growing, exact PDQ radius index: immutable MIH segments plus a small tail.

Bulk loads become one :class:`~handlers.index.mih.MihSegment`. Entries added
one by one (a ``confirmed`` bank growing as operators decide) go to a tail
searched by brute force; when the tail reaches ``tail_limit`` it is frozen
into a new segment, and :meth:`PdqIndex.compact` merges all segments into one.
Every row carries an int id (the bank entry id) and a uint32 tag the caller
chooses (:class:`handlers.index.bank_index.BankIndex` packs bank and category).

Searching is CPU-bound and synchronous; :meth:`search_batch` splits big batches
over a thread pool (numpy releases the GIL in the heavy loops), and
``BankIndex`` offers async wrappers so the event loop never waits.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from handlers.index.mih import U64, MihSegment, distances, hex_to_words

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
DEFAULT_TAIL_LIMIT = 16384
SUB_BATCH = 48  # queries per search call: keeps the expanded arrays cache-sized


@dataclass(frozen=True, slots=True)
class PdqHits:
    """Search results as parallel arrays: query index, entry id, distance, tag."""

    query: I64
    ids: I64
    distance: I64
    tags: U32

    def __len__(self) -> int:
        return len(self.query)


def _empty_hits() -> PdqHits:
    z = np.zeros(0, dtype=np.int64)
    return PdqHits(z, z.copy(), z.copy(), np.zeros(0, dtype=np.uint32))


def _concat_hits(parts: Sequence[PdqHits]) -> PdqHits:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_hits()
    return PdqHits(
        np.concatenate([p.query for p in parts]),
        np.concatenate([p.ids for p in parts]),
        np.concatenate([p.distance for p in parts]),
        np.concatenate([p.tags for p in parts]),
    )


def _ids_array(ids: Sequence[int] | npt.NDArray[np.integer]) -> npt.NDArray[np.integer]:
    arr = np.asarray(ids, dtype=np.int64)
    # int32 halves the memory of a 10-million-entry bank; ids rarely need more.
    if len(arr) and int(arr.min()) >= -(2**31) and int(arr.max()) < 2**31:
        return arr.astype(np.int32)
    return arr


def _owned_nbytes(arr: np.ndarray) -> int:
    """Bytes an array really holds (a broadcast view of one value holds one)."""
    return int(arr.itemsize if arr.ndim == 1 and arr.strides[0] == 0 else arr.nbytes)


class _Segment:
    __slots__ = ("ids", "mih", "tags")

    def __init__(self, mih: MihSegment, ids: npt.NDArray[np.integer], tags: U32) -> None:
        self.mih, self.ids, self.tags = mih, ids, tags

    def search(self, queries: U64, radius: int) -> PdqHits:
        q, rows, d = self.mih.search(queries, radius)
        return PdqHits(q, np.take(self.ids, rows).astype(np.int64), d, np.take(self.tags, rows))


class PdqIndex:
    """Exact Hamming-radius search over PDQ hashes with int ids (see module doc)."""

    def __init__(self, *, tail_limit: int = DEFAULT_TAIL_LIMIT, threads: int = 2) -> None:
        self._segments: list[_Segment] = []
        self._tail_words: U64 = np.zeros((0, 4), dtype=np.uint64)
        self._tail_ids: I64 = np.zeros(0, dtype=np.int64)
        self._tail_tags: U32 = np.zeros(0, dtype=np.uint32)
        self._tail_limit = tail_limit
        self._threads = max(1, threads)
        self._lock = threading.Lock()  # writers only; readers see whole snapshots

    def __len__(self) -> int:
        return sum(len(s.mih) for s in self._segments) + len(self._tail_ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays."""
        return int(
            sum(s.mih.nbytes + s.ids.nbytes + _owned_nbytes(s.tags) for s in self._segments)
            + self._tail_words.nbytes
            + self._tail_ids.nbytes
            + self._tail_tags.nbytes
        )

    @property
    def segments(self) -> int:
        """How many frozen segments the index has (1 after :meth:`compact`)."""
        return len(self._segments)

    def add_bulk(
        self,
        ids: Sequence[int] | npt.NDArray[np.integer],
        words: U64,
        tags: U32 | None = None,
    ) -> None:
        """Add many entries at once as a new segment ((N, 4) uint64 words)."""
        if len(ids) != len(words):
            raise ValueError(f"{len(ids)} ids for {len(words)} hashes")
        if len(ids) == 0:
            return
        tag_arr = (
            np.zeros(len(ids), dtype=np.uint32) if tags is None else np.asarray(tags, np.uint32)
        )
        if len(ids) + len(self._tail_ids) < self._tail_limit:
            with self._lock:
                self._tail_words = np.vstack([self._tail_words, words.astype(np.uint64)])
                self._tail_ids = np.concatenate([self._tail_ids, np.asarray(ids, np.int64)])
                self._tail_tags = np.concatenate([self._tail_tags, tag_arr])
            return
        seg = _Segment(MihSegment(words, threads=self._threads), _ids_array(ids), tag_arr)
        with self._lock:
            self._segments = [*self._segments, seg]

    def add(self, entry_id: int, pdq_hex: str, tag: int = 0) -> None:
        """Add one entry (cheap: goes to the tail)."""
        words = hex_to_words([pdq_hex.lower()])
        with self._lock:
            tail_words = np.vstack([self._tail_words, words])
            tail_ids = np.append(self._tail_ids, np.int64(entry_id))
            tail_tags = np.append(self._tail_tags, np.uint32(tag))
            if len(tail_ids) >= self._tail_limit:
                seg = _Segment(MihSegment(tail_words, threads=1), _ids_array(tail_ids), tail_tags)
                self._segments = [*self._segments, seg]
                tail_words = np.zeros((0, 4), dtype=np.uint64)
                tail_ids = np.zeros(0, dtype=np.int64)
                tail_tags = np.zeros(0, dtype=np.uint32)
            self._tail_words, self._tail_ids, self._tail_tags = tail_words, tail_ids, tail_tags

    def compact(self) -> None:
        """Merge all segments and the tail into one segment (seconds at 10 M: run in a thread)."""
        with self._lock:
            segments, words = self._segments, self._tail_words
            ids, tags = self._tail_ids, self._tail_tags
            all_words = np.concatenate([*(s.mih.words for s in segments), words])
            all_ids = np.concatenate([*(s.ids.astype(np.int64) for s in segments), ids])
            all_tags = np.concatenate([*(s.tags for s in segments), tags])
            self._segments = []
            self._tail_words = np.zeros((0, 4), dtype=np.uint64)
            self._tail_ids = np.zeros(0, dtype=np.int64)
            self._tail_tags = np.zeros(0, dtype=np.uint32)
            if len(all_ids):
                mih = MihSegment(all_words, threads=self._threads)
                self._segments = [_Segment(mih, _ids_array(all_ids), all_tags)]

    def _search_tail(self, queries: U64, radius: int) -> PdqHits:
        words, ids, tags = self._tail_words, self._tail_ids, self._tail_tags
        if len(ids) == 0 or len(queries) == 0:
            return _empty_hits()
        q_idx = np.repeat(np.arange(len(queries), dtype=np.int64), len(ids))
        rows = np.tile(np.arange(len(ids), dtype=np.int64), len(queries))
        d = distances(np.take(words, rows, axis=0), np.take(queries, q_idx, axis=0))
        keep = d <= radius
        return PdqHits(q_idx[keep], ids[rows[keep]], d[keep], tags[rows[keep]])

    def search(self, queries: U64, radius: int) -> PdqHits:
        """Every (query, entry) pair within ``radius``; queries as (Q, 4) uint64."""
        segments = self._segments  # snapshot: adds replace the list, never mutate it
        parts = [seg.search(queries, radius) for seg in segments]
        parts.append(self._search_tail(queries, radius))
        return _concat_hits(parts)

    def search_hex(self, hexes: Sequence[str], radius: int) -> PdqHits:
        """:meth:`search` for hex strings."""
        return self.search(hex_to_words([h.lower() for h in hexes]), radius)

    def search_batch(self, queries: U64, radius: int) -> PdqHits:
        """:meth:`search` for many queries, split over the thread pool."""
        starts = range(0, len(queries), SUB_BATCH)
        if len(starts) <= 1 or self._threads == 1:
            return _concat_hits([self.search(queries[s : s + SUB_BATCH], radius) for s in starts])

        def run(start: int) -> PdqHits:
            hits = self.search(queries[start : start + SUB_BATCH], radius)
            return PdqHits(hits.query + start, hits.ids, hits.distance, hits.tags)

        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            return _concat_hits(list(pool.map(run, starts)))
