"""Per-media disables of bank entries, and decisions per bank (SQL only).

What a decision teaches is :mod:`hotline.learning`; this module stores and
reads its rows.

:func:`bank_feedback` counts the decisions per bank, so a noisy bank shows.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import from_db, to_db
from storage.models import BankFeedback, MediaDisable
from storage.sqlite.connect import execute, fetch_all


async def disable_for_media(
    conn: aiosqlite.Connection,
    entry_id: int,
    media_id: int,
    alert_id: int,
    actor: str,
    reason: str | None,
    now: datetime,
) -> bool:
    """Disable one bank entry for one medium; True when the disable is new."""
    count, _ = await execute(
        conn,
        "INSERT INTO bank_entry_media_disables (bank_entry_id, media_id, alert_id, "
        "disabled_by, disabled_at, reason) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (bank_entry_id, media_id) DO NOTHING",
        (entry_id, media_id, alert_id, actor, to_db(now), reason),
    )
    return count == 1


async def media_disables(conn: aiosqlite.Connection) -> list[MediaDisable]:
    """Every per-media disable, with the medium's SHA-256."""
    rows = await fetch_all(
        conn,
        "SELECT d.bank_entry_id, d.media_id, m.sha256, d.alert_id, d.disabled_by, "
        "d.disabled_at FROM bank_entry_media_disables d JOIN media m ON m.id = d.media_id "
        "ORDER BY d.id",
    )
    return [
        MediaDisable(int(r[0]), int(r[1]), r[2], r[3], r[4], from_db(r[5])) for r in rows
    ]


_DECIDED = (
    "SELECT count(DISTINCT a.id) FROM matches m JOIN bank_entries e ON e.id = m.bank_entry_id "
    "JOIN alerts a ON a.id = m.alert_id WHERE e.bank_id = b.id AND a.state = '{state}'"
)


async def bank_feedback(conn: aiosqlite.Connection) -> list[BankFeedback]:
    """Decisions per bank, by bank name."""
    rows = await fetch_all(
        conn,
        f"SELECT b.name, ({_DECIDED.format(state='confirmed')}), "  # noqa: S608
        f"({_DECIDED.format(state='dismissed')}), "
        "(SELECT count(*) FROM bank_entry_media_disables d JOIN bank_entries e "
        "ON e.id = d.bank_entry_id WHERE e.bank_id = b.id) FROM banks b ORDER BY b.name",
    )
    return [BankFeedback(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]
