"""The monitor's live bank index: built from the store, the pipeline's lookup,
reloaded when banks change."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pipeline_support import Source, expected_pdq, image_bytes, media, post, rig_at

from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from monitor.bankindex import load_index, refresh
from storage.models import BankEntryIn, MatchIn, NewMedia, PostRecord
from storage.sqlite import SQLiteStore

PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"


def flip(hex_value: str, bits: int) -> str:
    """``hex_value`` with its lowest ``bits`` bits inverted (Hamming distance ``bits``)."""
    return f"{int(hex_value, 16) ^ ((1 << bits) - 1):064x}"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "b.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def test_lookup_uses_each_banks_threshold(store: SQLiteStore) -> None:
    """PDQ hits within a bank's own threshold, exact hashes by value, with bank and
    category on each hit."""
    await store.create_bank("strict", 8, "t")
    await store.create_bank("loose", 40, "t")
    await store.import_bank_entries("strict", [BankEntryIn("pdq", PDQ, category="csam")], "t", "t")
    await store.import_bank_entries(
        "loose", [BankEntryIn("pdq", PDQ), BankEntryIn("sha256", "ab" * 32)], "t", "t"
    )
    index = await load_index(store)
    near = {(h.bank, h.distance, h.category) for h in index.lookup("pdq", flip(PDQ, 5))}
    assert near == {("strict", 5, "csam"), ("loose", 5, None)}
    farther = {h.bank for h in index.lookup("pdq", flip(PDQ, 20))}
    assert farther == {"loose"}
    assert [h.hash_type for h in index.lookup("sha256", "ab" * 32)] == ["sha256"]
    assert index.lookup("md5", "00" * 16) == []


async def test_reload_when_banks_change(store: SQLiteStore) -> None:
    """An import while the monitor runs is picked up by the next reload check; an
    unchanged store is not reloaded."""
    index = await load_index(store)
    assert index.lookup("pdq", PDQ) == []
    assert not await index.reload_if_changed(store)
    await store.create_bank("new", 31, "t")
    await store.import_bank_entries("new", [BankEntryIn("pdq", PDQ)], "t", "t")
    assert await index.reload_if_changed(store)
    assert [h.bank for h in index.lookup("pdq", PDQ)] == ["new"]


async def test_streamed_load_keeps_each_entrys_category(store: SQLiteStore) -> None:
    """A bank loaded from column chunks keeps per-entry categories and every entry."""
    await store.create_bank("big", 31, "t")
    rng = random.Random(5)
    values = [PDQ] + [f"{rng.getrandbits(256):064x}" for _ in range(2999)]
    entries = [BankEntryIn("pdq", v, category="csam" if i % 2 else "ncii")
               for i, v in enumerate(values)]
    await store.import_bank_entries("big", entries, "t", "t")
    index = await load_index(store)
    assert len(index) == 3000
    assert [h.category for h in index.lookup("pdq", PDQ)] == ["ncii"]
    assert [h.category for h in index.lookup("pdq", flip(values[1], 4))] == ["csam"]


async def test_dismissal_applies_in_place_and_growth_is_reported(store: SQLiteStore) -> None:
    """A per-media disable is applied without a rebuild (no bank grew); an import
    names the bank that grew."""
    await store.create_bank("ref", 31, "t")
    await store.import_bank_entries("ref", [BankEntryIn("pdq", PDQ)], "t", "t")
    index = await load_index(store)
    (entry,) = [e async for e in store.iter_bank_entries()]
    now = datetime.now(UTC)
    await store.record_post(PostRecord(
        channel_id=100, message_id=1, date=now, text="", edit_date=None, author_signature=None,
        views=None, forwards=None, fwd_channel_id=None, fwd_message_id=None,
        fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None, entities_json="[]",
        links=(), mentions=(), captured_at=now, captured_by="acct"))
    media = await store.add_media(NewMedia(
        file_id="photo:1", kind="photo", size=1, mime=None, width=None, height=None,
        duration=None, sha256="ab" * 32, md5=None, pdq=PDQ, pdq_quality=90, status="hashed"))
    alert = await store.raise_alert(100, 1, [MatchIn(entry.id, media.id, "pdq", 0)], 1, now)
    await store.transition_alert(alert.id, "dismissed", "olga", "no")
    assert await index.reload_if_changed(store) and index.grown == ()
    assert index.lookup_values(pdq=PDQ, media_key="ab" * 32) == []
    assert [h.entry_id for h in index.lookup_values(pdq=PDQ, media_key="cd" * 32)] == [entry.id]
    assert not await index.reload_if_changed(store)
    await store.import_bank_entries("ref", [BankEntryIn("md5", "00" * 16)], "t", "t2")
    assert await index.reload_if_changed(store) and index.grown == ("ref",)
    assert index.lookup_values(pdq=PDQ, media_key="ab" * 32) == []  # survives the rebuild


async def test_refresh_rematches_recorded_posts(tmp_path: Path) -> None:
    """When a bank grows, refresh reloads and alerts posts recorded before."""
    async with rig_at(tmp_path) as rig:
        p = post(1, media=media(Source(image_bytes("aaa-orig.jpg")), "photo:1"))
        ctx = rig.for_post(p)
        await handle_record(p, ctx)
        await handle_media(p, ctx)
        assert await refresh(rig.index, rig.ctx) is None  # nothing changed
        await rig.store.create_bank("late", 31, "t")
        original, _ = expected_pdq()["aaa-orig.jpg"]
        await rig.store.import_bank_entries("late", [BankEntryIn("pdq", original)], "t", "t")
        result = await refresh(rig.index, rig.ctx)
        assert result is not None and result.alerts_raised == 1
        assert [(a.channel_id, a.message_id) for a in await rig.store.list_alerts()] == [
            (500, 1)]
