"""The history sweep's storage: which stored posts a pass checks next, and each
channel's progress (table ``history_sweep``, migration 0006): ``tx.sweep``.
The sweep itself is :mod:`monitor.sweep`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import from_db, opt_from_db, opt_to_db, to_db
from storage.models import SweepProgress
from storage.sqlite.connect import execute, fetch_all, fetch_one
from storage.sqlite.repo import Repo

_COLUMNS = (
    "channel_id, pass, below, checked, deleted, pass_started_at, updated_at, "
    "last_pass_at, last_pass_checked, last_pass_deleted"
)


async def posts_to_check(
    conn: aiosqlite.Connection, channel_id: int, below: int | None, limit: int
) -> list[dict[str, Any]]:
    """``message_id`` and ``edit_date`` of up to ``limit`` stored, not deleted posts
    of a channel with a message id under ``below`` (None: any), newest first."""
    rows = await fetch_all(
        conn,
        "SELECT message_id, edit_date FROM posts WHERE channel_id = ? AND message_id < ? "
        "AND deleted_at IS NULL ORDER BY message_id DESC LIMIT ?",
        (channel_id, below if below is not None else 2**63 - 1, limit),
    )
    return [
        {"message_id": int(r["message_id"]), "edit_date": opt_from_db(r["edit_date"])}
        for r in rows
    ]


def _progress(row: aiosqlite.Row) -> SweepProgress:
    return SweepProgress(
        channel_id=int(row["channel_id"]),
        pass_no=int(row["pass"]),
        below=None if row["below"] is None else int(row["below"]),
        checked=int(row["checked"]),
        deleted=int(row["deleted"]),
        pass_started_at=from_db(row["pass_started_at"]),
        updated_at=from_db(row["updated_at"]),
        last_pass_at=opt_from_db(row["last_pass_at"]),
        last_pass_checked=row["last_pass_checked"],
        last_pass_deleted=row["last_pass_deleted"],
    )


async def get_progress(conn: aiosqlite.Connection, channel_id: int) -> SweepProgress | None:
    row = await fetch_one(
        conn, f"SELECT {_COLUMNS} FROM history_sweep WHERE channel_id = ?",  # noqa: S608
        (channel_id,),
    )
    return None if row is None else _progress(row)


async def list_progress(conn: aiosqlite.Connection) -> list[SweepProgress]:
    rows = await fetch_all(
        conn, f"SELECT {_COLUMNS} FROM history_sweep ORDER BY channel_id"  # noqa: S608
    )
    return [_progress(r) for r in rows]


async def save_progress(
    conn: aiosqlite.Connection, progress: SweepProgress, now: datetime
) -> SweepProgress:
    """Insert or replace a channel's progress; returns it with ``updated_at = now``."""
    await execute(
        conn,
        f"INSERT INTO history_sweep ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
        "ON CONFLICT (channel_id) DO UPDATE SET pass = excluded.pass, "
        "below = excluded.below, checked = excluded.checked, deleted = excluded.deleted, "
        "pass_started_at = excluded.pass_started_at, updated_at = excluded.updated_at, "
        "last_pass_at = excluded.last_pass_at, "
        "last_pass_checked = excluded.last_pass_checked, "
        "last_pass_deleted = excluded.last_pass_deleted",
        (
            progress.channel_id,
            progress.pass_no,
            progress.below,
            progress.checked,
            progress.deleted,
            to_db(progress.pass_started_at),
            to_db(now),
            opt_to_db(progress.last_pass_at),
            progress.last_pass_checked,
            progress.last_pass_deleted,
        ),
    )
    saved = await get_progress(conn, progress.channel_id)
    assert saved is not None
    return saved


class SQLiteSweep(Repo):
    """``tx.sweep`` (:class:`storage.repos.capture.SweepRepo`)."""

    async def posts_to_check(
        self, channel_id: int, below: int | None, limit: int
    ) -> list[dict[str, Any]]:
        return await posts_to_check(self._c, channel_id, below, limit)

    async def progress(self, channel_id: int) -> SweepProgress | None:
        return await get_progress(self._c, channel_id)

    async def list_progress(self) -> list[SweepProgress]:
        return await list_progress(self._c)

    async def save_progress(self, progress: SweepProgress, now: datetime) -> SweepProgress:
        return await save_progress(self._c, progress, now)
