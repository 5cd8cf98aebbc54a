"""storage.sqlite.errors and the read-only open: a damaged, foreign, read-only or
full database is named with its path and the next step, and left as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from mount_support import remount_read_only, tmpfs

from storage.errors import (
    DatabaseError,
    DatabaseFull,
    DatabaseReadOnly,
    InvalidInput,
    StoreError,
)
from storage.sqlite import SQLiteStore

CHECK = "check setting database.path (CHANWATCH_DATABASE__PATH) and --config"


async def _create(path: Path) -> None:
    async with SQLiteStore(path) as store:
        await store.create_bank("b", 31, "tester")


async def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    """Not SQLite at all: named, with what to check, and not touched."""
    path = tmp_path / "cw.db"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as info:
        await SQLiteStore(path).open()
    assert str(info.value) == (
        f"database {path} is not a chanwatch database (file is not a database): {CHECK}"
    )
    assert path.read_bytes() == before and info.value.path == str(path)


async def test_another_programs_database_is_not_migrated(tmp_path: Path) -> None:
    """A valid SQLite file with someone else's tables gets no chanwatch tables."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseError, match="holds tables of another program: invoices"):
        await SQLiteStore(path).open()
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["invoices"]


async def test_a_damaged_database(tmp_path: Path) -> None:
    """Overwritten pages: the read that meets them says which file and what to do."""
    path = tmp_path / "cw.db"
    await _create(path)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(4096 * 3)
        f.write(b"\xff" * (size - 4096 * 4))
    with pytest.raises(DatabaseError) as info:
        async with SQLiteStore(path) as store:
            await store.list_banks()
    assert f"database {path} is damaged (database disk image is malformed)" in str(info.value)
    assert "restore the last backup" in str(info.value)


async def test_a_full_database_says_so_and_writes_nothing(tmp_path: Path) -> None:
    """SQLITE_FULL (simulated with max_page_count): DatabaseFull naming the file; the
    failed change left nothing behind, the store keeps working for reads."""
    path = tmp_path / "cw.db"
    await _create(path)
    async with SQLiteStore(path) as store:
        pages = await store.read(lambda c: c.execute_fetchall("PRAGMA page_count"))
        limit = int(next(iter(pages))[0]) + 1
        await store.write(lambda c: c.execute(f"PRAGMA max_page_count = {limit}"))

        async def fill(conn: object) -> None:
            for i in range(2000):
                await conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO banks (name, threshold, created_at, created_by) "
                    "VALUES (?, 31, '2026-01-01T00:00:00.000000Z', 'tester')",
                    (f"bank-{i:05d}-" + "x" * 200,),
                )

        with pytest.raises(DatabaseFull) as info:
            await store.write(fill)
        assert str(info.value).startswith(f"database {path} is full (database or disk is full)")
        assert "nothing of this change was written" in str(info.value)
        assert [b.name for b in await store.list_banks()] == ["b"]


async def test_a_number_too_large_for_the_database(tmp_path: Path) -> None:
    """A Python int past SQLite's INTEGER is invalid input, not an OverflowError;
    the largest row id is simply not there."""
    async with SQLiteStore(tmp_path / "cw.db") as store:
        with pytest.raises(InvalidInput, match="out of range for the database"):
            await store.get_alert(10**30)
        assert await store.get_alert(2**63 - 1) is None


async def test_a_read_only_database_serves_reads(tmp_path: Path) -> None:
    """On a read-only file system: reads work, a write says read-only with the path."""
    mount = tmp_path / "ro"
    with tmpfs(mount, "4m"):
        path = mount / "cw.db"
        await _create(path)
        remount_read_only(mount)
        async with SQLiteStore(path) as store:
            assert store.read_only is not None
            assert [b.name for b in await store.list_banks()] == ["b"]
            with pytest.raises(DatabaseReadOnly) as info:
                await store.create_bank("c", 31, "tester")
        assert str(info.value).startswith(f"database {path} is read-only (")
        assert "use a command that only reads" in str(info.value)


async def test_a_read_only_empty_directory(tmp_path: Path) -> None:
    """No database and no way to create one: one line naming the file."""
    mount = tmp_path / "ro"
    with tmpfs(mount, "1m"):
        remount_read_only(mount)
        with pytest.raises(StoreError, match=f"database {mount / 'cw.db'}"):
            await SQLiteStore(mount / "cw.db").open()
