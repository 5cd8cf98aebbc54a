"""vPDQ bank entries: every frame in a :class:`PdqIndex`, vPDQ's rule on top.

Each bank video's frames (quality >= 50, de-duplicated) are indexed with the
entry id and, as the row's tag, the frame's position in the video. A query
video's frames (filtered the same way) are looked up once at distance 31; the
hits give, per bank video, both percentages at once: how many of the query's
frames found one of its frames, and how many of its frames were found by the
query. No per-candidate distance matrix: a long compilation against a big bank
costs one radius search.

Which bank videos match is :class:`~handlers.hashing.vpdq.VpdqThresholds`'
decision in both directions (contains / excerpt), with thresholds chosen per
hit by the caller (``thresholds_of``: the bank index maps a bank's tag to its
thresholds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from handlers.hashing.vpdq import (
    DEFAULT_THRESHOLDS,
    VPDQ_DISTANCE,
    VPDQ_QUALITY,
    VpdqFrame,
    VpdqMatch,
    VpdqThresholds,
    VpdqVerdict,
    frames_to_array,
    prepare,
)
from handlers.index.pdq_index import PdqIndex


@dataclass(frozen=True, slots=True)
class VpdqHit:
    """A bank video matched by a query video."""

    entry_id: int
    tag: int
    query_percent: float  # of the query's frames, found in the bank video
    target_percent: float  # of the bank video's frames, found in the query
    #: The worst best-frame distance among the matched frames of the side that
    #: decided (the query's for an excerpt or both, the bank video's for contains).
    distance: int
    verdict: VpdqVerdict


def _distinct_per_group(group: np.ndarray, member: np.ndarray, groups: int) -> np.ndarray:
    """How many distinct ``member`` values each group has (both int64 arrays)."""
    span = int(member.max()) + 1
    pairs = np.unique(group * span + member)
    return np.bincount(pairs // span, minlength=groups)


def _worst_best(
    group: np.ndarray, member: np.ndarray, dist: np.ndarray, groups: int
) -> np.ndarray:
    """Per group: the largest, over its members, of the member's smallest distance."""
    span = int(member.max()) + 1
    keys = group * span + member
    order = np.lexsort((dist, keys))  # by key, closest first
    keys, dist = keys[order], dist[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    out = np.zeros(groups, dtype=np.int64)
    np.maximum.at(out, keys[first] // span, dist[first])
    return out


class VpdqIndex:
    """Bank videos by their vPDQ frames."""

    def __init__(self, *, distance: int = VPDQ_DISTANCE, quality: int = VPDQ_QUALITY) -> None:
        self.distance, self.quality = distance, quality
        self._frames = PdqIndex(tail_limit=1024, threads=1)
        #: entry id -> (frames kept, tag)
        self._targets: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._targets)

    def add(self, entry_id: int, frames: Sequence[VpdqFrame], tag: int = 0) -> None:
        """Add one bank video (its frames below the quality floor are dropped)."""
        kept = prepare(frames, self.quality)
        if not kept:
            return
        self._targets[entry_id] = (len(kept), tag)  # before its frames: lookups find it
        self._frames.add_bulk(
            np.full(len(kept), entry_id, dtype=np.int64),
            frames_to_array(kept),
            np.arange(len(kept), dtype=np.uint32),  # the row's tag: frame position
        )

    def compact(self) -> None:
        """Merge the frame segments (after many single adds)."""
        self._frames.compact()

    def compare(self, frames: Sequence[VpdqFrame]) -> dict[int, tuple[VpdqMatch, int, int]]:
        """Every bank video sharing a frame with the query: entry id -> (the two
        percentages, worst best distance of the query's matched frames, of the
        bank video's matched frames)."""
        query = prepare(frames, self.quality)
        if not query:
            return {}
        hits = self._frames.search_batch(frames_to_array(query), self.distance)
        if not len(hits):
            return {}
        entries, group = np.unique(hits.ids, return_inverse=True)
        group = group.astype(np.int64)
        qpos = hits.query.astype(np.int64)
        tpos = hits.tags.astype(np.int64)
        dist = hits.distance.astype(np.int64)
        n = len(entries)
        q_found = _distinct_per_group(group, qpos, n)
        t_found = _distinct_per_group(group, tpos, n)
        q_worst = _worst_best(group, qpos, dist, n)
        t_worst = _worst_best(group, tpos, dist, n)
        out: dict[int, tuple[VpdqMatch, int, int]] = {}
        for i, entry in enumerate(entries.tolist()):
            target = self._targets.get(entry)
            if target is None:
                continue
            match = VpdqMatch(100.0 * int(q_found[i]) / len(query),
                              100.0 * int(t_found[i]) / target[0])
            out[entry] = (match, int(q_worst[i]), int(t_worst[i]))
        return out

    def lookup(
        self,
        frames: Sequence[VpdqFrame],
        thresholds_of: Callable[[int], VpdqThresholds] | None = None,
    ) -> list[VpdqHit]:
        """Bank videos matching the query frames in either direction;
        ``thresholds_of(tag)``: the thresholds for a bank video's tag (default:
        the default thresholds for all)."""
        out: list[VpdqHit] = []
        for entry, (match, q_worst, t_worst) in self.compare(frames).items():
            tag = self._targets[entry][1]
            thresholds = DEFAULT_THRESHOLDS if thresholds_of is None else thresholds_of(tag)
            verdict = thresholds.decide(match)
            if verdict is None:
                continue
            distance = t_worst if verdict.direction == "contains" else q_worst
            out.append(VpdqHit(entry, tag, match.query_percent, match.target_percent,
                               distance, verdict))
        return out
