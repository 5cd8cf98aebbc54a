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
        if self.tags.ndim == 1 and self.tags.strides[0] == 0 and len(self.tags):
            # One tag for the whole segment (a broadcast view): np.take would
            # first copy the whole view.
            tags = np.full(len(rows), self.tags[0], dtype=np.uint32)
        else:
            tags = np.take(self.tags, rows)
        return PdqHits(q, np.take(self.ids, rows).astype(np.int64), d, tags)


@dataclass(frozen=True, slots=True)
class _State:
    """Everything a search reads, replaced as a whole by writers (never mutated),
    so a search in another thread always sees one consistent version."""

    segments: tuple[_Segment, ...]
    tail_words: U64
    tail_ids: I64
    tail_tags: U32


def _empty_state(segments: tuple[_Segment, ...] = ()) -> _State:
    return _State(
        segments,
        np.zeros((0, 4), dtype=np.uint64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.uint32),
    )


class PdqIndex:
    """Exact Hamming-radius search over PDQ hashes with int ids (see module doc)."""

    def __init__(self, *, tail_limit: int = DEFAULT_TAIL_LIMIT, threads: int = 2) -> None:
        self._state = _empty_state()
        self._tail_limit = tail_limit
        self._threads = max(1, threads)
        self._lock = threading.Lock()  # serialises writers; readers take self._state once
        self._compact_lock = threading.Lock()

    def __len__(self) -> int:
        st = self._state
        return sum(len(seg.mih) for seg in st.segments) + len(st.tail_ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays."""
        st = self._state
        return int(
            sum(seg.mih.nbytes + seg.ids.nbytes + _owned_nbytes(seg.tags) for seg in st.segments)
            + st.tail_words.nbytes
            + st.tail_ids.nbytes
            + st.tail_tags.nbytes
        )

    @property
    def segments(self) -> int:
        """How many frozen segments the index has (1 after :meth:`compact`)."""
        return len(self._state.segments)

    def add_bulk(
        self,
        ids: Sequence[int] | npt.NDArray[np.integer],
        words: U64,
        tags: U32 | None = None,
    ) -> None:
        """Add many entries at once ((N, 4) uint64 words): a new segment, or the
        tail when they are few."""
        if len(ids) != len(words):
            raise ValueError(f"{len(ids)} ids for {len(words)} hashes")
        if len(ids) == 0:
            return
        tag_arr = (
            np.zeros(len(ids), dtype=np.uint32) if tags is None else np.asarray(tags, np.uint32)
        )
        if len(ids) < self._tail_limit:
            # Few entries (one video's frames, a small bank): into the tail; a
            # tail that fills up becomes one segment with them, so many small
            # adds never make many tiny segments.
            with self._lock:
                st = self._state
                tail_words = np.vstack([st.tail_words, np.asarray(words, dtype=np.uint64)])
                tail_ids = np.concatenate([st.tail_ids, np.asarray(ids, np.int64)])
                tail_tags = np.concatenate([st.tail_tags, tag_arr])
                if len(tail_ids) < self._tail_limit:
                    self._state = _State(st.segments, tail_words, tail_ids, tail_tags)
                    return
                mih = MihSegment(tail_words, threads=1)
                seg = _Segment(mih, _ids_array(tail_ids), tail_tags)
                self._state = _empty_state((*st.segments, seg))
            return
        # Build outside the lock (seconds for millions); searches go on meanwhile.
        seg = _Segment(MihSegment(words, threads=self._threads), _ids_array(ids), tag_arr)
        with self._lock:
            st = self._state
            self._state = _State((*st.segments, seg), st.tail_words, st.tail_ids, st.tail_tags)

    def add(self, entry_id: int, pdq_hex: str, tag: int = 0) -> None:
        """Add one entry (cheap: goes to the tail; a full tail becomes a segment)."""
        words = hex_to_words([pdq_hex.lower()])
        with self._lock:
            st = self._state
            tail_words = np.vstack([st.tail_words, words])
            tail_ids = np.append(st.tail_ids, np.int64(entry_id))
            tail_tags = np.append(st.tail_tags, np.uint32(tag))
            if len(tail_ids) >= self._tail_limit:
                seg = _Segment(MihSegment(tail_words, threads=1), _ids_array(tail_ids), tail_tags)
                self._state = _empty_state((*st.segments, seg))
            else:
                self._state = _State(st.segments, tail_words, tail_ids, tail_tags)

    def compact(self) -> None:
        """Merge all segments and the tail into one segment (seconds at 10 M: run it
        in a thread). Searches see the old segments until the merged one is ready;
        entries added meanwhile are kept (segments are only ever appended)."""
        with self._compact_lock:
            with self._lock:  # freeze the tail first: then only segments are merged
                st = self._state
                if len(st.tail_ids):
                    words, ids, tags = st.tail_words, st.tail_ids, st.tail_tags
                    seg = _Segment(MihSegment(words, threads=1), _ids_array(ids), tags)
                    st = self._state = _empty_state((*st.segments, seg))
            merging = st.segments
            if len(merging) <= 1:
                return
            words = np.concatenate([seg.mih.words for seg in merging])
            ids = np.concatenate([seg.ids.astype(np.int64) for seg in merging])
            tags = np.concatenate([seg.tags for seg in merging])
            merged = _Segment(MihSegment(words, threads=self._threads), _ids_array(ids), tags)
            with self._lock:
                now = self._state
                later = now.segments[len(merging) :]
                self._state = _State((merged, *later), now.tail_words, now.tail_ids, now.tail_tags)

    @staticmethod
    def _search_tail(st: _State, queries: U64, radius: int) -> PdqHits:
        words, ids, tags = st.tail_words, st.tail_ids, st.tail_tags
        if len(ids) == 0 or len(queries) == 0:
            return _empty_hits()
        q_idx = np.repeat(np.arange(len(queries), dtype=np.int64), len(ids))
        rows = np.tile(np.arange(len(ids), dtype=np.int64), len(queries))
        d = distances(np.take(words, rows, axis=0), np.take(queries, q_idx, axis=0))
        keep = d <= radius
        return PdqHits(q_idx[keep], ids[rows[keep]], d[keep], tags[rows[keep]])

    def search(self, queries: U64, radius: int) -> PdqHits:
        """Every (query, entry) pair within ``radius``; queries as (Q, 4) uint64."""
        st = self._state
        parts = [seg.search(queries, radius) for seg in st.segments]
        parts.append(self._search_tail(st, queries, radius))
        return _concat_hits(parts)

    def search_hex(self, hexes: Sequence[str], radius: int) -> PdqHits:
        """:meth:`search` for hex strings."""
        return self.search(hex_to_words([h.lower() for h in hexes]), radius)

    def search_batch(self, queries: U64, radius: int) -> PdqHits:
        """:meth:`search` for many queries, split over the thread pool."""
        starts = range(0, len(queries), SUB_BATCH)

        def run(start: int) -> PdqHits:
            hits = self.search(queries[start : start + SUB_BATCH], radius)
            return PdqHits(hits.query + start, hits.ids, hits.distance, hits.tags)

        if len(starts) <= 1 or self._threads == 1:
            return _concat_hits([run(s) for s in starts])
        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            return _concat_hits(list(pool.map(run, starts)))
