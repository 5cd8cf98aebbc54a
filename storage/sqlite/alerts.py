"""Matches and alerts: one alert per post, its matches, its state.

Rows only. The state machine and the decision rules are :mod:`hotline.decisions`;
the audit rows and ledger records of a raised alert are written by
:mod:`storage.capture`. The schema's trigger still refuses an illegal state
change, as a last line of defence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import dumps, from_db, opt_from_db, to_db
from storage.errors import NotFound
from storage.models import Alert, AlertState, MatchIn
from storage.repos.review import RaisedAlert
from storage.sqlite import detections, posts
from storage.sqlite.connect import execute, fetch_all, fetch_one

ALERT_STATES: tuple[AlertState, ...] = ("open", "claimed", "confirmed", "dismissed")

_MATCHES = (
    "SELECT m.id, m.alert_id, m.media_id, m.hash_type, m.distance, m.matched_at, m.detail_json, "
    "e.id AS bank_entry_id, e.hash_value, e.category, e.source_ref, b.name AS bank "
    "FROM matches m JOIN bank_entries e ON e.id = m.bank_entry_id "
    "JOIN banks b ON b.id = e.bank_id"
)


def _match(row: aiosqlite.Row) -> dict[str, Any]:
    return {
        "match_id": row["id"],
        "bank": row["bank"],
        "bank_entry_id": row["bank_entry_id"],
        "hash_type": row["hash_type"],
        "hash_value": row["hash_value"],
        "distance": row["distance"],
        "category": row["category"],
        "source_ref": row["source_ref"],
        "media_id": row["media_id"],
        "matched_at": from_db(row["matched_at"]),
        "detail": json.loads(row["detail_json"]) if row["detail_json"] else None,
    }


def _alert(
    row: aiosqlite.Row,
    matches: Sequence[dict[str, Any]],
    found: Sequence[dict[str, Any]] = (),
) -> Alert:
    return Alert(
        id=row["id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        state=row["state"],
        priority=row["priority"],
        created_at=from_db(row["created_at"]),
        due_at=from_db(row["due_at"]),
        claimed_by=row["claimed_by"],
        decided_by=row["decided_by"],
        decided_at=opt_from_db(row["decided_at"]),
        note=row["note"],
        matches=tuple(matches),
        kind=row["kind"],
        detections=tuple(found),
    )


async def _with_matches(conn: aiosqlite.Connection, rows: list[aiosqlite.Row]) -> list[Alert]:
    found: dict[int, list[dict[str, Any]]] = {int(r["id"]): [] for r in rows}
    ids = list(found)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for m in await fetch_all(
            conn,
            f"{_MATCHES} WHERE m.alert_id IN ({marks}) ORDER BY m.id",
            chunk,
        ):
            found[int(m["alert_id"])].append(_match(m))
    detected = await detections.for_alerts(conn, ids)
    return [_alert(r, found[int(r["id"])], detected[int(r["id"])]) for r in rows]


async def get_alert(conn: aiosqlite.Connection, alert_id: int) -> Alert | None:
    row = await fetch_one(conn, "SELECT * FROM alerts WHERE id = ?", (alert_id,))
    if row is None:
        return None
    return (await _with_matches(conn, [row]))[0]


async def list_alerts(conn: aiosqlite.Connection, state: AlertState | None) -> list[Alert]:
    """Oldest due first."""
    if state is None:
        rows = await fetch_all(conn, "SELECT * FROM alerts ORDER BY due_at, id")
    else:
        _check_state(state)
        rows = await fetch_all(
            conn, "SELECT * FROM alerts WHERE state = ? ORDER BY due_at, id", (state,)
        )
    return await _with_matches(conn, rows)


def _check_state(state: str) -> None:
    if state not in ALERT_STATES:
        raise ValueError(f"unknown alert state {state!r}; one of: {', '.join(ALERT_STATES)}")


async def _check_refs(conn: aiosqlite.Connection, match: MatchIn) -> None:
    if (
        await fetch_one(conn, "SELECT 1 FROM bank_entries WHERE id = ?", (match.bank_entry_id,))
        is None
    ):
        raise NotFound(f"match refers to bank entry {match.bank_entry_id}, which does not exist")
    if await fetch_one(conn, "SELECT 1 FROM media WHERE id = ?", (match.media_id,)) is None:
        raise NotFound(f"match refers to media {match.media_id}, which does not exist")
    if match.distance < 0:
        raise ValueError(f"a match distance is >= 0, not {match.distance}")


async def attach(
    conn: aiosqlite.Connection,
    channel_id: int,
    message_id: int,
    matches: Sequence[MatchIn],
    priority: int,
    due_at: datetime,
    now: datetime,
) -> RaisedAlert:
    """The post's alert (created ``open`` if it has none) with ``matches`` attached."""
    await posts.require_post(conn, channel_id, message_id)
    for match in matches:
        await _check_refs(conn, match)
    stamp = to_db(now)
    created, alert_id = await execute(
        conn,
        "INSERT INTO alerts (channel_id, message_id, state, priority, created_at, due_at) "
        "VALUES (?, ?, 'open', ?, ?, ?) ON CONFLICT (channel_id, message_id) DO NOTHING",
        (channel_id, message_id, priority, stamp, to_db(due_at)),
    )
    if created != 1:
        row = await fetch_one(
            conn,
            "SELECT id FROM alerts WHERE channel_id = ? AND message_id = ?",
            (channel_id, message_id),
        )
        assert row is not None
        alert_id = int(row[0])
        if matches:  # a bank match outranks a detection: the alert takes its priority
            await execute(
                conn,
                "UPDATE alerts SET priority = min(priority, ?) WHERE id = ? AND kind = 'detected'",
                (priority, alert_id),
            )
    assert alert_id is not None
    added = []
    for m in matches:
        rowcount, _ = await execute(
            conn,
            "INSERT INTO matches (alert_id, bank_entry_id, media_id, hash_type, distance, "
            "matched_at, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (alert_id, bank_entry_id, media_id, hash_type) DO NOTHING",
            (alert_id, m.bank_entry_id, m.media_id, m.hash_type, m.distance, stamp,
             dumps(dict(m.detail)) if m.detail else None),
        )
        if rowcount == 1:
            added.append(m)
    alert = await get_alert(conn, alert_id)
    assert alert is not None
    return RaisedAlert(alert=alert, created=created == 1, added=tuple(added))


async def set_state(
    conn: aiosqlite.Connection,
    alert_id: int,
    to: AlertState,
    actor: str,
    note: str | None,
    now: datetime,
    expected: AlertState | None = None,
) -> Alert | None:
    """Write the new state (no rule checks: :mod:`hotline.decisions` made them).
    With ``expected``, only if the alert is still in that state (None otherwise:
    another change won the race)."""
    _check_state(to)
    stamp = to_db(now)
    guard = "" if expected is None else " AND state = ?"
    extra: tuple[str, ...] = () if expected is None else (expected,)
    if to == "claimed":
        changed, _ = await execute(
            conn,
            "UPDATE alerts SET state = 'claimed', claimed_by = ?, claimed_at = ?, "  # noqa: S608
            f"note = coalesce(?, note) WHERE id = ?{guard}",
            (actor, stamp, note, alert_id, *extra),
        )
    else:
        changed, _ = await execute(
            conn,
            "UPDATE alerts SET state = ?, decided_by = ?, decided_at = ?, "  # noqa: S608
            f"note = coalesce(?, note) WHERE id = ?{guard}",
            (to, actor, stamp, note, alert_id, *extra),
        )
    if changed != 1:
        if expected is None:
            raise NotFound(f"no alert with id {alert_id}")
        return None
    return await get_alert(conn, alert_id)
