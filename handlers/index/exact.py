"""Exact-hash lookup (SHA-256, SHA-1, MD5) for millions of entries.

Bulk loads are kept as a sorted fixed-width byte array (``S32``/``S20``/``S16``)
searched with ``np.searchsorted``: 10 million MD5s take 16 bytes each plus 8 of
id and tag, far less than a Python dict. Single adds go to a small dict.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

DIGEST_SIZES = {"sha256": 32, "sha1": 20, "md5": 16}


class ExactIndex:
    """Maps a digest (hex) to the (entry id, tag) pairs that carry it."""

    def __init__(self, hash_type: str) -> None:
        if hash_type not in DIGEST_SIZES:
            raise ValueError(f"not an exact hash type: {hash_type!r}")
        self.hash_type = hash_type
        self.size = DIGEST_SIZES[hash_type]
        # keys, ids, tags: replaced together as one tuple, so a lookup running in
        # another thread never pairs new keys with old ids.
        self._bulk: tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int64], npt.NDArray[np.uint32]] = (
            np.zeros(0, dtype=f"S{self.size}"),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.uint32),
        )
        self._extra: dict[bytes, list[tuple[int, int]]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._bulk[1]) + sum(len(v) for v in self._extra.values())

    @property
    def nbytes(self) -> int:
        """Bytes held by the bulk arrays (the dict of single adds not counted)."""
        return int(sum(a.nbytes for a in self._bulk))

    def _digest(self, hex_value: str) -> bytes:
        raw = bytes.fromhex(hex_value)
        if len(raw) != self.size:
            raise ValueError(f"{self.hash_type} must be {2 * self.size} hex digits")
        return raw

    def add_bulk(
        self, ids: Sequence[int], hexes: Sequence[str], tags: Sequence[int] | None = None
    ) -> None:
        """Add many entries; merges with what is there and re-sorts (one sort)."""
        if len(ids) != len(hexes):
            raise ValueError(f"{len(ids)} ids for {len(hexes)} hashes")
        if not ids:
            return
        raw = bytes.fromhex("".join(hexes))
        if len(raw) != self.size * len(hexes):
            raise ValueError(f"every {self.hash_type} must be {2 * self.size} hex digits")
        keys = np.frombuffer(raw, dtype=f"S{self.size}")
        new_tags = np.zeros(len(ids), np.uint32) if tags is None else np.asarray(tags, np.uint32)
        with self._lock:
            old_keys, old_ids, old_tags = self._bulk
            all_keys = np.concatenate([old_keys, keys])
            all_ids = np.concatenate([old_ids, np.asarray(ids, dtype=np.int64)])
            all_tags = np.concatenate([old_tags, new_tags])
            order = np.argsort(all_keys, kind="stable")
            self._bulk = (all_keys[order], all_ids[order], all_tags[order])

    def add(self, entry_id: int, hex_value: str, tag: int = 0) -> None:
        """Add one entry."""
        key = self._digest(hex_value)
        with self._lock:
            self._extra.setdefault(key, []).append((entry_id, tag))

    def lookup(self, hex_value: str) -> list[tuple[int, int]]:
        """(entry id, tag) of every entry with this digest."""
        key = self._digest(hex_value.lower())
        keys, ids, tags = self._bulk
        out = list(self._extra.get(key, ()))
        if len(keys):
            needle = np.array([key], dtype=f"S{self.size}")
            lo = int(np.searchsorted(keys, needle, side="left")[0])
            hi = int(np.searchsorted(keys, needle, side="right")[0])
            out.extend((int(ids[i]), int(tags[i])) for i in range(lo, hi))
        return out
