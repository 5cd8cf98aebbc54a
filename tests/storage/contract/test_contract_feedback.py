"""Learning from decisions: a confirmed alert fills the `confirmed` bank with the
media's hashes (provenance: the alert, who, when); a dismissed one disables the
matched entries for that medium; decisions are counted per bank."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiosqlite
from clocks import TestClock
from sqlite_support import make_post

from hotline.decisions import transition_alert
from storage.api import Store
from storage.codec import to_db
from storage.models import BankEntryIn, MatchIn, NewMedia

VARIANTS = [f"{i:02x}" * 32 for i in range(1, 9)]


def _media(file_id: str, sha: str, quality: int = 90) -> NewMedia:
    return NewMedia(
        file_id=file_id, kind="photo", size=10, mime="image/jpeg", width=1, height=1,
        duration=None, sha256=sha, md5=sha[:32], pdq=VARIANTS[0], pdq_quality=quality,
        status="hashed", extra={"sha1": sha[:40], "pdq_dihedral": VARIANTS,
                                "vpdq": "0,100," + "aa" * 32 + ",0.0"},
    )


async def _alert_on(
    store: Store, message_id: int, media_file: str, sha: str, quality: int = 90
) -> tuple[int, int, int]:
    """A post with a medium matching bank `known`; (alert id, media id, entry id)."""
    if await store.get_bank("known") is None:
        await store.create_bank("known", 31, "admin")
        await store.import_bank_entries(
            "known", [BankEntryIn("md5", "77" * 16, category="csam")], "admin", "f.csv"
        )
    (entry,) = [e async for e in store.iter_bank_entries() if e.bank == "known"]
    await store.record_post(make_post(100, message_id))
    media = await store.add_media(_media(media_file, sha, quality))
    await store.add_sighting(media.id, 100, message_id)
    alert = await store.raise_alert(
        100, message_id, [MatchIn(entry.id, media.id, "md5", 0)], 1,
        store.clock() + timedelta(hours=24),
    )
    return alert.id, media.id, entry.id


async def test_confirmed_alert_fills_the_confirmed_bank(
    store: Store, clock: TestClock
) -> None:
    """Every hash of the confirmed medium becomes a `confirmed` entry naming the alert."""
    alert_id, _media_id, _ = await _alert_on(store, 1, "photo:1", "ab" * 32)
    await transition_alert(store, alert_id, "confirmed", "olga", "it is")
    info = await store.get_bank("confirmed")
    assert info is not None and info.threshold == 31 and info.enabled_entries == 5

    async def rows(conn: aiosqlite.Connection) -> list[Any]:
        cur = await conn.execute(
            "SELECT hash_type, hash_value, category, source_ref, imported_by, note, added_at "
            "FROM bank_entries e JOIN banks b ON b.id = e.bank_id WHERE b.name = 'confirmed' "
            "ORDER BY hash_type"
        )
        return list(await cur.fetchall())

    got = await store.read(rows)
    assert [r[0] for r in got] == ["md5", "pdq", "sha1", "sha256", "vpdq"]
    assert {r[2] for r in got} == {"csam"}
    assert {r[3] for r in got} == {f"alert:{alert_id}"}
    assert {r[4] for r in got} == {"olga"}
    assert all(f"alert {alert_id}" in r[5] and "olga" in r[5] for r in got)
    assert dict((r[0], r[1]) for r in got)["pdq"] == VARIANTS[0]
    imports = await store.list_audit(subject="bank:confirmed")
    assert any(a.action == "bank.import" and f"alert:{alert_id}" in (a.after_json or "")
               for a in imports)
    decided = await store.get_alert(alert_id)
    assert decided is not None and decided.decided_at is not None
    assert to_db(decided.decided_at) == min(r[6] for r in got)


async def test_low_quality_pdq_is_not_learned(store: Store) -> None:
    """A flat picture's PDQ does not become an entry; its exact hashes do."""
    alert_id, _, _ = await _alert_on(store, 1, "photo:1", "ab" * 32, quality=20)
    await transition_alert(store, alert_id, "confirmed", "olga", "yes")
    types = [e.hash_type async for e in store.iter_bank_entries() if e.bank == "confirmed"]
    assert "pdq" not in types and "sha256" in types


async def test_dismissal_disables_the_entry_for_that_media_only(store: Store) -> None:
    """A dismissed alert's entry is disabled for its medium, audited, and the entry
    stays enabled for everything else."""
    alert_id, media_id, entry_id = await _alert_on(store, 1, "photo:1", "ab" * 32)
    await transition_alert(store, alert_id, "dismissed", "olga", "a cat")
    disables = await store.media_disables()
    assert [(d.bank_entry_id, d.media_id, d.sha256, d.alert_id, d.disabled_by)
            for d in disables] == [(entry_id, media_id, "ab" * 32, alert_id, "olga")]
    assert [e.enabled async for e in store.iter_bank_entries(enabled_only=False)] == [True]
    audit = await store.list_audit(subject=f"bank_entry:{entry_id}")
    assert [a.action for a in audit] == ["bank_entry.disable_for_media"]
    assert audit[0].why == "a cat"
    assert await store.get_bank("confirmed") is None


async def test_decisions_are_counted_per_bank(store: Store) -> None:
    """Confirmed and dismissed alerts and per-media disables per bank, with the rate."""
    first, _, _ = await _alert_on(store, 1, "photo:1", "a1" * 32)
    second, _, _ = await _alert_on(store, 2, "photo:2", "a2" * 32)
    third, _, _ = await _alert_on(store, 3, "photo:3", "a3" * 32)
    await transition_alert(store, first, "dismissed", "olga", "no")
    await transition_alert(store, second, "dismissed", "olga", "no")
    await transition_alert(store, third, "confirmed", "olga", "yes")
    feedback = {f.bank: f for f in await store.bank_feedback()}
    known = feedback["known"]
    assert (known.confirmed, known.dismissed, known.disabled_for_media) == (1, 2, 2)
    assert known.false_positive_rate == 2 / 3
    assert feedback["confirmed"].false_positive_rate is None
