"""vPDQ bank entries: every frame in a :class:`PdqIndex`, vPDQ's rule on top.

A query video's frames (quality >= 50, de-duplicated) are looked up at distance
31; a bank video matches when >= 80 % of the query's frames found one of its
frames (vPDQ's defaults, settable). The target's percentage is reported too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handlers.hashing.vpdq import (
    VPDQ_DISTANCE,
    VPDQ_QUALITY,
    VPDQ_QUERY_MATCH_PERCENT,
    VpdqFrame,
    distance_matrix,
    frames_to_array,
    prepare,
)
from handlers.index.pdq_index import PdqIndex


@dataclass(frozen=True, slots=True)
class VpdqHit:
    """A bank video matched by a query video."""

    entry_id: int
    tag: int
    query_percent: float
    target_percent: float
    distance: int  # the worst best-frame distance among the matched query frames


class VpdqIndex:
    """Bank videos by their vPDQ frames."""

    def __init__(
        self,
        *,
        distance: int = VPDQ_DISTANCE,
        quality: int = VPDQ_QUALITY,
        query_percent: float = VPDQ_QUERY_MATCH_PERCENT,
    ) -> None:
        self.distance, self.quality, self.query_percent = distance, quality, query_percent
        self._frames = PdqIndex(tail_limit=1024, threads=1)
        self._targets: dict[int, tuple[np.ndarray, int]] = {}

    def __len__(self) -> int:
        return len(self._targets)

    def add(self, entry_id: int, frames: Sequence[VpdqFrame], tag: int = 0) -> None:
        """Add one bank video (its frames below the quality floor are dropped)."""
        kept = prepare(frames, self.quality)
        if not kept:
            return
        words = frames_to_array(kept)
        self._targets[entry_id] = (words, tag)
        self._frames.add_bulk(np.full(len(kept), entry_id, dtype=np.int64), words)

    def compact(self) -> None:
        """Merge the frame segments (after many single adds)."""
        self._frames.compact()

    def lookup(self, frames: Sequence[VpdqFrame]) -> list[VpdqHit]:
        """Bank videos matching the query frames by vPDQ's rule."""
        query = prepare(frames, self.quality)
        if not query:
            return []
        qwords = frames_to_array(query)
        hits = self._frames.search(qwords, self.distance)
        best: dict[int, dict[int, int]] = defaultdict(dict)
        for q, entry, d in zip(
            hits.query.tolist(), hits.ids.tolist(), hits.distance.tolist(), strict=True
        ):
            frame_best = best[entry]
            if q not in frame_best or d < frame_best[q]:
                frame_best[q] = d
        out: list[VpdqHit] = []
        for entry, frame_best in best.items():
            q_percent = 100.0 * len(frame_best) / len(query)
            if q_percent < self.query_percent:
                continue
            target, tag = self._targets[entry]
            t_hit = int((distance_matrix(qwords, target) <= self.distance).any(axis=0).sum())
            out.append(
                VpdqHit(
                    entry, tag, q_percent, 100.0 * t_hit / len(target), max(frame_best.values())
                )
            )
        return out
