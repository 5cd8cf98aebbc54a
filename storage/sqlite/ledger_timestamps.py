"""Queries of ``ledger_timestamps`` (migration 0007): every attempt to get an
RFC 3161 timestamp for a checkpoint, with its token or the reason it failed.

:class:`SQLiteTimestamps` is ``tx.timestamps`` (:class:`storage.repos.records.TimestampsRepo`).
"""

from __future__ import annotations

from typing import Any

import aiosqlite

from storage.repos.records import TimestampAttempt, TimestampGap
from storage.sqlite.repo import Repo

_COLUMNS = ("checkpoint_id, tsa_url, attempted_at, imprint, response, gen_time, tsa_name, "
            "error")


def _attempt(r: Any) -> TimestampAttempt:
    return TimestampAttempt(int(r[0]), str(r[1]), str(r[2]), bytes(r[3]),
                            None if r[4] is None else bytes(r[4]), r[5], r[6], r[7])


async def insert_attempt(conn: aiosqlite.Connection, attempt: TimestampAttempt) -> None:
    await conn.execute(
        f"INSERT INTO ledger_timestamps ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (attempt.checkpoint_id, attempt.tsa_url, attempt.attempted_at, attempt.imprint,
         attempt.response, attempt.gen_time, attempt.tsa_name, attempt.error),
    )


async def token_of(conn: aiosqlite.Connection, checkpoint_id: int) -> TimestampAttempt | None:
    """The first successful attempt for the checkpoint, or None."""
    rows = list(await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM ledger_timestamps WHERE checkpoint_id = ? "  # noqa: S608
        "AND response IS NOT NULL ORDER BY id LIMIT 1", (checkpoint_id,)))
    return _attempt(rows[0]) if rows else None


async def gaps(conn: aiosqlite.Connection, limit: int = 100) -> list[TimestampGap]:
    """Checkpoints tried but never stamped, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT c.id, c.tree_size, c.signed_at, count(*), max(t.attempted_at), "
        "(SELECT error FROM ledger_timestamps e WHERE e.checkpoint_id = c.id "
        " ORDER BY e.id DESC LIMIT 1) "
        "FROM ledger_timestamps t JOIN ledger_checkpoints c ON c.id = t.checkpoint_id "
        "WHERE NOT EXISTS (SELECT 1 FROM ledger_timestamps s WHERE s.checkpoint_id = c.id "
        "AND s.response IS NOT NULL) GROUP BY c.id ORDER BY c.id LIMIT ?", (limit,))
    return [TimestampGap(int(r[0]), int(r[1]), str(r[2]), int(r[3]), str(r[4]), str(r[5] or ""))
            for r in rows]


async def latest_token(conn: aiosqlite.Connection) -> TimestampAttempt | None:
    """The successful attempt of the newest stamped checkpoint, or None."""
    rows = list(await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM ledger_timestamps WHERE response IS NOT NULL "  # noqa: S608
        "ORDER BY checkpoint_id DESC, id LIMIT 1"))
    return _attempt(rows[0]) if rows else None


class SQLiteTimestamps(Repo):
    async def insert(self, attempt: TimestampAttempt) -> None:
        await insert_attempt(self._c, attempt)

    async def token_of(self, checkpoint_id: int) -> TimestampAttempt | None:
        return await token_of(self._c, checkpoint_id)

    async def gaps(self, limit: int = 100) -> list[TimestampGap]:
        return await gaps(self._c, limit)

    async def latest_token(self) -> TimestampAttempt | None:
        return await latest_token(self._c)
