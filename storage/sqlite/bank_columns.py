"""Enabled bank entries streamed as columns, per bank and hash type: the bank
index loads millions of entries from them without one object per entry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite

from storage.models import BankColumns, HashType
from storage.sqlite.connect import fetch_all

#: Every hash type, in loading order.
TYPES: tuple[HashType, ...] = ("sha256", "sha1", "md5", "pdq", "vpdq")
#: Rows per chunk (a chunk of PDQ hashes is ~10 MB of Python strings).
CHUNK = 100_000


async def iter_columns(
    conn: aiosqlite.Connection, chunk: int = CHUNK
) -> AsyncIterator[BankColumns]:
    """Chunks of ``(ids, values, categories)``, bank by bank, type by type (each
    read through the ``(bank_id, hash_type, hash_value)`` unique index)."""
    banks = await fetch_all(conn, "SELECT id, name FROM banks ORDER BY name")
    groups: list[tuple[int, str, HashType]] = [
        (b[0], b[1], t) for b in banks for t in TYPES
    ]
    for bank_id, name, hash_type in groups:
        async with conn.execute(
            "SELECT id, hash_value, category FROM bank_entries "
            "WHERE bank_id = ? AND hash_type = ? AND enabled = 1",
            (bank_id, hash_type),
        ) as cur:
            while True:
                rows = await cur.fetchmany(chunk)
                if not rows:
                    break
                yield BankColumns(
                    bank=name,
                    hash_type=hash_type,
                    ids=[r[0] for r in rows],
                    values=[r[1] for r in rows],
                    categories=[r[2] for r in rows],
                )
