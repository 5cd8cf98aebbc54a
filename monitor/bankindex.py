"""The bank index the running monitor hands to the pipeline.

Wraps :class:`handlers.index.BankIndex` behind the pipeline's ``lookup_values``
(one call per medium with every hash it has, see
:class:`handlers.pipeline.BankIndex`). It is loaded from the store's enabled
entries streamed as columns (``store.iter_bank_columns``: chunks of ids, hex
values and categories per bank and hash type; PDQ chunks are turned into
64-bit words in a worker thread and the whole bank is added in one
``load_columns`` call, so ten million entries never become ten million
objects), each bank with its own PDQ threshold. Entries an operator disabled
for one medium (a dismissed false positive) are applied with
``disable_for_media`` under the medium's key
(:func:`handlers.builtin.match.media_key`).

:meth:`LiveBankIndex.reload_if_changed` compares the banks (name, threshold,
enabled entries) and the per-media disables with the store: a bank change
rebuilds the index in a worker thread and swaps it in at once (the previous
index serves lookups meanwhile); new disables alone are applied in place.
:attr:`LiveBankIndex.grown` names the banks that gained entries at the last
reload (the monitor then matches recent media again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import structlog

from handlers.builtin.match import media_key_of
from handlers.hashing import VpdqFrame, decode_frames
from handlers.index import BankIndex as HashIndex
from handlers.index import IndexMatch
from handlers.index.mih import hex_to_words
from handlers.pipeline import Context, Hit
from handlers.rematch import RematchResult, rematch_recent
from storage.api import Store
from storage.models import BankInfo, HashType, MediaDisable

log = structlog.get_logger(__name__)

BankSignature = tuple[tuple[str, int, int], ...]


def _hit(m: IndexMatch) -> Hit:
    return Hit(entry_id=m.entry_id, bank=m.bank, hash_type=m.hash_type,
               distance=m.distance, category=m.category, variant=m.variant)


@dataclass
class _PdqColumns:
    ids: list[np.ndarray] = field(default_factory=list)
    words: list[np.ndarray] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)


class LiveBankIndex:
    """A swappable :class:`handlers.index.BankIndex` with the pipeline's lookup."""

    def __init__(
        self, inner: HashIndex, signature: BankSignature, disables: int = 0
    ) -> None:
        self._inner = inner
        self._signature = signature
        self._disables = disables
        #: Banks that gained entries at the last reload.
        self.grown: tuple[str, ...] = ()

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
        matches = self._inner.lookup_values(
            sha256=sha256, md5=md5, sha1=sha1, pdq=pdq, pdq_quality=pdq_quality,
            pdq_variants=pdq_variants, vpdq=vpdq, media_key=media_key,
        )
        return [_hit(m) for m in matches]

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
        return len(self._inner)

    async def reload_if_changed(self, store: Store) -> bool:
        """Rebuild from the store when a bank's entries or threshold changed, or
        apply new per-media disables; True when anything changed."""
        banks = await store.list_banks()
        signature = _signature(banks)
        disables = await store.media_disables()
        if signature == self._signature:
            self.grown = ()
            if len(disables) == self._disables:
                return False
            _apply_disables(self._inner, disables)
            self._disables = len(disables)
            log.info("bank_index_disables_applied", disables=len(disables))
            return True
        inner = await _build(store, banks, disables)
        before = {name: enabled for name, _t, enabled in self._signature}
        self.grown = tuple(name for name, _t, enabled in signature
                           if enabled > before.get(name, 0))
        self._inner, self._signature, self._disables = inner, signature, len(disables)
        log.info("bank_index_reloaded", entries=len(inner), grown=list(self.grown))
        return True


def _apply_disables(index: HashIndex, disables: Sequence[MediaDisable]) -> None:
    for d in disables:
        index.disable_for_media(d.bank_entry_id, media_key_of(d.sha256, d.media_id))


def _signature(banks: Sequence[BankInfo]) -> BankSignature:
    return tuple(sorted((b.name, b.threshold, b.enabled_entries) for b in banks))


async def _build(
    store: Store, banks: Sequence[BankInfo], disables: Sequence[MediaDisable]
) -> HashIndex:
    index = HashIndex(min_quality=0)
    for info in banks:
        index.set_bank(info.name, threshold=info.threshold)
    pdq: dict[str, _PdqColumns] = {}
    async for chunk in store.iter_bank_columns():
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
    return index


async def load_index(store: Store) -> LiveBankIndex:
    """The index of every enabled entry of every bank in ``store``."""
    banks = await store.list_banks()
    disables = await store.media_disables()
    return LiveBankIndex(await _build(store, banks, disables), _signature(banks), len(disables))


async def refresh(index: LiveBankIndex, ctx: Context) -> RematchResult | None:
    """Reload ``index`` if the banks changed; when a bank grew, match the media
    seen within ``ctx.config.rematch_window`` again (alerts for posts already
    recorded). ``ctx``: the pipeline's base context over ``index``."""
    if not await index.reload_if_changed(ctx.store) or not index.grown:
        return None
    return await rematch_recent(ctx, ctx.clock() - ctx.config.rematch_window, index.grown)
