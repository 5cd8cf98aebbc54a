"""Channels, watches and per-channel cursors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.codec import from_db, opt_from_db, opt_to_db, to_db
from storage.errors import NotFound, StateConflict
from storage.models import RECORDING_WATCH_STATES, WATCH_STATES, ChannelRecord, WatchRecord
from storage.sqlite.connect import execute, fetch_all, fetch_one


async def upsert_channel(conn: aiosqlite.Connection, channel: ChannelRecord, now: datetime) -> None:
    """Insert or refresh a channel; a missing access hash never erases a known one."""
    stamp = to_db(now)
    await execute(
        conn,
        "INSERT INTO channels (id, access_hash, title, username, type, first_seen, last_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET "
        "access_hash = coalesce(excluded.access_hash, channels.access_hash), "
        "title = excluded.title, username = excluded.username, type = excluded.type, "
        "last_seen = excluded.last_seen",
        (
            channel.id,
            channel.access_hash,
            channel.title,
            channel.username,
            channel.type,
            stamp,
            stamp,
        ),
    )


async def get_channel(conn: aiosqlite.Connection, channel_id: int) -> ChannelRecord | None:
    row = await fetch_one(
        conn,
        "SELECT id, access_hash, title, username, type FROM channels WHERE id = ?",
        (channel_id,),
    )
    if row is None:
        return None
    return ChannelRecord(row["id"], row["access_hash"], row["title"], row["username"], row["type"])


def _watch(row: aiosqlite.Row) -> WatchRecord:
    return WatchRecord(
        id=row["id"],
        target=row["target"],
        channel_id=row["channel_id"],
        state=row["state"],
        account=row["account"],
        created_at=from_db(row["created_at"]),
        reason=row["reason"],
        wait_until=opt_from_db(row["wait_until"]),
    )


def _check_state(state: str) -> str:
    if state not in WATCH_STATES:
        raise ValueError(f"unknown watch state {state!r}; one of: {', '.join(WATCH_STATES)}")
    return state


_WATCH_COLUMNS = "id, target, channel_id, state, account, reason, wait_until, created_at"


async def get_watch(conn: aiosqlite.Connection, watch_id: int) -> WatchRecord | None:
    row = await fetch_one(conn, f"SELECT {_WATCH_COLUMNS} FROM watches WHERE id = ?", (watch_id,))  # noqa: S608
    return None if row is None else _watch(row)


async def add_watch(
    conn: aiosqlite.Connection,
    target: str,
    actor: str,
    reason: str | None,
    state: str,
    now: datetime,
) -> WatchRecord:
    _check_state(state)
    if not target.strip():
        raise ValueError("a watch needs a target (@name, t.me/name or an invite link)")
    stamp = to_db(now)
    _, watch_id = await execute(
        conn,
        "INSERT INTO watches (target, state, reason, created_at, created_by, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (target.strip(), state, reason, stamp, actor, stamp),
    )
    assert watch_id is not None
    record = await get_watch(conn, watch_id)
    assert record is not None
    return record


async def list_watches(
    conn: aiosqlite.Connection, states: Sequence[str] | None = None
) -> list[WatchRecord]:
    if states is None:
        rows = await fetch_all(conn, f"SELECT {_WATCH_COLUMNS} FROM watches ORDER BY id")  # noqa: S608
    else:
        wanted = [_check_state(s) for s in states]
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        rows = await fetch_all(
            conn,
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE state IN ({marks}) ORDER BY id",  # noqa: S608
            wanted,
        )
    return [_watch(r) for r in rows]


async def update_watch(
    conn: aiosqlite.Connection,
    watch_id: int,
    *,
    now: datetime,
    state: str | None,
    channel_id: int | None,
    account: str | None,
    reason: str | None,
    wait_until: datetime | None,
) -> tuple[WatchRecord, WatchRecord]:
    """Change the given fields (None leaves a field as it is); (before, after).

    ``wait_until`` is cleared when the watch leaves the ``waiting`` state. A watch
    bound to a channel is never re-bound to another one.
    """
    before = await get_watch(conn, watch_id)
    if before is None:
        raise NotFound(f"no watch with id {watch_id}")
    new_state = _check_state(state) if state is not None else before.state
    if channel_id is not None and before.channel_id not in (None, channel_id):
        raise StateConflict(
            f"watch {watch_id} is bound to channel {before.channel_id}; "
            f"it is never re-resolved (asked to bind it to {channel_id})"
        )
    new_wait = wait_until if wait_until is not None else before.wait_until
    if new_state != "waiting" and wait_until is None:
        new_wait = None
    await execute(
        conn,
        "UPDATE watches SET state = ?, channel_id = ?, account = ?, reason = ?, wait_until = ?, "
        "updated_at = ? WHERE id = ?",
        (
            new_state,
            channel_id if channel_id is not None else before.channel_id,
            account if account is not None else before.account,
            reason if reason is not None else before.reason,
            opt_to_db(new_wait),
            to_db(now),
            watch_id,
        ),
    )
    after = await get_watch(conn, watch_id)
    assert after is not None
    return before, after


async def watched_channel_ids(conn: aiosqlite.Connection) -> set[int]:
    marks = ", ".join("?" * len(RECORDING_WATCH_STATES))
    rows = await fetch_all(
        conn,
        f"SELECT DISTINCT channel_id FROM watches WHERE channel_id IS NOT NULL "  # noqa: S608
        f"AND state IN ({marks})",
        RECORDING_WATCH_STATES,
    )
    return {int(r[0]) for r in rows}


async def get_cursor(conn: aiosqlite.Connection, channel_id: int) -> int:
    row = await fetch_one(
        conn, "SELECT message_id FROM cursors WHERE channel_id = ?", (channel_id,)
    )
    return 0 if row is None else int(row[0])


async def advance_cursor(
    conn: aiosqlite.Connection, channel_id: int, message_id: int, now: datetime
) -> None:
    """Move the cursor forward; a lower message id leaves it where it is."""
    if message_id < 0:
        raise ValueError(f"a cursor is a message id >= 0, not {message_id}")
    await execute(
        conn,
        "INSERT INTO cursors (channel_id, message_id, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (channel_id) DO UPDATE SET message_id = excluded.message_id, "
        "updated_at = excluded.updated_at WHERE excluded.message_id > cursors.message_id",
        (channel_id, message_id, to_db(now)),
    )
