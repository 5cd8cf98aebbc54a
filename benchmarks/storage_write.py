"""What synchronous=FULL costs, and how much batching buys back.

Records the same posts through SQLiteStore with synchronous FULL and NORMAL and
writer batch sizes 1, 16 and 128, with many concurrent producers (as the
pipeline has: one task per post in flight) and with a single sequential
producer. Peers measured in the same run: plain sqlite3 (no asyncio, no store)
committing one INSERT per transaction, and all INSERTs in one transaction.

    .venv/bin/python benchmarks/storage_write.py [--posts N] [--producers P] [--dir D]

The database goes to a temporary directory under --dir (default: the current
directory), so fsync hits a real disk; /tmp may be tmpfs, where FULL is free.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosqlite
import structlog
from machine import cpu_model

from storage.codec import to_db
from storage.models import PostRecord
from storage.sqlite import SQLiteStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def machine() -> str:
    cpu = cpu_model()
    return (
        f"platform   {platform.platform()}\n"
        f"cpu        {cpu}, {os.cpu_count()} cores\n"
        f"python     {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"aiosqlite {aiosqlite.__version__}"
    )


def filesystem(path: Path) -> str:
    try:
        out = subprocess.run(
            ["df", "-T", str(path)], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
        return out[-1].split()[1] if len(out) > 1 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def post(message_id: int, channel_id: int = 1) -> PostRecord:
    return PostRecord(
        channel_id=channel_id, message_id=message_id, date=NOW,
        text=f"benchmark post {message_id} " + "lorem ipsum " * 20, edit_date=None,
        author_signature=None, views=100, forwards=2, fwd_channel_id=None, fwd_message_id=None,
        fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None,
        entities_json='[{"type":"url","offset":0,"length":9,"url":null}]',
        links=(f"https://example.org/{message_id}",), mentions=("@bench",),
        captured_at=NOW, captured_by="bench",
    )  # fmt: skip


async def through_store(
    db: Path, sync: str, batch: int, posts: int, producers: int
) -> tuple[float, int]:
    async with SQLiteStore(db, synchronous=sync, batch_size=batch) as store:  # type: ignore[arg-type]
        await store.record_post(post(0))  # warm up: connections open, statements cached
        start_batches = store.writer_stats[0]

        async def produce(first: int) -> None:
            for message_id in range(first, posts + 1, producers):
                await store.record_post(post(message_id))

        t0 = time.perf_counter()
        await asyncio.gather(*(produce(p) for p in range(1, producers + 1)))
        elapsed = time.perf_counter() - t0
        commits = store.writer_stats[0] - start_batches
        assert await store.count_posts() == posts + 1
    return posts / elapsed, commits


def plain_sqlite(db: Path, sync: str, posts: int, per_row: bool) -> float:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute(
        "CREATE TABLE posts (channel_id INTEGER, message_id INTEGER, date TEXT, text TEXT, "
        "entities_json TEXT, views INTEGER, captured_at TEXT, captured_by TEXT, "
        "UNIQUE (channel_id, message_id))"
    )
    rows = [
        (p.channel_id, p.message_id, to_db(p.date), p.text, p.entities_json, p.views,
         to_db(p.captured_at), p.captured_by)
        for p in (post(i) for i in range(1, posts + 1))
    ]  # fmt: skip
    sql = "INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    t0 = time.perf_counter()
    if per_row:
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, row)
            conn.execute("COMMIT")
    else:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return posts / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--producers", type=int, default=128)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))

    print(machine())
    print(f"database   {args.dir} ({filesystem(args.dir)}), {args.posts} posts per run")
    print()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="chanwatch-bench-") as tmp:
        n = 0

        def fresh() -> Path:
            nonlocal n
            n += 1
            return Path(tmp) / f"bench{n}.db"

        results: dict[tuple[str, int, int], tuple[float, int]] = {}
        print(f"{'synchronous':<12}{'batch':>6}{'producers':>10}{'posts/s':>10}{'commits':>9}"
              f"{'posts/commit':>13}")  # fmt: skip
        for producers in (args.producers, 1):
            for sync in ("FULL", "NORMAL"):
                for batch in (1, 16, 128):
                    if producers == 1 and batch != 16:
                        continue  # one producer never fills a batch: batch size is moot
                    rate, commits = await through_store(fresh(), sync, batch, args.posts, producers)
                    results[(sync, batch, producers)] = (rate, commits)
                    print(f"{sync:<12}{batch:>6}{producers:>10}{rate:>10.0f}{commits:>9}"
                          f"{args.posts / max(commits, 1):>13.1f}")  # fmt: skip
        print()
        print("peer: plain sqlite3, same file system, posts table only, no asyncio")
        peers = {}
        for sync in ("FULL", "NORMAL"):
            for per_row in (True, False):
                rate = await asyncio.to_thread(plain_sqlite, fresh(), sync, args.posts, per_row)
                peers[(sync, per_row)] = rate
                label = "one commit per row" if per_row else "one transaction   "
                print(f"  {sync:<8}{label}{rate:>10.0f} posts/s")
        print()
        p = args.producers
        full1, full128 = results[("FULL", 1, p)][0], results[("FULL", 128, p)][0]
        norm1, norm128 = results[("NORMAL", 1, p)][0], results[("NORMAL", 128, p)][0]
        print("ratios")
        print(f"  FULL / NORMAL, batch 1      {full1 / norm1:6.2f}")
        print(f"  FULL / NORMAL, batch 128    {full128 / norm128:6.2f}")
        print(f"  FULL batch 128 / batch 1    {full128 / full1:6.2f}")
        print(f"  store FULL batch 1 / plain sqlite3 FULL per row   "
              f"{full1 / peers[('FULL', True)]:6.2f}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
