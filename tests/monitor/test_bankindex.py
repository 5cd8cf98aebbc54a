"""The monitor's live bank index: built from the store, the pipeline's lookup,
reloaded when banks change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.bankindex import load_index
from storage.models import BankEntryIn
from storage.sqlite import SQLiteStore

PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"


def flip(hex_value: str, bits: int) -> str:
    """``hex_value`` with its lowest ``bits`` bits inverted (Hamming distance ``bits``)."""
    return f"{int(hex_value, 16) ^ ((1 << bits) - 1):064x}"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "b.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def test_lookup_uses_each_banks_threshold(store: SQLiteStore) -> None:
    """PDQ hits within a bank's own threshold, exact hashes by value, with bank and
    category on each hit."""
    await store.create_bank("strict", 8, "t")
    await store.create_bank("loose", 40, "t")
    await store.import_bank_entries("strict", [BankEntryIn("pdq", PDQ, category="csam")], "t", "t")
    await store.import_bank_entries(
        "loose", [BankEntryIn("pdq", PDQ), BankEntryIn("sha256", "ab" * 32)], "t", "t"
    )
    index = await load_index(store)
    near = {(h.bank, h.distance, h.category) for h in index.lookup("pdq", flip(PDQ, 5))}
    assert near == {("strict", 5, "csam"), ("loose", 5, None)}
    farther = {h.bank for h in index.lookup("pdq", flip(PDQ, 20))}
    assert farther == {"loose"}
    assert [h.hash_type for h in index.lookup("sha256", "ab" * 32)] == ["sha256"]
    assert index.lookup("md5", "00" * 16) == []


async def test_reload_when_banks_change(store: SQLiteStore) -> None:
    """An import while the monitor runs is picked up by the next reload check; an
    unchanged store is not reloaded."""
    index = await load_index(store)
    assert index.lookup("pdq", PDQ) == []
    assert not await index.reload_if_changed(store)
    await store.create_bank("new", 31, "t")
    await store.import_bank_entries("new", [BankEntryIn("pdq", PDQ)], "t", "t")
    assert await index.reload_if_changed(store)
    assert [h.bank for h in index.lookup("pdq", PDQ)] == ["new"]
