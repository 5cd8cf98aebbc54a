"""Matches and alerts: one alert per post, and its state machine.

States: ``open -> claimed -> confirmed | dismissed`` and ``open -> confirmed |
dismissed``. Anything else raises :class:`storage.errors.IllegalTransition` (and
the schema's trigger refuses it too). Every change is audited in the same
transaction, and so recorded in the ledger: ``alert.raised`` (with the post,
its authorization and case), one ``match`` record per match attached, and
``alert.claimed`` / ``alert.confirmed`` / ``alert.dismissed`` for the decisions
(with the authorization and case the alert was raised under). A match's
detail (vPDQ: direction and percentages) goes into its ledger record and audit
row and is read back with the alert (:mod:`storage.sqlite.match_detail`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.errors import IllegalTransition, NotFound
from storage.ledger.ledger import append_record
from storage.models import Alert, AlertState, Authority, MatchIn
from storage.sqlite import audit, evidence, feedback, match_detail, posts
from storage.sqlite.codec import from_db, opt_from_db, to_db
from storage.sqlite.connect import execute, fetch_all, fetch_one

ALERT_STATES: tuple[AlertState, ...] = ("open", "claimed", "confirmed", "dismissed")
TRANSITIONS: dict[str, tuple[AlertState, ...]] = {
    "open": ("claimed", "confirmed", "dismissed"),
    "claimed": ("confirmed", "dismissed"),
    "confirmed": (),
    "dismissed": (),
}
_ACTIONS = {"claimed": "alert.claim", "confirmed": "alert.confirm", "dismissed": "alert.dismiss"}

_MATCHES = (
    "SELECT m.id, m.alert_id, m.media_id, m.hash_type, m.distance, m.matched_at, "
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
    }


def _alert(row: aiosqlite.Row, matches: Sequence[dict[str, Any]]) -> Alert:
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
    await match_detail.attach_details(conn, found)
    return [_alert(r, found[int(r["id"])]) for r in rows]


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
    match_detail.check_detail(match.detail)


async def raise_alert(
    conn: aiosqlite.Connection,
    channel_id: int,
    message_id: int,
    matches: Sequence[MatchIn],
    priority: int,
    due_at: datetime,
    actor: str,
    now: datetime,
    authority: Authority | None = None,
) -> Alert:
    """The post's alert (created ``open`` if it has none) with ``matches`` attached;
    ``authority``: the authorization the post was captured under (ledger)."""
    audit.require_actor(actor)
    if not matches:
        raise ValueError("an alert needs at least one match")
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
    assert alert_id is not None
    added = []
    for m in matches:
        rowcount, _ = await execute(
            conn,
            "INSERT INTO matches (alert_id, bank_entry_id, media_id, hash_type, distance, "
            "matched_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (alert_id, bank_entry_id, media_id, hash_type) DO NOTHING",
            (alert_id, m.bank_entry_id, m.media_id, m.hash_type, m.distance, stamp),
        )
        if rowcount == 1:
            added.append(m)
    origin = {"channel": channel_id, "message": message_id, "alert": alert_id,
              **evidence.authority_fields(authority)}
    if created == 1:
        await audit.append(
            conn,
            at=now,
            actor=actor,
            action="alert.raise",
            subject=f"alert:{alert_id}",
            after={
                "state": "open",
                "priority": priority,
                "due_at": due_at,
                "channel_id": channel_id,
                "message_id": message_id,
                "matches": added,
            },
            ledger=origin,
        )
    elif added:
        await audit.append(
            conn,
            at=now,
            actor=actor,
            action="alert.match",
            subject=f"alert:{alert_id}",
            after={"matches": added},
        )
    for m in added:
        entry = await fetch_one(
            conn,
            "SELECT b.name, e.hash_value, e.category FROM bank_entries e "
            "JOIN banks b ON b.id = e.bank_id WHERE e.id = ?",
            (m.bank_entry_id,),
        )
        assert entry is not None  # checked above
        await append_record(conn, "match", actor, {
            **origin, "bank": entry[0], "bank_entry": m.bank_entry_id,
            "bank_hash": entry[1], "category": entry[2], "media": m.media_id,
            "hash_type": m.hash_type, "distance": m.distance,
            **({"detail": dict(m.detail)} if m.detail else {}),
        }, at=now)
    alert = await get_alert(conn, alert_id)
    assert alert is not None
    return alert


def _decision(alert: Alert) -> dict[str, Any]:
    return {
        "state": alert.state,
        "claimed_by": alert.claimed_by,
        "decided_by": alert.decided_by,
        "decided_at": alert.decided_at,
        "note": alert.note,
    }


async def transition_alert(
    conn: aiosqlite.Connection,
    alert_id: int,
    to: AlertState,
    actor: str,
    note: str | None,
    now: datetime,
) -> Alert:
    audit.require_actor(actor)
    _check_state(to)
    before = await get_alert(conn, alert_id)
    if before is None:
        raise NotFound(f"no alert with id {alert_id}")
    allowed = TRANSITIONS[before.state]
    if to not in allowed:
        options = ", ".join(allowed) if allowed else "none, it is final"
        raise IllegalTransition(
            f"alert {alert_id} is {before.state}: it cannot become {to} (allowed: {options})"
        )
    stamp = to_db(now)
    if to == "claimed":
        await execute(
            conn,
            "UPDATE alerts SET state = 'claimed', claimed_by = ?, claimed_at = ?, "
            "note = coalesce(?, note) WHERE id = ?",
            (actor, stamp, note, alert_id),
        )
    else:
        await execute(
            conn,
            "UPDATE alerts SET state = ?, decided_by = ?, decided_at = ?, note = coalesce(?, note) "
            "WHERE id = ?",
            (to, actor, stamp, note, alert_id),
        )
    after = await get_alert(conn, alert_id)
    assert after is not None
    await audit.append(
        conn,
        at=now,
        actor=actor,
        action=_ACTIONS[to],
        subject=f"alert:{alert_id}",
        before=_decision(before),
        after=_decision(after),
        why=note,
        ledger={"channel": before.channel_id, "message": before.message_id, "alert": alert_id,
                "note": note, **await evidence.alert_origin(conn, alert_id, before.channel_id)},
    )
    await feedback.on_decision(conn, after, actor, note, now)  # confirmed bank, FP disables
    return after
