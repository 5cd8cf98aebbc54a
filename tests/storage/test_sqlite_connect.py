"""Every connection gets WAL, synchronous, busy_timeout and foreign keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.errors import StoreError
from storage.sqlite import SQLiteStore
from storage.sqlite.connect import connect


async def _pragmas(conn: aiosqlite.Connection) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys", "query_only"):
        async with conn.execute(f"PRAGMA {name}") as cur:
            row = await cur.fetchone()
            assert row is not None
            out[name] = row[0]
    return out


async def test_writer_and_reader_pragmas(db_path: Path) -> None:
    """The writer and readers run WAL, synchronous=FULL (2), foreign keys on and a
    busy timeout; readers are query_only."""
    async with SQLiteStore(db_path, busy_timeout=7.5) as store:
        writer = await store.write(_pragmas)
        reader = await store.read(_pragmas)
    assert writer == {
        "journal_mode": "wal",
        "synchronous": 2,
        "busy_timeout": 7500,
        "foreign_keys": 1,
        "query_only": 0,
    }
    assert reader["query_only"] == 1 and reader["foreign_keys"] == 1
    assert reader["busy_timeout"] == 7500 and reader["journal_mode"] == "wal"


async def test_normal_synchronous_is_selectable(db_path: Path) -> None:
    """synchronous=NORMAL (for the benchmark) reaches the connection as 1."""
    async with SQLiteStore(db_path, synchronous="NORMAL") as store:
        assert (await store.write(_pragmas))["synchronous"] == 1


async def test_a_read_cannot_write(store: SQLiteStore) -> None:
    """Readers are read-only: a write attempted through store.read fails loudly."""

    async def sneaky(conn: aiosqlite.Connection) -> None:
        await conn.execute("DELETE FROM posts")

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await store.read(sneaky)


async def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    """A database path in a directory that does not exist names that directory."""
    with pytest.raises(StoreError, match="does not exist"):
        await SQLiteStore(tmp_path / "nope" / "x.db").open()


async def test_unknown_synchronous_level_is_refused(db_path: Path) -> None:
    """Only SQLite's own synchronous levels are accepted."""
    with pytest.raises(ValueError, match="synchronous"):
        await connect(db_path, busy_timeout=1.0, synchronous="SOMETIMES")  # type: ignore[arg-type]
