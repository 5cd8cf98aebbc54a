"""Every hash of a medium (table ``media_hashes``), and the reads built on the
media tables: a medium's stored hashes for a re-sighting, the media seen
recently (re-matching after a bank grew), a medium's sightings with their posts
and channels (spread), and media sharing a hash or near in PDQ (spread).

The media row keeps SHA-256, MD5 and PDQ; ``media_hashes`` keeps the rest the
media handler learned: SHA-1, the 8 dihedral PDQ variants and the vPDQ frames
(as ``NewMedia.extra`` carries them), written with the media row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import from_db, opt_from_db, to_db
from storage.models import MediaRecord, Sighting, StoredHashes
from storage.sqlite.connect import fetch_all, fetch_one

_MEDIA_COLUMNS = (
    "m.id, m.file_id, m.kind, m.size, m.mime, m.width, m.height, m.duration, m.sha256, "
    "m.md5, m.pdq, m.pdq_quality, m.status, m.reason"
)
_CHUNK = 500


def rows_of(media_id: int, extra: Mapping[str, Any]) -> list[tuple[int, str, int, str]]:
    """The ``media_hashes`` rows for a medium's ``extra`` (sha1, pdq_dihedral, vpdq)."""
    rows: list[tuple[int, str, int, str]] = []
    sha1 = extra.get("sha1")
    if isinstance(sha1, str) and sha1:
        rows.append((media_id, "sha1", 0, sha1.lower()))
    variants = extra.get("pdq_dihedral")
    if isinstance(variants, list | tuple):
        rows.extend(
            (media_id, "pdq", i, str(v).lower()) for i, v in enumerate(variants) if v
        )
    vpdq = extra.get("vpdq")
    if isinstance(vpdq, str) and vpdq:
        rows.append((media_id, "vpdq", 0, vpdq))
    return rows


async def save(conn: aiosqlite.Connection, media_id: int, extra: Mapping[str, Any]) -> None:
    """Store the extra hashes of a medium just hashed (replacing none: idempotent)."""
    rows = rows_of(media_id, extra)
    if rows:
        await conn.executemany(
            "INSERT INTO media_hashes (media_id, hash_type, position, hash_value) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (media_id, hash_type, position) DO NOTHING",
            rows,
        )


def _stored(media_id: int, rows: Iterable[aiosqlite.Row]) -> StoredHashes:
    sha1: str | None = None
    vpdq: str | None = None
    pdq: list[tuple[int, str]] = []
    for r in rows:
        if r["hash_type"] == "sha1":
            sha1 = r["hash_value"]
        elif r["hash_type"] == "vpdq":
            vpdq = r["hash_value"]
        else:
            pdq.append((int(r["position"]), r["hash_value"]))
    return StoredHashes(media_id, sha1, tuple(v for _, v in sorted(pdq)), vpdq)


async def get_many(
    conn: aiosqlite.Connection, media_ids: Sequence[int]
) -> dict[int, StoredHashes]:
    """Stored hashes per medium (every id given gets an entry, maybe empty)."""
    found: dict[int, list[aiosqlite.Row]] = {int(i): [] for i in media_ids}
    ids = list(found)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for r in await fetch_all(
            conn,
            "SELECT media_id, hash_type, position, hash_value FROM media_hashes "  # noqa: S608
            f"WHERE media_id IN ({marks})",
            chunk,
        ):
            found[int(r["media_id"])].append(r)
    return {i: _stored(i, rows) for i, rows in found.items()}


async def get(conn: aiosqlite.Connection, media_id: int) -> StoredHashes:
    return (await get_many(conn, [media_id]))[media_id]


def _media(r: aiosqlite.Row) -> MediaRecord:
    return MediaRecord(
        id=r["id"], file_id=r["file_id"], kind=r["kind"], size=r["size"], mime=r["mime"],
        width=r["width"], height=r["height"], duration=r["duration"], sha256=r["sha256"],
        md5=r["md5"], pdq=r["pdq"], pdq_quality=r["pdq_quality"], status=r["status"],
        reason=r["reason"],
    )


async def recent_media(conn: aiosqlite.Connection, since: datetime) -> list[MediaRecord]:
    """Hashed media with a sighting recorded at or after ``since``, oldest first."""
    rows = await fetch_all(
        conn,
        f"SELECT {_MEDIA_COLUMNS} FROM media m WHERE m.status = 'hashed' AND EXISTS "  # noqa: S608
        "(SELECT 1 FROM sightings s WHERE s.media_id = m.id AND s.seen_at >= ?) ORDER BY m.id",
        (to_db(since),),
    )
    return [_media(r) for r in rows]


async def get_media(conn: aiosqlite.Connection, media_id: int) -> MediaRecord | None:
    row = await fetch_one(conn, f"SELECT {_MEDIA_COLUMNS} FROM media m WHERE m.id = ?", (media_id,))  # noqa: S608
    return None if row is None else _media(row)


_SIGHTINGS = (
    "SELECT s.media_id, s.channel_id, s.message_id, s.seen_at, p.date AS post_date, "
    "c.title, c.username, p.fwd_channel_id, p.fwd_message_id, p.fwd_date, "
    "a.id AS alert_id, a.state AS alert_state FROM sightings s "
    "LEFT JOIN posts p ON p.channel_id = s.channel_id AND p.message_id = s.message_id "
    "LEFT JOIN channels c ON c.id = s.channel_id "
    "LEFT JOIN alerts a ON a.channel_id = s.channel_id AND a.message_id = s.message_id"
)


async def sightings(
    conn: aiosqlite.Connection, media_ids: Sequence[int], since: datetime | None = None
) -> list[Sighting]:
    """The sightings of ``media_ids`` (at or after ``since``), by post date then id."""
    out: list[Sighting] = []
    ids = sorted({int(i) for i in media_ids})
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        params: list[Any] = list(chunk)
        where = f"s.media_id IN ({marks})"
        if since is not None:
            where += " AND s.seen_at >= ?"
            params.append(to_db(since))
        for r in await fetch_all(conn, f"{_SIGHTINGS} WHERE {where}", params):
            out.append(
                Sighting(
                    media_id=r["media_id"], channel_id=r["channel_id"],
                    message_id=r["message_id"], seen_at=from_db(r["seen_at"]),
                    post_date=opt_from_db(r["post_date"]), channel_title=r["title"],
                    channel_username=r["username"], fwd_channel_id=r["fwd_channel_id"],
                    fwd_message_id=r["fwd_message_id"], fwd_date=opt_from_db(r["fwd_date"]),
                    alert_id=r["alert_id"], alert_state=r["alert_state"],
                )
            )
    out.sort(key=lambda s: (s.post_date or s.seen_at, s.channel_id, s.message_id))
    return out


async def media_sharing_hashes(
    conn: aiosqlite.Connection, sha256: str | None, md5: str | None
) -> list[int]:
    """Ids of media rows with the same SHA-256 or MD5 (the exact part of spread)."""
    ids: set[int] = set()
    for column, value in (("sha256", sha256), ("md5", md5)):
        if value:
            for r in await fetch_all(
                conn, f"SELECT id FROM media WHERE {column} = ?", (value.lower(),)  # noqa: S608
            ):
                ids.add(int(r[0]))
    return sorted(ids)


async def media_pdq(conn: aiosqlite.Connection) -> list[tuple[int, str, int | None]]:
    """(media id, PDQ, quality) of every medium with a PDQ (the near part of spread)."""
    rows = await fetch_all(
        conn, "SELECT id, pdq, pdq_quality FROM media WHERE pdq IS NOT NULL ORDER BY id"
    )
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]
