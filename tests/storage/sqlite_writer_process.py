"""A separate process that records posts through SQLiteStore (used by the store
tests for crash safety and two-process access; not a test module itself).

Usage: python sqlite_writer_process.py DB CHANNEL_ID COUNT PRODUCERS

Writes "ack <message_id>\\n" to stdout (flushed) only after record_post returned,
i.e. after the post's batch committed; "done\\n" at the end.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlite_support import make_post

from storage.sqlite import SQLiteStore


async def main(db: Path, channel_id: int, count: int, producers: int) -> None:
    async with SQLiteStore(db, batch_size=16) as store:

        async def produce(first: int) -> None:
            for message_id in range(first, count + 1, producers):
                await store.record_post(make_post(channel_id=channel_id, message_id=message_id))
                await store.advance_cursor(channel_id, message_id)
                sys.stdout.write(f"ack {message_id}\n")
                sys.stdout.flush()

        await asyncio.gather(*(produce(p) for p in range(1, producers + 1)))
    sys.stdout.write("done\n")
    sys.stdout.flush()


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
