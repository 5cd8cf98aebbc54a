"""Media (one row per Telegram file) and sightings (a medium seen in a post).

The ledger records (``media.hashed`` when a row is created or upgraded,
``media.seen`` for each new sighting) are written by :mod:`storage.capture`
from what these functions return, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import dumps, to_db
from storage.errors import NotFound
from storage.models import MediaRecord, NewMedia
from storage.sqlite import media_hashes, posts
from storage.sqlite.connect import execute, fetch_one

_COLUMNS = (
    "id, file_id, kind, size, mime, width, height, duration, sha256, md5, pdq, pdq_quality, "
    "status, reason"
)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _media(row: aiosqlite.Row) -> MediaRecord:
    return MediaRecord(
        id=row["id"],
        file_id=row["file_id"],
        kind=row["kind"],
        size=row["size"],
        mime=row["mime"],
        width=row["width"],
        height=row["height"],
        duration=row["duration"],
        sha256=row["sha256"],
        md5=row["md5"],
        pdq=row["pdq"],
        pdq_quality=row["pdq_quality"],
        status=row["status"],
        reason=row["reason"],
    )


async def find_media(
    conn: aiosqlite.Connection, *, file_id: str | None, sha256: str | None
) -> MediaRecord | None:
    """By Telegram file id first, then by SHA-256 (the earliest such media)."""
    if file_id is None and sha256 is None:
        raise ValueError("find_media needs a file_id or a sha256")
    if file_id is not None:
        row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM media WHERE file_id = ?", (file_id,))  # noqa: S608
        if row is not None:
            return _media(row)
    if sha256 is not None:
        row = await fetch_one(
            conn,
            f"SELECT {_COLUMNS} FROM media WHERE sha256 = ? ORDER BY id LIMIT 1",  # noqa: S608
            (sha256.lower(),),
        )
        if row is not None:
            return _media(row)
    return None


async def add_media(
    conn: aiosqlite.Connection, media: NewMedia, now: datetime
) -> tuple[MediaRecord, bool]:
    """Idempotent on ``file_id``. A file recorded without hashes (failed, too large...)
    gets its hashes when a later attempt succeeds; a hashed file is never changed.
    Returns the row and whether it was created or upgraded."""
    if not media.file_id:
        raise ValueError("media needs a Telegram file id")
    stamp = to_db(now)
    changed, _ = await execute(
        conn,
        "INSERT INTO media (file_id, kind, size, mime, width, height, duration, sha256, md5, "
        "pdq, pdq_quality, status, reason, extra_json, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (file_id) DO UPDATE SET size = excluded.size, mime = excluded.mime, "
        "width = excluded.width, height = excluded.height, duration = excluded.duration, "
        "sha256 = excluded.sha256, md5 = excluded.md5, pdq = excluded.pdq, "
        "pdq_quality = excluded.pdq_quality, status = excluded.status, reason = excluded.reason, "
        "extra_json = excluded.extra_json, updated_at = excluded.updated_at "
        "WHERE media.status <> 'hashed' AND excluded.status = 'hashed'",
        (
            media.file_id,
            media.kind,
            media.size,
            media.mime,
            media.width,
            media.height,
            media.duration,
            _lower(media.sha256),
            _lower(media.md5),
            _lower(media.pdq),
            media.pdq_quality,
            media.status,
            media.reason,
            dumps(media.extra),
            stamp,
            stamp,
        ),
    )
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM media WHERE file_id = ?", (media.file_id,))  # noqa: S608
    assert row is not None
    record = _media(row)
    if changed and record.status == "hashed":  # SHA-1, dihedral PDQ, vPDQ: re-sightings
        await media_hashes.save(conn, record.id, media.extra)
    return record, bool(changed)


async def add_sighting(
    conn: aiosqlite.Connection,
    media_id: int,
    channel_id: int,
    message_id: int,
    now: datetime,
) -> MediaRecord | None:
    """Record that ``media_id`` appears in the post; idempotent. The medium when
    the sighting is new, None when it was known."""
    await posts.require_post(conn, channel_id, message_id)
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM media WHERE id = ?", (media_id,))  # noqa: S608
    if row is None:
        raise NotFound(f"no media with id {media_id}")
    added, _ = await execute(
        conn,
        "INSERT INTO sightings (media_id, channel_id, message_id, seen_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (media_id, channel_id, message_id) DO NOTHING",
        (media_id, channel_id, message_id, to_db(now)),
    )
    return _media(row) if added else None
