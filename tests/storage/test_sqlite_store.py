"""The store as a whole: lifecycle, snapshots, locking, two processes, SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest
from sqlite_support import make_post

from storage.api import Store
from storage.errors import StoreError
from storage.sqlite import SQLiteStore

HELPER = Path(__file__).resolve().parent / "sqlite_writer_process.py"


def _spawn(db: Path, channel_id: int, count: int, producers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HELPER), str(db), str(channel_id), str(count), str(producers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def test_store_satisfies_the_protocol(db_path: Path) -> None:
    """SQLiteStore is a storage.api.Store and works as an async context manager."""
    store: Store = SQLiteStore(db_path)
    async with SQLiteStore(db_path) as opened:
        assert await opened.count_posts() == 0
    assert isinstance(store, SQLiteStore)


async def test_reopen_keeps_data(db_path: Path) -> None:
    """What was written before close() is there after reopening."""
    async with SQLiteStore(db_path) as store:
        await store.record_post(make_post())
        await store.advance_cursor(100, 1)
    async with SQLiteStore(db_path) as store:
        assert await store.count_posts() == 1
        assert await store.get_cursor(100) == 1


async def test_read_sees_one_snapshot(store: SQLiteStore) -> None:
    """A read keeps its snapshot while a write commits meanwhile; the next read sees it."""
    await store.record_post(make_post(message_id=1))
    first_count, go_on = asyncio.Event(), asyncio.Event()

    async def two_counts(conn: aiosqlite.Connection) -> tuple[int, int]:
        async with conn.execute("SELECT count(*) FROM posts") as cur:
            a = (await cur.fetchone() or (0,))[0]
        first_count.set()
        await go_on.wait()
        async with conn.execute("SELECT count(*) FROM posts") as cur:
            b = (await cur.fetchone() or (0,))[0]
        return int(a), int(b)

    reading = asyncio.create_task(store.read(two_counts))
    await first_count.wait()
    await store.record_post(make_post(message_id=2))
    go_on.set()
    assert await reading == (1, 1)
    assert await store.count_posts() == 2


async def test_writer_waits_for_another_writer(store: SQLiteStore, db_path: Path) -> None:
    """While another connection holds the write lock, a write waits (busy_timeout)
    and succeeds once the lock is released."""
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    writing = asyncio.create_task(store.record_post(make_post()))
    await asyncio.sleep(0.2)
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    assert await writing is True


async def test_lock_held_past_busy_timeout_is_an_error(db_path: Path) -> None:
    """A lock held longer than busy_timeout fails the write with a clear error
    instead of hanging; the store works again afterwards."""
    async with SQLiteStore(db_path, busy_timeout=0.1) as store:
        other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="cannot begin a write transaction"):
                await store.record_post(make_post())
        finally:
            other.execute("COMMIT")
            other.close()
        assert await store.record_post(make_post()) is True


async def test_two_processes_share_one_file(db_path: Path) -> None:
    """Another process writing the same database at the same time: both finish,
    nothing is lost."""
    async with SQLiteStore(db_path) as store:
        child = _spawn(db_path, channel_id=200, count=300, producers=4)
        written = 0
        while child.poll() is None or written < 50:  # keep writing while the child does
            written += 1
            await store.record_post(make_post(channel_id=100, message_id=written))
        out, _ = await asyncio.to_thread(child.communicate, timeout=60)
        assert child.returncode == 0 and out.endswith("done\n")
        assert out.count("ack ") == 300
        assert await store.count_posts(100) == written
        assert await store.count_posts(200) == 300


@pytest.mark.slow
async def test_sigkill_loses_no_acknowledged_post(db_path: Path) -> None:
    """A process recording a burst of posts is killed with SIGKILL: the database is
    consistent, every post it acknowledged is there, the cursor never passed a
    missing post, and replaying the whole burst duplicates nothing."""
    async with SQLiteStore(db_path):
        pass  # migrate first, so the child starts writing at once
    child = _spawn(db_path, channel_id=100, count=5000, producers=8)
    assert child.stdout is not None
    acked: set[int] = set()
    while len(acked) < 300:
        line = await asyncio.to_thread(child.stdout.readline)
        assert line.startswith("ack "), f"writer stopped early: {line!r}"
        acked.add(int(line.split()[1]))
    os.kill(child.pid, signal.SIGKILL)
    rest, _ = await asyncio.to_thread(child.communicate, timeout=30)
    acked |= {int(x.split()[1]) for x in rest.splitlines() if x.startswith("ack ")}
    assert child.returncode == -signal.SIGKILL

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {r[0] for r in conn.execute("SELECT message_id FROM posts WHERE channel_id=100")}
        cursor = conn.execute("SELECT message_id FROM cursors WHERE channel_id = 100").fetchone()
    assert acked <= stored
    assert len(stored) < 5000, "the kill came after the burst ended; the test proved nothing"
    assert cursor is not None and cursor[0] in stored

    async with SQLiteStore(db_path) as store:
        new = [await store.record_post(make_post(message_id=i)) for i in range(1, 5001)]
        assert new.count(False) == len(stored)
        assert await store.count_posts(100) == 5000
