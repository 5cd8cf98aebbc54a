"""Does appending to the evidence ledger keep up with the pipeline's peak rate?

Three runs on the real SQLite store (WAL, synchronous=FULL, batched writer),
each with many concurrent producers as the pipeline has:

1. posts only: ``tx.posts.record`` in ``store.transaction`` - the store's
   ceiling, which bounds the pipeline's peak rate (the peer);
2. posts with their ledger record: ``tx.posts.record`` and ``append_record``
   (``post.captured``) in the same ``store.transaction``, as the store calls it;
3. ledger records only: ``append_record`` in ``store.transaction``.

    .venv/bin/python benchmarks/ledger_append.py [--posts 3000] [--producers 128] [--dir .]

The database goes under --dir (a real disk: /tmp may be tmpfs). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosqlite
import structlog
from machine import cpu_model

from storage.ledger.ledger import append_record
from storage.models import PostRecord
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def machine() -> str:
    cpu = cpu_model()
    return (f"platform   {platform.platform()}\ncpu        {cpu}, {os.cpu_count()} cores\n"
            f"python     {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
            f"aiosqlite {aiosqlite.__version__}")


def post(message_id: int) -> PostRecord:
    return PostRecord(
        channel_id=1001234567890, message_id=message_id, date=NOW,
        text=f"benchmark post {message_id} " + "lorem ipsum " * 20, edit_date=None,
        author_signature=None, views=100, forwards=2, fwd_channel_id=None, fwd_message_id=None,
        fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None,
        entities_json="[]", links=(), mentions=(), captured_at=NOW, captured_by="bench",
    )  # fmt: skip


def capture_fields(p: PostRecord) -> dict[str, object]:
    return {"case": "K-1", "authorization": "A-1", "channel": p.channel_id,
            "message": p.message_id, "date": p.date,
            "text_sha256": hashlib.sha256(p.text.encode()).hexdigest(), "media": []}


Op = Callable[[Transaction, int], Awaitable[object]]


async def post_only(tx: Transaction, i: int) -> object:
    return await tx.posts.record(post(i), NOW)


async def post_and_record(tx: Transaction, i: int) -> object:
    p = post(i)
    await tx.posts.record(p, NOW)
    return await append_record(tx, "post.captured", "service:monitor", capture_fields(p))


async def record_only(tx: Transaction, i: int) -> object:
    return await append_record(tx, "post.captured", "service:monitor",
                               capture_fields(post(i)))


def bound(op: Op, i: int) -> Callable[[Transaction], Awaitable[object]]:
    async def call(tx: Transaction) -> object:
        return await op(tx, i)

    return call


async def run(db: Path, op: Op, n: int, producers: int) -> float:
    async with SQLiteStore(db) as store:
        await store.transaction(bound(op, 0))  # warm up

        async def produce(first: int) -> None:
            for i in range(first, n + 1, producers):
                await store.transaction(bound(op, i))

        t0 = time.perf_counter()
        await asyncio.gather(*(produce(p) for p in range(1, producers + 1)))
        return n / (time.perf_counter() - t0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--producers", type=int, default=128)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(machine())
    one, five, _ = os.getloadavg()
    print(f"load       load average {one:.1f} (1 min), {five:.1f} (5 min)")
    print(f"database   under {args.dir}, {args.posts} operations per run, "
          f"{args.producers} producers, synchronous=FULL")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        rates = {}
        for name, op in (("posts only (peer: the store's ceiling)", post_only),
                         ("posts + ledger record", post_and_record),
                         ("ledger records only", record_only)):
            rates[name] = await run(Path(tmp) / f"{op.__name__}.db", op, args.posts,
                                    args.producers)
            print(f"{name:40s} {rates[name]:9,.0f} /s")
    peer, both, ledger = rates.values()
    print(f"\nposts with their ledger record run at {both / peer:.2f} x the store's ceiling;")
    print(f"the ledger alone takes {ledger:,.0f} records/s, i.e. {ledger / peer:.1f} records "
          "per post at the store's peak rate")


if __name__ == "__main__":
    asyncio.run(main())
