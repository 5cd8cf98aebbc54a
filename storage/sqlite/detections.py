"""Detectors' findings (SQL only; migration 0008). The repository, and the
alerts findings raise, are :mod:`storage.sqlite.detection_repos`.

The rules (which detector runs, when a score flags, the ledger records) are
:mod:`handlers.detect` and :mod:`storage.detections`; this module stores and
reads rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import dumps, from_db, to_db
from storage.detection_models import Detection, DetectionIn
from storage.errors import NotFound
from storage.sqlite.connect import execute, fetch_all, fetch_one

_COLUMNS = (
    "id, media_id, detector, model, version, signal, scores_json, evidence_json, frames, "
    "frame_time, detected_at"
)


def _detection(row: aiosqlite.Row) -> Detection:
    return Detection(
        id=int(row["id"]),
        media_id=int(row["media_id"]),
        detector=row["detector"],
        model=row["model"],
        version=row["version"],
        signal=row["signal"],
        scores={str(k): float(v) for k, v in json.loads(row["scores_json"]).items()},
        evidence={str(k): str(v) for k, v in json.loads(row["evidence_json"]).items()},
        frames=int(row["frames"]),
        frame_time=None if row["frame_time"] is None else float(row["frame_time"]),
        detected_at=from_db(row["detected_at"]),
    )


def _check(d: DetectionIn) -> None:
    for name in ("detector", "model", "version", "signal"):
        if not str(getattr(d, name)).strip():
            raise ValueError(f"a detection needs a {name}")
    for label, score in d.scores.items():
        if not label or not isinstance(score, float | int) or not math.isfinite(score) \
                or not 0.0 <= score <= 1.0:
            raise ValueError(f"detection score {label!r}={score!r} is not a number in [0, 1]")
    if d.frames < 1:
        raise ValueError(f"a detection covers at least one frame, not {d.frames}")


async def _find(conn: aiosqlite.Connection, d: DetectionIn) -> Detection | None:
    row = await fetch_one(
        conn,
        f"SELECT {_COLUMNS} FROM detections WHERE media_id = ? AND detector = ? "  # noqa: S608
        "AND model = ? AND version = ?",
        (d.media_id, d.detector, d.model, d.version),
    )
    return None if row is None else _detection(row)


async def add(
    conn: aiosqlite.Connection, d: DetectionIn, now: datetime
) -> tuple[Detection, bool]:
    """Store a finding once per (medium, detector, model, version)."""
    _check(d)
    if await fetch_one(conn, "SELECT 1 FROM media WHERE id = ?", (d.media_id,)) is None:
        raise NotFound(f"detection refers to media {d.media_id}, which does not exist")
    count, _ = await execute(
        conn,
        "INSERT INTO detections (media_id, detector, model, version, signal, scores_json, "
        "evidence_json, top_label, top_score, frames, frame_time, detected_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (media_id, detector, model, version) DO NOTHING",
        (d.media_id, d.detector, d.model, d.version, d.signal,
         dumps({k: float(v) for k, v in d.scores.items()}), dumps(dict(d.evidence)),
         d.top_label, d.top_score, d.frames, d.frame_time, to_db(now)),
    )
    found = await _find(conn, d)
    assert found is not None
    return found, count == 1


async def get(conn: aiosqlite.Connection, detection_id: int) -> Detection | None:
    row = await fetch_one(
        conn, f"SELECT {_COLUMNS} FROM detections WHERE id = ?",  # noqa: S608
        (detection_id,),
    )
    return None if row is None else _detection(row)


async def for_media(conn: aiosqlite.Connection, media_id: int) -> list[Detection]:
    rows = await fetch_all(
        conn, f"SELECT {_COLUMNS} FROM detections WHERE media_id = ? ORDER BY id",  # noqa: S608
        (media_id,),
    )
    return [_detection(r) for r in rows]


async def dismissed_detectors(conn: aiosqlite.Connection, media_id: int) -> set[str]:
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT d.detector FROM detections d "
        "JOIN alert_detections ad ON ad.detection_id = d.id "
        "JOIN alerts a ON a.id = ad.alert_id "
        "WHERE d.media_id = ? AND a.state = 'dismissed'",
        (media_id,),
    )
    return {str(r[0]) for r in rows}


async def for_alerts(
    conn: aiosqlite.Connection, alert_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each alert's detections (as :meth:`Detection.summary`), in attach order."""
    found: dict[int, list[dict[str, Any]]] = {int(a): [] for a in alert_ids}
    ids = list(found)
    cols = ", ".join(f"d.{c.strip()}" for c in _COLUMNS.split(","))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = await fetch_all(
            conn,
            f"SELECT ad.alert_id, {cols} FROM alert_detections ad "  # noqa: S608
            f"JOIN detections d ON d.id = ad.detection_id WHERE ad.alert_id IN ({marks}) "
            "ORDER BY ad.attached_at, d.id",
            chunk,
        )
        for r in rows:
            found[int(r["alert_id"])].append(_detection(r).summary())
    return found
