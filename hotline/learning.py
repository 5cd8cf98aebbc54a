"""What an operator's decision teaches the banks, in the decision's own
transaction (for every backend).

* **Confirmed** alert: every hash of each matched medium (SHA-256, MD5, SHA-1,
  PDQ when its quality is at least :data:`CONFIRMED_MIN_QUALITY`, vPDQ frames)
  goes into the local bank :data:`CONFIRMED_BANK` (created on first use with the
  PDQ threshold :data:`CONFIRMED_THRESHOLD`). Provenance per entry: source
  reference ``alert:ID``, imported by the operator, added at the decision time,
  a note naming the alert and the medium; the import is audited (and so in the
  ledger) with source ``alert:ID``. The category is the first matched entry's
  that has one, so the new entries keep the alert's priority. A ``detected``
  alert (raised by a detector, not a bank) teaches the same way: the hashes of
  the media its detections scored go into the bank, without a category (the
  default priority, above every detection), so every later copy is caught by
  hash.
* **Dismissed** alert (a false positive): each matched bank entry is disabled
  for that medium only (like HMA's ``disable_until``): the entry keeps matching
  other media. Each disable is audited (``bank_entry.disable_for_media``) under
  the alert's case. A dismissed detection needs no row of its own: a detector
  whose detection of a medium sits on a dismissed alert raises nothing for that
  medium again (``DetectionsRepo.dismissed_detectors``).
"""

from __future__ import annotations

from typing import Final

from storage import bank_entries
from storage.changes import audited
from storage.codec import to_db
from storage.ledger import records
from storage.models import Alert, BankEntryIn
from storage.repos import Transaction

CONFIRMED_BANK: Final = "confirmed"
CONFIRMED_THRESHOLD: Final = 31
#: PDQ hashes below this quality are too flat to become bank entries.
CONFIRMED_MIN_QUALITY: Final = 50


async def on_decision(tx: Transaction, alert: Alert, actor: str, note: str | None) -> None:
    """Learn from ``alert`` (its state after the decision)."""
    if alert.state == "confirmed":
        await confirm(tx, alert, actor)
    elif alert.state == "dismissed":
        await dismiss(tx, alert, actor, note)


async def _entries_for(tx: Transaction, alert: Alert, actor: str) -> list[BankEntryIn]:
    category = next((str(m["category"]) for m in alert.matches if m.get("category")), None)
    source = f"alert:{alert.id}"
    out: list[BankEntryIn] = []
    media_ids = {int(m["media_id"]) for m in alert.matches}
    media_ids |= {int(d["media_id"]) for d in alert.detections}
    for media_id in sorted(media_ids):
        media = await tx.media.get(media_id)
        if media is None:
            continue
        stored = await tx.media.hashes(media_id)
        note = f"confirmed by {actor} at {to_db(tx.now)}: alert {alert.id}, media {media_id}"
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


async def confirm(tx: Transaction, alert: Alert, actor: str) -> int:
    """Put the alert's media hashes into the ``confirmed`` bank; entries new to it."""
    entries = await _entries_for(tx, alert, actor)
    if not entries:
        return 0
    if await tx.banks.get(CONFIRMED_BANK) is None:
        await bank_entries.create_bank(tx, CONFIRMED_BANK, CONFIRMED_THRESHOLD, actor)
    return await bank_entries.import_entries(
        tx, CONFIRMED_BANK, entries, actor, f"alert:{alert.id}"
    )


async def dismiss(tx: Transaction, alert: Alert, actor: str, note: str | None) -> int:
    """Disable each matched entry for the matched medium; returns the new disables."""
    reason = note or f"alert {alert.id} dismissed"
    origin = await records.alert_origin(tx, alert.id, alert.channel_id)
    added = 0
    pairs = sorted({(int(m["bank_entry_id"]), int(m["media_id"])) for m in alert.matches})
    bank_of = {int(m["bank_entry_id"]): m.get("bank") for m in alert.matches}
    for entry_id, media_id in pairs:
        if not await tx.banks.disable_for_media(
            entry_id, media_id, alert.id, actor, reason, tx.now
        ):
            continue
        added += 1
        await audited(
            tx, actor=actor, action="bank_entry.disable_for_media",
            subject=f"bank_entry:{entry_id}",
            after={"media_id": media_id, "alert_id": alert.id, "bank": bank_of[entry_id]},
            why=reason,
            ledger={"channel": alert.channel_id, "message": alert.message_id,
                    "alert": alert.id, **origin},
        )
    return added
