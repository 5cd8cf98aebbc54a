"""The in-memory bank index the match handler asks: every enabled bank entry.

- exact hashes (sha256, sha1, md5) by :class:`ExactIndex`;
- PDQ by Hamming distance within each bank's threshold (default 31), for
  query hashes of quality >= ``min_quality`` (default 50); all 8 dihedral
  variants of the query are looked up when given (rotated or flipped reposts);
- vPDQ by vPDQ's rule in both directions (:class:`VpdqIndex`): a posted video
  matches a bank video it contains or is an excerpt of, by each bank's
  thresholds (``vpdq``: a :class:`~handlers.hashing.vpdq.VpdqPolicy`, the
  defaults and per-bank overrides from the settings).

Entries carry their bank entry id, so a hit becomes a stored match. An entry can
be disabled everywhere (withdrawn by its source) or only for one media (an
operator dismissed that match as a false positive, like HMA's
``disable_until``). Lookups are CPU-bound: coroutines use the ``*_async``
methods, which run in a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import structlog

from handlers.hashing.media import MediaHashes
from handlers.hashing.pdq import DIHEDRAL_NAMES
from handlers.hashing.vpdq import (
    Direction,
    VpdqFrame,
    VpdqPolicy,
    VpdqThresholds,
    VpdqVerdict,
    decode_frames,
)
from handlers.index.exact import DIGEST_SIZES, ExactIndex
from handlers.index.mih import hex_to_words
from handlers.index.pdq_index import PdqIndex
from handlers.index.vpdq_index import VpdqIndex
from storage.models import BankEntry, HashType

log = structlog.get_logger(__name__)

DEFAULT_THRESHOLD = 31
DEFAULT_MIN_QUALITY = 50


@dataclass(frozen=True, slots=True)
class IndexMatch:
    """One bank entry matched by one media."""

    entry_id: int
    bank: str
    hash_type: HashType
    distance: int  # 0 for exact hashes
    category: str | None
    #: PDQ: which dihedral variant of the query matched ("original", "rotate90"...).
    variant: str | None = None
    #: vPDQ: share of the query's / the bank video's frames that matched.
    query_percent: float | None = None
    target_percent: float | None = None
    #: vPDQ: which direction matched: "contains", "excerpt" or "both".
    direction: Direction | None = None

    @property
    def vpdq(self) -> VpdqVerdict | None:
        """vPDQ: the verdict (direction and both percentages); None for other types."""
        if self.direction is None or self.query_percent is None or self.target_percent is None:
            return None
        return VpdqVerdict(self.direction, self.target_percent, self.query_percent)


class BankIndex:
    """All banks' entries in memory (see module doc). Thread-safe for one writer."""

    def __init__(
        self,
        *,
        min_quality: int = DEFAULT_MIN_QUALITY,
        default_threshold: int = DEFAULT_THRESHOLD,
        threads: int = 2,
        vpdq: VpdqPolicy | None = None,
    ) -> None:
        self.min_quality = min_quality
        self.default_threshold = default_threshold
        self.vpdq_policy = vpdq or VpdqPolicy()
        self._threads = threads
        self._bank_codes: dict[str, int] = {}
        self._bank_names: list[str] = []
        self._thresholds: list[int] = []
        self._vpdq_thresholds: list[VpdqThresholds] = []
        self._categories: dict[str | None, int] = {None: 0}
        self._category_names: list[str | None] = [None]
        self._exact = {t: ExactIndex(t) for t in DIGEST_SIZES}
        self._pdq = PdqIndex(threads=threads)
        self._vpdq = VpdqIndex()
        self._disabled: set[int] = set()
        self._disabled_for: dict[int, set[str]] = {}
        self._lock = threading.Lock()

    # ---- banks, tags -----------------------------------------------------

    def set_bank(
        self, name: str, *, threshold: int | None = None, vpdq: VpdqThresholds | None = None
    ) -> None:
        """Declare a bank, its PDQ threshold (default ``default_threshold``) and
        its vPDQ thresholds (default: the policy's for the bank)."""
        t = self.default_threshold if threshold is None else threshold
        if not 0 <= t <= 256:
            raise ValueError(f"bank {name!r}: threshold {t} outside 0..256")
        with self._lock:
            code = self._bank_code(name)
            self._thresholds[code] = t
            if vpdq is not None:
                self._vpdq_thresholds[code] = vpdq

    def _bank_code(self, name: str) -> int:
        code = self._bank_codes.get(name)
        if code is None:
            if len(self._bank_names) >= 1 << 16:
                raise ValueError("too many banks (65536)")
            code = len(self._bank_names)
            self._bank_codes[name] = code
            self._bank_names.append(name)
            self._thresholds.append(self.default_threshold)
            self._vpdq_thresholds.append(self.vpdq_policy.for_bank(name))
        return code

    def _tag(self, bank: str, category: str | None) -> int:
        cat = self._categories.get(category)
        if cat is None:
            if len(self._category_names) >= 1 << 16:
                raise ValueError("too many categories (65536)")
            cat = len(self._category_names)
            self._categories[category] = cat
            self._category_names.append(category)
        return (self._bank_code(bank) << 16) | cat

    def _untag(self, tag: int) -> tuple[str, str | None]:
        return self._bank_names[tag >> 16], self._category_names[tag & 0xFFFF]

    def _vpdq_of(self, tag: int) -> VpdqThresholds:
        return self._vpdq_thresholds[tag >> 16]

    # ---- loading ---------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(e) for e in self._exact.values()) + len(self._pdq) + len(self._vpdq)

    def load(self, entries: Iterable[BankEntry]) -> int:
        """Bulk-add entries (disabled ones are indexed but disabled). Returns the count."""
        columns: dict[str, tuple[list[int], list[str], list[int]]] = {
            t: ([], [], []) for t in (*DIGEST_SIZES, "pdq")
        }
        count = 0
        with self._lock:
            for e in entries:
                tag = self._tag(e.bank, e.category)
                if not e.enabled:
                    self._disabled.add(e.id)
                if e.hash_type == "vpdq":
                    self._vpdq.add(e.id, decode_frames(e.hash_value), tag)
                else:
                    ids, values, tags = columns[e.hash_type]
                    ids.append(e.id)
                    values.append(e.hash_value.lower())
                    tags.append(tag)
                count += 1
        for hash_type, (ids, values, tags) in columns.items():
            if hash_type == "pdq":
                self._pdq.add_bulk(ids, hex_to_words(values), np.asarray(tags, np.uint32))
            else:
                self._exact[hash_type].add_bulk(ids, values, tags)
        self._vpdq.compact()  # one frame segment for all videos loaded
        log.info("bank_index_loaded", entries=count, total=len(self))
        return count

    def load_columns(
        self,
        bank: str,
        hash_type: HashType,
        ids: Sequence[int] | np.ndarray,
        values: Sequence[str] | np.ndarray,
        categories: Sequence[str | None] | str | None = None,
    ) -> int:
        """Bulk-add one bank's entries of one hash type from columns: the fast
        path for millions of entries (no per-entry objects). ``values``: hex
        strings (PDQ also as (N, 4) uint64 words, vPDQ as encoded frames);
        ``categories``: one for all, or one per entry. Returns the count."""
        n = len(ids)
        if len(values) != n or (not isinstance(categories, str | None) and len(categories) != n):
            raise ValueError("ids, values and categories must have the same length")
        with self._lock:
            if categories is None or isinstance(categories, str):
                tags: np.ndarray = np.broadcast_to(np.uint32(self._tag(bank, categories)), (n,))
            else:
                codes = {c: self._tag(bank, c) for c in set(categories)}
                tags = np.fromiter((codes[c] for c in categories), dtype=np.uint32, count=n)
        if hash_type == "pdq":
            words = values if isinstance(values, np.ndarray) else hex_to_words(list(values))
            self._pdq.add_bulk(ids, words, tags)
        elif hash_type == "vpdq":
            for entry_id, value, tag in zip(ids, values, tags, strict=True):
                self._vpdq.add(int(entry_id), decode_frames(str(value)), int(tag))
        else:
            lowered = [str(v).lower() for v in values]
            self._exact[hash_type].add_bulk([int(i) for i in ids], lowered, tags.tolist())
        log.info("bank_index_loaded", bank=bank, hash_type=hash_type, entries=n, total=len(self))
        return n

    def load_pdq(
        self,
        bank: str,
        ids: Sequence[int] | np.ndarray,
        hashes: Sequence[str] | np.ndarray,
        *,
        category: str | None = None,
    ) -> int:
        """:meth:`load_columns` for PDQ with one category."""
        return self.load_columns(bank, "pdq", ids, hashes, category)

    async def load_async(self, entries: Sequence[BankEntry]) -> int:
        """:meth:`load` in a worker thread."""
        return await asyncio.to_thread(self.load, entries)

    def add(self, entry: BankEntry) -> None:
        """Add one entry (e.g. the ``confirmed`` bank growing)."""
        with self._lock:
            tag = self._tag(entry.bank, entry.category)
            if not entry.enabled:
                self._disabled.add(entry.id)
        if entry.hash_type == "pdq":
            self._pdq.add(entry.id, entry.hash_value, tag)
        elif entry.hash_type == "vpdq":
            self._vpdq.add(entry.id, decode_frames(entry.hash_value), tag)
        else:
            self._exact[entry.hash_type].add(entry.id, entry.hash_value.lower(), tag)

    def compact(self) -> None:
        """Merge incremental additions into the bulk structures (seconds at 10 M)."""
        self._pdq.compact()
        self._vpdq.compact()

    # ---- disabling -------------------------------------------------------

    def disable(self, entry_id: int) -> None:
        """Disable an entry everywhere (withdrawn or deleted by its source)."""
        self._disabled.add(entry_id)

    def enable(self, entry_id: int) -> None:
        """Re-enable an entry disabled with :meth:`disable`."""
        self._disabled.discard(entry_id)

    def disable_for_media(self, entry_id: int, media_key: str) -> None:
        """Never match this entry against this media again (a dismissed false positive)."""
        with self._lock:
            self._disabled_for.setdefault(entry_id, set()).add(media_key)

    def _allowed(self, entry_id: int, media_key: str | None) -> bool:
        if entry_id in self._disabled:
            return False
        return media_key is None or media_key not in self._disabled_for.get(entry_id, ())

    # ---- lookups ---------------------------------------------------------

    def lookup(self, hashes: MediaHashes, *, media_key: str | None = None) -> list[IndexMatch]:
        """Every enabled entry matching a hashed media (``media_key``: e.g. its sha256)."""
        return self.lookup_values(
            sha256=hashes.sha256,
            md5=hashes.md5,
            sha1=hashes.sha1,
            pdq=hashes.pdq,
            pdq_quality=hashes.pdq_quality,
            pdq_variants=hashes.pdq_dihedral,
            vpdq=hashes.vpdq,
            media_key=media_key if media_key is not None else hashes.sha256,
        )

    async def lookup_async(
        self, hashes: MediaHashes, *, media_key: str | None = None
    ) -> list[IndexMatch]:
        """:meth:`lookup` in a worker thread, so the event loop never blocks."""
        return await asyncio.to_thread(self.lookup, hashes, media_key=media_key)

    def lookup_values(
        self,
        *,
        sha256: str | None = None,
        md5: str | None = None,
        sha1: str | None = None,
        pdq: str | None = None,
        pdq_quality: int | None = None,
        pdq_variants: Sequence[str] | None = None,
        vpdq: Sequence[VpdqFrame] | None = None,
        media_key: str | None = None,
    ) -> list[IndexMatch]:
        """Lookup by individual hash values; see :meth:`lookup`."""
        out: list[IndexMatch] = []
        exact: tuple[tuple[HashType, str | None], ...] = (
            ("sha256", sha256),
            ("md5", md5),
            ("sha1", sha1),
        )
        for hash_type, value in exact:
            if value:
                for entry_id, tag in self._exact[hash_type].lookup(value):
                    if self._allowed(entry_id, media_key):
                        bank, category = self._untag(tag)
                        out.append(IndexMatch(entry_id, bank, hash_type, 0, category))
        if pdq and (pdq_quality is None or pdq_quality >= self.min_quality):
            variants = list(pdq_variants) if pdq_variants else [pdq]
            out.extend(self._pdq_matches(variants, media_key)[0])
        if vpdq:
            for hit in self._vpdq.lookup(vpdq, self._vpdq_of):
                if self._allowed(hit.entry_id, media_key):
                    bank, category = self._untag(hit.tag)
                    out.append(
                        IndexMatch(
                            hit.entry_id,
                            bank,
                            "vpdq",
                            hit.distance,
                            category,
                            query_percent=hit.query_percent,
                            target_percent=hit.target_percent,
                            direction=hit.verdict.direction,
                        )
                    )
        return out

    def lookup_hash(
        self, hash_type: HashType, value: str, *, media_key: str | None = None
    ) -> list[IndexMatch]:
        """Matches of one hash value by type (the pipeline's ``lookup(hash_type,
        value)``): ``vpdq`` values are encoded frames (``encode_frames``); PDQ
        is not quality-filtered here (the caller knows the quality)."""
        if hash_type == "sha256":
            return self.lookup_values(sha256=value, media_key=media_key)
        if hash_type == "md5":
            return self.lookup_values(md5=value, media_key=media_key)
        if hash_type == "sha1":
            return self.lookup_values(sha1=value, media_key=media_key)
        if hash_type == "pdq":
            return self.lookup_values(pdq=value, media_key=media_key)
        if hash_type == "vpdq":
            return self.lookup_values(vpdq=decode_frames(value), media_key=media_key)
        raise ValueError(f"unknown hash type {hash_type!r}")

    def _pdq_matches(
        self, hexes: Sequence[str], media_key: str | None, *, per_query: bool = False
    ) -> list[list[IndexMatch]]:
        """PDQ hits. One list for all ``hexes`` (dihedral variants of one image,
        best variant per entry) or, with ``per_query``, one list per hex."""
        if not self._thresholds:
            return [[] for _ in hexes] if per_query else [[]]
        thresholds = np.asarray(self._thresholds, dtype=np.int64)
        hits = self._pdq.search_batch(
            hex_to_words([h.lower() for h in hexes]), int(thresholds.max())
        )
        keep = hits.distance <= thresholds[(hits.tags >> 16).astype(np.int64)]
        groups: list[dict[int, IndexMatch]] = [{} for _ in (hexes if per_query else [0])]
        for q, entry_id, dist, tag in zip(
            hits.query[keep].tolist(),
            hits.ids[keep].tolist(),
            hits.distance[keep].tolist(),
            hits.tags[keep].tolist(),
            strict=True,
        ):
            if not self._allowed(entry_id, media_key):
                continue
            group = groups[q if per_query else 0]
            old = group.get(entry_id)
            if old is None or dist < old.distance:
                bank, category = self._untag(tag)
                variant = None if per_query else DIHEDRAL_NAMES[q % len(DIHEDRAL_NAMES)]
                group[entry_id] = IndexMatch(entry_id, bank, "pdq", dist, category, variant)
        return [sorted(g.values(), key=lambda m: (m.distance, m.entry_id)) for g in groups]

    def lookup_pdq_batch(self, hexes: Sequence[str]) -> list[list[IndexMatch]]:
        """PDQ matches of many hashes at once (one list per hash), e.g. re-matching."""
        if not hexes:
            return []
        return self._pdq_matches(hexes, None, per_query=True)

    async def lookup_pdq_batch_async(self, hexes: Sequence[str]) -> list[list[IndexMatch]]:
        """:meth:`lookup_pdq_batch` in a worker thread."""
        return await asyncio.to_thread(self.lookup_pdq_batch, hexes)

    def stats(self) -> Mapping[str, int]:
        """Entry counts per hash type, disabled count, PDQ memory in bytes."""
        return {
            **{t: len(e) for t, e in self._exact.items()},
            "pdq": len(self._pdq),
            "vpdq": len(self._vpdq),
            "disabled": len(self._disabled),
            "pdq_bytes": self._pdq.nbytes,
        }
