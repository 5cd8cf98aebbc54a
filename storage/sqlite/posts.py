"""Posts, their edits, links and mentions, and deletions.

A post is stored once: (channel_id, message_id) is unique and :func:`record_post`
is idempotent. A replay with a later edit date and a different text keeps the
replaced version in ``edits``. Views and forwards only grow. Links and mentions
once seen are kept, even when an edit removes them from the text.

The ledger records of these changes (``post.captured``, ``post.edited``,
``post.deleted``) are written by :mod:`storage.capture` from what these
functions return, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import from_db, opt_from_db, opt_to_db, to_db
from storage.errors import NotFound
from storage.models import PostRecord
from storage.repos.capture import PostWrite
from storage.sqlite.connect import execute, fetch_all, fetch_one

_INSERT = (
    "INSERT INTO posts (channel_id, message_id, date, edit_date, text, entities_json, "
    "author_signature, views, forwards, fwd_channel_id, fwd_message_id, fwd_from_name, "
    "fwd_date, reply_to, grouped_id, has_media, captured_at, captured_by, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (channel_id, message_id) DO NOTHING RETURNING id"
)
_INSERT_LINK = "INSERT INTO post_links (post_id, kind, value, position) VALUES (?, ?, ?, ?)"
_TIME_COLUMNS = ("date", "edit_date", "fwd_date", "captured_at", "updated_at", "deleted_at")
_CHUNK = 500


def _max(old: int | None, new: int | None) -> int | None:
    if old is None:
        return new
    if new is None:
        return old
    return max(old, new)


async def _add_links(
    conn: aiosqlite.Connection, post_id: int, kind: str, values: Sequence[str]
) -> None:
    if not values:
        return
    rows = await fetch_all(
        conn,
        "SELECT value, position FROM post_links WHERE post_id = ? AND kind = ?",
        (post_id, kind),
    )
    known = {r["value"] for r in rows}
    position = max((r["position"] for r in rows), default=-1) + 1
    fresh: list[tuple[int, str, str, int]] = []
    for value in dict.fromkeys(values):  # keeps order, drops repeats
        if value not in known:
            fresh.append((post_id, kind, value, position))
            position += 1
    if fresh:
        await conn.executemany(_INSERT_LINK, fresh)


async def record_post(conn: aiosqlite.Connection, post: PostRecord, now: datetime) -> PostWrite:
    """Store ``post``: new, or a replay (which may update it)."""
    stamp = to_db(now)
    inserted = await fetch_all(
        conn,
        _INSERT,
        (
            post.channel_id,
            post.message_id,
            to_db(post.date),
            opt_to_db(post.edit_date),
            post.text,
            post.entities_json,
            post.author_signature,
            post.views,
            post.forwards,
            post.fwd_channel_id,
            post.fwd_message_id,
            post.fwd_from_name,
            opt_to_db(post.fwd_date),
            post.reply_to,
            post.grouped_id,
            int(post.has_media),
            to_db(post.captured_at),
            post.captured_by,
            stamp,
        ),
    )
    if inserted:  # new: links go in with one statement, no lookups
        post_id = int(inserted[0][0])
        links = [
            (post_id, kind, value, position)
            for kind, values in (("link", post.links), ("mention", post.mentions))
            for position, value in enumerate(dict.fromkeys(values))
        ]
        if links:
            await conn.executemany(_INSERT_LINK, links)
        return PostWrite(new=True)
    post_id, previous = await _merge_replay(conn, post, stamp)
    await _add_links(conn, post_id, "link", post.links)
    await _add_links(conn, post_id, "mention", post.mentions)
    return PostWrite(new=False, previous_text=previous)


async def _merge_replay(
    conn: aiosqlite.Connection, post: PostRecord, stamp: str
) -> tuple[int, str | None]:
    """Merge a replay into the stored post: its id, and the replaced text when
    the replay was an edit that changed the text (None otherwise)."""
    old = await fetch_one(
        conn,
        "SELECT id, text, entities_json, edit_date, views, forwards, has_media FROM posts "
        "WHERE channel_id = ? AND message_id = ?",
        (post.channel_id, post.message_id),
    )
    assert old is not None, "ON CONFLICT DO NOTHING without a conflicting row"
    post_id = int(old["id"])
    text, entities, edit_date = old["text"], old["entities_json"], old["edit_date"]
    new_edit = opt_to_db(post.edit_date)
    previous: str | None = None
    if new_edit is not None and (edit_date is None or new_edit > edit_date):
        if post.text != text or post.entities_json != entities:
            previous = str(text)
            await execute(
                conn,
                "INSERT INTO edits (post_id, previous_text, previous_entities_json, "
                "previous_edit_date, edit_date, seen_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (post_id, edit_date) DO NOTHING",
                (post_id, text, entities, edit_date, new_edit, stamp),
            )
        text, entities, edit_date = post.text, post.entities_json, new_edit
    views, forwards = _max(old["views"], post.views), _max(old["forwards"], post.forwards)
    has_media = int(bool(old["has_media"]) or post.has_media)
    changed = (text, entities, edit_date, views, forwards, has_media) != (
        old["text"],
        old["entities_json"],
        old["edit_date"],
        old["views"],
        old["forwards"],
        old["has_media"],
    )
    if changed:
        await execute(
            conn,
            "UPDATE posts SET text = ?, entities_json = ?, edit_date = ?, views = ?, forwards = ?, "
            "has_media = ?, updated_at = ? WHERE id = ?",
            (text, entities, edit_date, views, forwards, has_media, stamp, post_id),
        )
    return post_id, previous


async def mark_deleted(
    conn: aiosqlite.Connection,
    channel_id: int,
    message_ids: Sequence[int],
    at: datetime,
) -> list[int]:
    """Set ``deleted_at`` on the posts not already marked; the ids marked, ascending."""
    ids = sorted(set(message_ids))
    stamp = to_db(at)
    marked: list[int] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = await fetch_all(
            conn,
            f"UPDATE posts SET deleted_at = ?, updated_at = ? WHERE channel_id = ? "  # noqa: S608
            f"AND message_id IN ({marks}) AND deleted_at IS NULL RETURNING message_id",
            [stamp, stamp, channel_id, *chunk],
        )
        marked.extend(sorted(int(r[0]) for r in rows))
    return marked


def _post_dict(row: aiosqlite.Row) -> dict[str, Any]:
    out = dict(zip(row.keys(), tuple(row), strict=True))
    for name in _TIME_COLUMNS:
        out[name] = opt_from_db(out[name])
    out["has_media"] = bool(out["has_media"])
    out["links"] = []
    out["mentions"] = []
    return out


async def _attach_links(conn: aiosqlite.Connection, posts: dict[int, dict[str, Any]]) -> None:
    ids = list(posts)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = await fetch_all(
            conn,
            f"SELECT post_id, kind, value FROM post_links WHERE post_id IN ({marks}) "  # noqa: S608
            "ORDER BY post_id, kind, position",
            chunk,
        )
        for r in rows:
            posts[r["post_id"]]["links" if r["kind"] == "link" else "mentions"].append(r["value"])


async def get_post(
    conn: aiosqlite.Connection, channel_id: int, message_id: int
) -> dict[str, Any] | None:
    """The post's columns (times as aware datetimes), ``links``, ``mentions`` and
    ``edits`` (the replaced versions, oldest first)."""
    row = await fetch_one(
        conn,
        "SELECT * FROM posts WHERE channel_id = ? AND message_id = ?",
        (channel_id, message_id),
    )
    if row is None:
        return None
    post = _post_dict(row)
    await _attach_links(conn, {post["id"]: post})
    edits = await fetch_all(
        conn,
        "SELECT previous_text, previous_entities_json, previous_edit_date, edit_date, seen_at "
        "FROM edits WHERE post_id = ? ORDER BY edit_date",
        (post["id"],),
    )
    post["edits"] = [
        {
            "previous_text": e["previous_text"],
            "previous_entities_json": e["previous_entities_json"],
            "previous_edit_date": opt_from_db(e["previous_edit_date"]),
            "edit_date": from_db(e["edit_date"]),
            "seen_at": from_db(e["seen_at"]),
        }
        for e in edits
    ]
    return post


async def list_posts(
    conn: aiosqlite.Connection, channel_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first (by message id within a channel, by capture otherwise)."""
    if channel_id is None:
        rows = await fetch_all(conn, "SELECT * FROM posts ORDER BY id DESC LIMIT ?", (limit,))
    else:
        rows = await fetch_all(
            conn,
            "SELECT * FROM posts WHERE channel_id = ? ORDER BY message_id DESC LIMIT ?",
            (channel_id, limit),
        )
    posts = {int(r["id"]): _post_dict(r) for r in rows}
    await _attach_links(conn, posts)
    return list(posts.values())


async def posts_between(
    conn: aiosqlite.Connection,
    channel_id: int | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Posts of ``channel_id`` (every channel when None) dated in [since, until),
    newest first, with their links and mentions."""
    where: list[str] = []
    params: list[int | str] = []
    if channel_id is not None:
        where.append("channel_id = ?")
        params.append(channel_id)
    if since is not None:
        where.append("date >= ?")
        params.append(to_db(since))
    if until is not None:
        where.append("date < ?")
        params.append(to_db(until))
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = await fetch_all(
        conn,
        f"SELECT * FROM posts {clause}ORDER BY date DESC, id DESC LIMIT ?",  # noqa: S608
        (*params, limit),
    )
    posts = {int(r["id"]): _post_dict(r) for r in rows}
    await _attach_links(conn, posts)
    return list(posts.values())


async def count_posts(conn: aiosqlite.Connection, channel_id: int | None) -> int:
    if channel_id is None:
        row = await fetch_one(conn, "SELECT count(*) FROM posts")
    else:
        row = await fetch_one(
            conn, "SELECT count(*) FROM posts WHERE channel_id = ?", (channel_id,)
        )
    assert row is not None
    return int(row[0])


async def require_post(conn: aiosqlite.Connection, channel_id: int, message_id: int) -> None:
    """Raise :class:`NotFound` unless the post is recorded (sightings and alerts
    refer to a recorded post)."""
    post = await fetch_one(
        conn,
        "SELECT 1 FROM posts WHERE channel_id = ? AND message_id = ?",
        (channel_id, message_id),
    )
    if post is None:
        raise NotFound(f"post {channel_id}/{message_id} is not recorded; record it first")

