"""Synthetic alerts for benchmarks only (benchmarks/console_queue.py): many
alerts on one channel, each with its post, medium and match, written in bulk.
Never called by chanwatch itself; it writes no ledger records, so a database
seeded with it is for measuring, not for evidence."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from storage.codec import to_db


async def seed_alerts(conn: aiosqlite.Connection, count: int, now: datetime) -> None:
    """``count`` alerts (priorities 1-3, due times spread over -2 h .. +24 h)."""
    at = to_db(now)
    await conn.execute(
        "INSERT INTO channels (id, access_hash, title, username, type, first_seen, last_seen) "
        "VALUES (1, 1, 'Bench', 'bench_channel', 'broadcast', ?, ?)", (at, at))
    await conn.execute("INSERT INTO banks (id, name, threshold, created_at, created_by) "
                       "VALUES (1, 'bench', 31, ?, 'bench')", (at,))
    await conn.execute(
        "INSERT INTO bank_entries (id, bank_id, hash_type, hash_value, category, source_ref, "
        "added_at, imported_by, enabled) VALUES (1, 1, 'md5', ?, 'csam', 'bench', ?, 'bench', 1)",
        ("ab" * 16, at))
    rows = range(1, count + 1)
    await conn.executemany(
        "INSERT INTO posts (id, channel_id, message_id, date, text, captured_at, captured_by, "
        "updated_at, has_media) VALUES (?, 1, ?, ?, 'bench', ?, 'bench', ?, 1)",
        [(i, i, at, at, at) for i in rows])
    await conn.executemany(
        "INSERT INTO media (id, file_id, kind, status, created_at, updated_at) "
        "VALUES (?, ?, 'photo', 'hashed', ?, ?)", [(i, f"photo:{i}", at, at) for i in rows])
    await conn.executemany(
        "INSERT INTO alerts (id, channel_id, message_id, state, priority, created_at, due_at) "
        "VALUES (?, 1, ?, ?, ?, ?, ?)",
        [(i, i, "open" if i % 10 else "confirmed", 1 + i % 3, at,
          to_db(now + timedelta(minutes=(i * 7919) % (26 * 60) - 120))) for i in rows])
    await conn.executemany(
        "INSERT INTO matches (alert_id, bank_entry_id, media_id, hash_type, distance, "
        "matched_at) VALUES (?, 1, ?, 'md5', 0, ?)", [(i, i, at) for i in rows])
