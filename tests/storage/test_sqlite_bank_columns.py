"""Enabled bank entries streamed as column chunks per bank and hash type."""

from __future__ import annotations

import aiosqlite

from storage.models import BankColumns, BankEntryIn
from storage.sqlite import SQLiteStore
from storage.sqlite.bank_columns import iter_columns


async def test_columns_per_bank_and_type_enabled_only(store: SQLiteStore) -> None:
    """Each bank's enabled entries come as (ids, values, categories) by hash type;
    disabled entries are left out."""
    await store.create_bank("a", 31, "admin")
    await store.create_bank("b", 20, "admin")
    await store.import_bank_entries("a", [
        BankEntryIn("pdq", "11" * 32, category="csam"),
        BankEntryIn("pdq", "22" * 32),
        BankEntryIn("md5", "33" * 16, category="x"),
        BankEntryIn("md5", "44" * 16, withdrawn=True),
    ], "admin", "a.txt")
    await store.import_bank_entries("b", [BankEntryIn("vpdq", "0,100," + "aa" * 32 + ",0.0")],
                                    "admin", "b.txt")
    chunks = [c async for c in store.iter_bank_columns()]
    got = {(c.bank, c.hash_type): (sorted(c.values), sorted(map(str, c.categories)))
           for c in chunks}
    assert got == {
        ("a", "md5"): (["33" * 16], ["x"]),
        ("a", "pdq"): (["11" * 32, "22" * 32], ["None", "csam"]),
        ("b", "vpdq"): (["0,100," + "aa" * 32 + ",0.0"], ["None"]),
    }
    assert all(len(c.ids) == len(c.values) == len(c.categories) for c in chunks)


async def test_chunks_are_bounded(store: SQLiteStore) -> None:
    """A bank larger than the chunk size comes in several chunks, every entry once."""
    await store.create_bank("big", 31, "admin")
    await store.import_bank_entries(
        "big", [BankEntryIn("sha256", f"{i:064x}") for i in range(25)], "admin", "big.txt"
    )

    async def read(conn: aiosqlite.Connection) -> list[BankColumns]:
        return [c async for c in iter_columns(conn, chunk=10)]

    chunks = await store.read(read)
    assert [len(c.ids) for c in chunks] == [10, 10, 5]
    assert len({i for c in chunks for i in c.ids}) == 25


async def test_separator_inside_a_category_falls_back_to_rows(store: SQLiteStore) -> None:
    """A category holding the separator character still comes back exactly."""
    await store.create_bank("odd", 31, "admin")
    await store.import_bank_entries("odd", [
        BankEntryIn("md5", "11" * 16, category="a\x1fb"),
        BankEntryIn("md5", "22" * 16),
    ], "admin", "odd.txt")
    (chunk,) = [c async for c in store.iter_bank_columns()]
    assert sorted(zip(chunk.values, map(str, chunk.categories), strict=True)) == [
        ("11" * 16, "a\x1fb"), ("22" * 16, "None")]


async def test_empty_store_yields_nothing(store: SQLiteStore) -> None:
    """No entries, no chunks."""
    assert [c async for c in store.iter_bank_columns()] == []
