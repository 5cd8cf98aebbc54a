"""The bank index the running monitor hands to the pipeline.

Wraps :class:`handlers.index.BankIndex` (loaded from the store's enabled bank
entries, each bank with its own PDQ threshold) behind the pipeline's
``lookup(hash_type, value) -> list[Hit]`` and reloads it when the banks
change (``chanwatch bank import`` while the monitor runs): the new index is
built in a worker thread and swapped in at once.
"""

from __future__ import annotations

import asyncio

import structlog

from handlers.index import BankIndex as HashIndex
from handlers.pipeline import Hit
from storage.api import Store
from storage.models import BankEntry, HashType

log = structlog.get_logger(__name__)

class LiveBankIndex:
    """A swappable :class:`handlers.index.BankIndex` with the pipeline's lookup."""

    def __init__(self, inner: HashIndex, signature: tuple[tuple[str, int, int], ...]) -> None:
        self._inner = inner
        self._signature = signature

    def lookup(self, hash_type: HashType, value: str) -> list[Hit]:
        if hash_type == "sha256":
            matches = self._inner.lookup_values(sha256=value)
        elif hash_type == "md5":
            matches = self._inner.lookup_values(md5=value)
        elif hash_type == "sha1":
            matches = self._inner.lookup_values(sha1=value)
        elif hash_type == "pdq":
            matches = self._inner.lookup_values(pdq=value)  # quality: the caller filters
        else:
            return []
        return [
            Hit(entry_id=m.entry_id, bank=m.bank, hash_type=m.hash_type,
                distance=m.distance, category=m.category)
            for m in matches
        ]

    def __len__(self) -> int:
        return len(self._inner)

    async def reload_if_changed(self, store: Store) -> bool:
        """Rebuild from the store when a bank's entries or threshold changed."""
        signature = await _signature(store)
        if signature == self._signature:
            return False
        inner = await _build(store)
        self._inner, self._signature = inner, signature
        log.info("bank_index_reloaded", entries=len(inner))
        return True


async def _signature(store: Store) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        sorted((b.name, b.threshold, b.enabled_entries) for b in await store.list_banks())
    )


async def _build(store: Store) -> HashIndex:
    index = HashIndex(min_quality=0)
    for bank in await store.list_banks():
        index.set_bank(bank.name, threshold=bank.threshold)
    entries: list[BankEntry] = [e async for e in store.iter_bank_entries(enabled_only=True)]
    await asyncio.to_thread(index.load, entries)
    return index


async def load_index(store: Store) -> LiveBankIndex:
    """The index of every enabled entry of every bank in ``store``."""
    signature = await _signature(store)
    return LiveBankIndex(await _build(store), signature)
