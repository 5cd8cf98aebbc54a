"""The SQLite :class:`storage.repos.DetectionsRepo`: findings
(:mod:`storage.sqlite.detections`) and the alerts they raise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.codec import to_db
from storage.detection_models import DetectedAlert, Detection, DetectionIn
from storage.errors import NotFound
from storage.sqlite import alerts, detections, posts
from storage.sqlite.connect import execute, fetch_one
from storage.sqlite.repo import Repo


async def attach(
    conn: aiosqlite.Connection,
    channel_id: int,
    message_id: int,
    detection_ids: Sequence[int],
    priority: int,
    due_at: datetime,
    now: datetime,
) -> DetectedAlert:
    """The post's alert (created open with kind ``detected`` if it has none) with
    the detections linked (each once)."""
    await posts.require_post(conn, channel_id, message_id)
    for detection_id in detection_ids:
        if await fetch_one(conn, "SELECT 1 FROM detections WHERE id = ?",
                           (detection_id,)) is None:
            raise NotFound(f"alert refers to detection {detection_id}, which does not exist")
    stamp = to_db(now)
    created, alert_id = await execute(
        conn,
        "INSERT INTO alerts (channel_id, message_id, state, priority, created_at, due_at, kind) "
        "VALUES (?, ?, 'open', ?, ?, ?, 'detected') "
        "ON CONFLICT (channel_id, message_id) DO NOTHING",
        (channel_id, message_id, priority, stamp, to_db(due_at)),
    )
    if created != 1:
        row = await fetch_one(
            conn, "SELECT id FROM alerts WHERE channel_id = ? AND message_id = ?",
            (channel_id, message_id),
        )
        assert row is not None
        alert_id = int(row[0])
    assert alert_id is not None
    added: list[int] = []
    for detection_id in detection_ids:
        count, _ = await execute(
            conn,
            "INSERT INTO alert_detections (alert_id, detection_id, attached_at) VALUES (?, ?, ?) "
            "ON CONFLICT (alert_id, detection_id) DO NOTHING",
            (alert_id, detection_id, stamp),
        )
        if count == 1:
            added.append(detection_id)
    alert = await alerts.get_alert(conn, alert_id)
    assert alert is not None
    return DetectedAlert(alert=alert, created=created == 1, added=tuple(added))


class SQLiteDetections(Repo):
    """:class:`storage.repos.DetectionsRepo` on one connection."""

    async def add(self, detection: DetectionIn, now: datetime) -> tuple[Detection, bool]:
        return await detections.add(self._c, detection, now)

    async def get(self, detection_id: int) -> Detection | None:
        return await detections.get(self._c, detection_id)

    async def for_media(self, media_id: int) -> list[Detection]:
        return await detections.for_media(self._c, media_id)

    async def dismissed_detectors(self, media_id: int) -> set[str]:
        return await detections.dismissed_detectors(self._c, media_id)

    async def attach(
        self,
        channel_id: int,
        message_id: int,
        detection_ids: Sequence[int],
        priority: int,
        due_at: datetime,
        now: datetime,
    ) -> DetectedAlert:
        return await attach(self._c, channel_id, message_id, detection_ids, priority, due_at, now)
