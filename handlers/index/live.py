"""The bank index the running monitor hands to the pipeline (a live, reloading index).

Wraps :class:`handlers.index.BankIndex` behind the pipeline's ``lookup_values``
(one call per medium with every hash it has, see
:class:`handlers.context.BankIndex`). It is loaded from the store's enabled
entries streamed as columns (``store.iter_bank_columns``: chunks of ids, hex
values and categories per bank and hash type; PDQ chunks are turned into
64-bit words in a worker thread and the whole bank is added in one
``load_columns`` call, so ten million entries never become ten million
objects), each bank with its own PDQ threshold. Entries an operator disabled
for one medium (a dismissed false positive) are applied with
``disable_for_media`` under the medium's key
(:func:`handlers.builtin.match.media_key`). Each bank gets its vPDQ
thresholds from the policy given to :func:`load_index` (settings
``matching.vpdq_*``), kept by the index for every rebuild.

:meth:`LiveBankIndex.reload_if_changed` compares the banks (name, threshold,
enabled entries, all entries) and the per-media disables with the store. New disables alone
are applied in place. When the only change is new entries (a confirmation
adding a few hashes to ``confirmed``, an import that only adds), those are
loaded incrementally; anything else (a disable or withdrawal, a re-enable, a
threshold change, a new or removed bank) rebuilds the index in a worker thread
and swaps it in at once (the previous index serves lookups meanwhile).
:attr:`LiveBankIndex.grown` names the banks that gained entries at the last
reload (the monitor then matches recent media again), and
:attr:`~LiveBankIndex.full_loads` / :attr:`~LiveBankIndex.incremental_loads`
count the two kinds of load.

Incremental growth. Bank entry ids are the table's rowids: increasing, never
reused (entries are disabled, never deleted). The index remembers the highest
id it loaded and a fingerprint of what it loaded per bank (count and sum of the
enabled ids). Growth is incremental when the banks and thresholds are the same
and the store's fingerprint of the enabled entries up to that id is unchanged
(``store.bank_marks``): then nothing old changed, and the rows above that id
(``store.iter_bank_columns(after_id=...)``) are the whole difference.

Concurrency. Lookups run in worker threads while the reload task (the only
writer) works. The big index built at a full load is never written again;
entries added since live in a small *delta* index, and the pair is published as
one tuple that a lookup reads once. Growth builds a new delta (the previous
delta's columns plus the new rows) off to the side, then replaces the tuple in
one assignment: a lookup sees either the old pair or the new one, never a half
loaded index. Deltas stay small: past :data:`DELTA_LIMIT` entries the next
growth is a full load, which folds them into the big index.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import structlog

from handlers.builtin.match import media_key_of
from handlers.context import Context, Hit
from handlers.hashing import VpdqFrame, VpdqPolicy, decode_frames
from handlers.index import BankIndex as HashIndex
from handlers.index import IndexMatch
from handlers.index.mih import hex_to_words
from handlers.rematch import RematchResult, rematch_recent
from storage.api import Store
from storage.models import BankColumns, BankInfo, HashType, MediaDisable

log = structlog.get_logger(__name__)

BankSignature = tuple[tuple[str, int, int, int], ...]
#: Per bank: (count, sum of ids) of the enabled entries the index holds.
Marks = dict[str, tuple[int, int]]
#: Entries kept in the delta index before growth means a full load again.
DELTA_LIMIT = 50_000


def _hit(m: IndexMatch) -> Hit:
    return Hit(entry_id=m.entry_id, bank=m.bank, hash_type=m.hash_type,
               distance=m.distance, category=m.category, variant=m.variant, vpdq=m.vpdq)


@dataclass
class _PdqColumns:
    ids: list[np.ndarray] = field(default_factory=list)
    words: list[np.ndarray] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)


@dataclass(frozen=True)
class _Loaded:
    """What the index holds, replaced as a whole (see the module doc)."""

    inner: HashIndex
    delta: HashIndex | None
    delta_columns: tuple[BankColumns, ...]
    max_id: int
    #: None: unknown (growth then means a full load).
    marks: Marks | None


class LiveBankIndex:
    """A swappable :class:`handlers.index.BankIndex` with the pipeline's lookup."""

    def __init__(
        self,
        inner: HashIndex,
        signature: BankSignature,
        disables: int = 0,
        *,
        max_id: int = 0,
        marks: Marks | None = None,
    ) -> None:
        self._loaded = _Loaded(inner, None, (), max_id, None if marks is None else dict(marks))
        self._signature = signature
        self._disables = disables
        #: Banks that gained entries at the last reload.
        self.grown: tuple[str, ...] = ()
        #: Full loads from the store since this index was made (after the first).
        self.full_loads = 0
        #: Loads of new entries only.
        self.incremental_loads = 0

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
    ) -> list[Hit]:
        """Every enabled entry matching any of the hashes (see the pipeline's protocol)."""
        loaded = self._loaded  # read once: one consistent (inner, delta) pair
        parts = (loaded.inner,) if loaded.delta is None else (loaded.inner, loaded.delta)
        return [
            _hit(m)
            for part in parts
            for m in part.lookup_values(
                sha256=sha256, md5=md5, sha1=sha1, pdq=pdq, pdq_quality=pdq_quality,
                pdq_variants=pdq_variants, vpdq=vpdq, media_key=media_key,
            )
        ]

    def lookup(self, hash_type: HashType, value: str) -> list[Hit]:
        """Matches of one hash value (``vpdq``: encoded frames); PDQ not quality-filtered."""
        if hash_type == "vpdq":
            return self.lookup_values(vpdq=decode_frames(value))
        if hash_type == "sha256":
            return self.lookup_values(sha256=value)
        if hash_type == "md5":
            return self.lookup_values(md5=value)
        if hash_type == "sha1":
            return self.lookup_values(sha1=value)
        if hash_type == "pdq":
            return self.lookup_values(pdq=value)
        return []

    def __len__(self) -> int:
        loaded = self._loaded
        return len(loaded.inner) + (0 if loaded.delta is None else len(loaded.delta))

    async def reload_if_changed(self, store: Store) -> bool:
        """Load new entries, rebuild from the store when anything else about the
        banks changed, or apply new per-media disables; True when anything changed."""
        banks = await store.list_banks()
        signature = _signature(banks)
        disables = await store.media_disables()
        if signature == self._signature:
            self.grown = ()
            if len(disables) == self._disables:
                return False
            loaded = self._loaded
            for part in (loaded.inner, loaded.delta):
                if part is not None:
                    _apply_disables(part, disables)
            self._disables = len(disables)
            log.info("bank_index_disables_applied", disables=len(disables))
            return True
        if await self._grow(store, banks, signature, disables):
            return True
        loaded = await _build(store, banks, disables, self._loaded.inner.vpdq_policy)
        before = {name: enabled for name, _t, enabled, _all in self._signature}
        self.grown = tuple(name for name, _t, enabled, _all in signature
                           if enabled > before.get(name, 0))
        self._loaded, self._signature, self._disables = loaded, signature, len(disables)
        self.full_loads += 1
        log.info("bank_index_reloaded", entries=len(self), grown=list(self.grown))
        return True

    async def _grow(
        self,
        store: Store,
        banks: Sequence[BankInfo],
        signature: BankSignature,
        disables: Sequence[MediaDisable],
    ) -> bool:
        """Add the entries above the loaded ids when nothing else changed; False
        (nothing done) when a full load is needed."""
        old = self._loaded
        same_banks = {s[:2] for s in signature} == {s[:2] for s in self._signature}
        if (not same_banks or old.marks is None
                or await store.bank_marks(old.max_id) != old.marks):
            return False
        new = tuple([c async for c in store.iter_bank_columns(after_id=old.max_id)])
        columns = old.delta_columns + new
        if sum(len(c.ids) for c in columns) > DELTA_LIMIT:
            return False
        delta = await asyncio.to_thread(_build_delta, banks, columns, old.inner.vpdq_policy)
        for part in (old.inner, delta):  # disables may name the new entries
            _apply_disables(part, disables)
        marks = dict(old.marks)
        for chunk in new:
            count, total = marks.get(chunk.bank, (0, 0))
            marks[chunk.bank] = (count + len(chunk.ids), total + sum(chunk.ids))
        max_id = max((max(c.ids) for c in new), default=old.max_id)
        self._loaded = _Loaded(old.inner, delta, columns, max_id, marks)  # one swap
        # What is now held (rows committed since list_banks included): the next
        # check compares the store against exactly this.
        self._signature = tuple(sorted(
            (b.name, b.threshold, marks.get(b.name, (0, 0))[0], b.entries) for b in banks
        ))
        self._disables = len(disables)
        self.grown = tuple(sorted({c.bank for c in new}))
        self.incremental_loads += 1
        log.info("bank_index_grown", added=sum(len(c.ids) for c in new),
                 delta=len(delta), grown=list(self.grown))
        return True


def _build_delta(
    banks: Sequence[BankInfo], columns: Sequence[BankColumns], vpdq: VpdqPolicy
) -> HashIndex:
    delta = HashIndex(min_quality=0, vpdq=vpdq)
    for info in banks:
        delta.set_bank(info.name, threshold=info.threshold)
    for c in columns:
        delta.load_columns(c.bank, c.hash_type, c.ids, c.values, c.categories)
    return delta


def _apply_disables(index: HashIndex, disables: Sequence[MediaDisable]) -> None:
    for d in disables:
        index.disable_for_media(d.bank_entry_id, media_key_of(d.sha256, d.media_id))


def _signature(banks: Sequence[BankInfo]) -> BankSignature:
    return tuple(sorted((b.name, b.threshold, b.enabled_entries, b.entries) for b in banks))


async def _build(
    store: Store, banks: Sequence[BankInfo], disables: Sequence[MediaDisable],
    vpdq: VpdqPolicy,
) -> _Loaded:
    index = HashIndex(min_quality=0, vpdq=vpdq)
    for info in banks:
        index.set_bank(info.name, threshold=info.threshold)
    pdq: dict[str, _PdqColumns] = {}
    marks: Marks = {}
    max_id = 0
    async for chunk in store.iter_bank_columns():
        count, total = marks.get(chunk.bank, (0, 0))
        marks[chunk.bank] = (count + len(chunk.ids), total + sum(chunk.ids))
        max_id = max(max_id, *chunk.ids)
        if chunk.hash_type == "pdq":  # gathered as words, one bulk add per bank
            cols = pdq.setdefault(chunk.bank, _PdqColumns())
            cols.words.append(await asyncio.to_thread(hex_to_words, chunk.values))
            cols.ids.append(np.asarray(chunk.ids, dtype=np.int64))
            cols.categories.extend(chunk.categories)
        else:
            await asyncio.to_thread(index.load_columns, chunk.bank, chunk.hash_type,
                                    chunk.ids, chunk.values, chunk.categories)
    for bank, cols in pdq.items():
        ids = np.concatenate(cols.ids)
        words = np.concatenate(cols.words)
        distinct = set(cols.categories)
        categories = next(iter(distinct)) if len(distinct) == 1 else cols.categories
        await asyncio.to_thread(index.load_columns, bank, "pdq", ids, words, categories)
    await asyncio.to_thread(index.compact)
    _apply_disables(index, disables)
    return _Loaded(index, None, (), max_id, marks)


async def load_index(store: Store, vpdq: VpdqPolicy | None = None) -> LiveBankIndex:
    """The index of every enabled entry of every bank in ``store``; ``vpdq``: the
    vPDQ thresholds, default and per bank (default: vPDQ's defaults)."""
    policy = vpdq or VpdqPolicy()
    banks = await store.list_banks()
    unknown = sorted(set(policy.banks) - {b.name for b in banks})
    if unknown:  # maybe a bank still to be created, maybe a typo
        log.warning("vpdq_thresholds_for_unknown_banks", banks=unknown)
    disables = await store.media_disables()
    loaded = await _build(store, banks, disables, policy)
    return LiveBankIndex(loaded.inner, _signature(banks), len(disables),
                         max_id=loaded.max_id, marks=loaded.marks)


async def refresh(index: LiveBankIndex, ctx: Context) -> RematchResult | None:
    """Reload ``index`` if the banks changed; when a bank grew, match the media
    seen within ``ctx.config.rematch_window`` again (alerts for posts already
    recorded). ``ctx``: the pipeline's base context over ``index``."""
    if not await index.reload_if_changed(ctx.store) or not index.grown:
        return None
    return await rematch_recent(ctx, ctx.clock() - ctx.config.rematch_window, index.grown)
