"""Learning from operators' decisions, in the decision's own transaction.

* **Confirmed** alert: every hash of each matched medium (SHA-256, MD5, SHA-1,
  PDQ when its quality is at least :data:`CONFIRMED_MIN_QUALITY`, vPDQ frames)
  goes into the local bank :data:`CONFIRMED_BANK` (created on first use with the
  PDQ threshold :data:`CONFIRMED_THRESHOLD`). Provenance per entry: source
  reference ``alert:ID``, imported by the operator, added at the decision time,
  a note naming the alert and the medium; the import is audited (and so in the
  ledger) with source ``alert:ID``. The category is the first matched entry's
  that has one, so the new entries keep the alert's priority.
* **Dismissed** alert (a false positive): each matched bank entry is disabled
  for that medium only (table ``bank_entry_media_disables``, like HMA's
  ``disable_until``): the entry keeps matching other media. Each disable is
  audited (``bank_entry.disable_for_media``) under the alert's case.

:func:`bank_feedback` counts the decisions per bank, so a noisy bank shows.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.models import Alert, BankEntryIn, BankFeedback, MediaDisable
from storage.sqlite import audit, banks, evidence, media_hashes
from storage.sqlite.codec import from_db, to_db
from storage.sqlite.connect import execute, fetch_all

CONFIRMED_BANK = "confirmed"
CONFIRMED_THRESHOLD = 31
#: PDQ hashes below this quality are too flat to become bank entries.
CONFIRMED_MIN_QUALITY = 50


async def on_decision(
    conn: aiosqlite.Connection, alert: Alert, actor: str, note: str | None, now: datetime
) -> None:
    """Learn from ``alert`` (its state after the decision)."""
    if alert.state == "confirmed":
        await confirm(conn, alert, actor, now)
    elif alert.state == "dismissed":
        await dismiss(conn, alert, actor, note, now)


async def _entries_for(
    conn: aiosqlite.Connection, alert: Alert, actor: str, now: datetime
) -> list[BankEntryIn]:
    category = next((str(m["category"]) for m in alert.matches if m.get("category")), None)
    source = f"alert:{alert.id}"
    out: list[BankEntryIn] = []
    for media_id in sorted({int(m["media_id"]) for m in alert.matches}):
        media = await media_hashes.get_media(conn, media_id)
        if media is None:
            continue
        stored = await media_hashes.get(conn, media_id)
        note = f"confirmed by {actor} at {to_db(now)}: alert {alert.id}, media {media_id}"
        values: list[tuple[str, str | None]] = [
            ("sha256", media.sha256), ("md5", media.md5), ("sha1", stored.sha1),
        ]
        if media.pdq and (media.pdq_quality or 0) >= CONFIRMED_MIN_QUALITY:
            values.append(("pdq", media.pdq))
        values.append(("vpdq", stored.vpdq))
        out.extend(
            BankEntryIn(t, v, category=category, source_ref=source, note=note)  # type: ignore[arg-type]
            for t, v in values
            if v
        )
    return out


async def confirm(conn: aiosqlite.Connection, alert: Alert, actor: str, now: datetime) -> int:
    """Put the alert's media hashes into the ``confirmed`` bank; entries new to it."""
    entries = await _entries_for(conn, alert, actor, now)
    if not entries:
        return 0
    if await banks.get_bank(conn, CONFIRMED_BANK) is None:
        await banks.create_bank(conn, CONFIRMED_BANK, CONFIRMED_THRESHOLD, actor, now)
    return await banks.import_entries(
        conn, CONFIRMED_BANK, entries, actor, f"alert:{alert.id}", False, now
    )


async def dismiss(
    conn: aiosqlite.Connection, alert: Alert, actor: str, note: str | None, now: datetime
) -> int:
    """Disable each matched entry for the matched medium; returns the new disables."""
    reason = note or f"alert {alert.id} dismissed"
    origin = await evidence.alert_origin(conn, alert.id, alert.channel_id)
    added = 0
    pairs = sorted({(int(m["bank_entry_id"]), int(m["media_id"])) for m in alert.matches})
    bank_of = {int(m["bank_entry_id"]): m.get("bank") for m in alert.matches}
    for entry_id, media_id in pairs:
        count, _ = await execute(
            conn,
            "INSERT INTO bank_entry_media_disables (bank_entry_id, media_id, alert_id, "
            "disabled_by, disabled_at, reason) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (bank_entry_id, media_id) DO NOTHING",
            (entry_id, media_id, alert.id, actor, to_db(now), reason),
        )
        if count != 1:
            continue
        added += 1
        await audit.append(
            conn,
            at=now,
            actor=actor,
            action="bank_entry.disable_for_media",
            subject=f"bank_entry:{entry_id}",
            after={"media_id": media_id, "alert_id": alert.id, "bank": bank_of[entry_id]},
            why=reason,
            ledger={"channel": alert.channel_id, "message": alert.message_id,
                    "alert": alert.id, **origin},
        )
    return added


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
