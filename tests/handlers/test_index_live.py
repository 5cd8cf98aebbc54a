"""The monitor's live bank index: built from the store, the pipeline's lookup,
reloaded when banks change."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pipeline_support import Source, expected_pdq, image_bytes, media, post, rig_at
from structlog.testing import capture_logs

from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.hashing import VpdqFrame, VpdqPolicy, VpdqThresholds, encode_frames
from handlers.index import live as bankindex
from handlers.index.live import load_index, refresh
from hotline.decisions import transition_alert
from storage.models import BankEntryIn, HashType, MatchIn, NewMedia, PostRecord
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
    await transition_alert(store, alert.id, "dismissed", "olga", "no")
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


async def _confirmed_alert(store: SQLiteStore, message_id: int, sha256: str, pdq: str) -> None:
    """Record a post with one medium, raise an alert on it and confirm it."""
    (entry, *_) = [e async for e in store.iter_bank_entries()]
    now = datetime.now(UTC)
    await store.record_post(PostRecord(
        channel_id=100, message_id=message_id, date=now, text="", edit_date=None,
        author_signature=None, views=None, forwards=None, fwd_channel_id=None,
        fwd_message_id=None, fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None,
        entities_json="[]", links=(), mentions=(), captured_at=now, captured_by="acct"))
    medium = await store.add_media(NewMedia(
        file_id=f"photo:{message_id}", kind="photo", size=1, mime=None, width=None,
        height=None, duration=None, sha256=sha256, md5=None, pdq=pdq, pdq_quality=90,
        status="hashed"))
    alert = await store.raise_alert(100, message_id, [MatchIn(entry.id, medium.id, "pdq", 0)],
                                    1, now)
    await transition_alert(store, alert.id, "confirmed", "olga", "yes")


async def test_confirmation_grows_the_index_without_a_full_load(store: SQLiteStore) -> None:
    """Once the ``confirmed`` bank exists, a further confirmation is loaded as new
    entries only (no full load), is found by lookups and is reported as growth."""
    await store.create_bank("ref", 31, "t")
    await store.import_bank_entries("ref", [BankEntryIn("pdq", PDQ)], "t", "t")
    index = await load_index(store)
    await _confirmed_alert(store, 1, "ab" * 32, PDQ)
    assert await index.reload_if_changed(store)  # a new bank: full load
    assert (index.full_loads, index.incremental_loads) == (1, 0)
    other = f"{random.Random(7).getrandbits(256):064x}"
    assert index.lookup("pdq", other) == []
    await _confirmed_alert(store, 2, "cd" * 32, other)
    assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (1, 1)
    assert index.grown == ("confirmed",)
    assert {h.bank for h in index.lookup("pdq", flip(other, 3))} == {"confirmed"}
    assert {h.bank for h in index.lookup("sha256", "cd" * 32)} == {"confirmed"}
    assert {h.bank for h in index.lookup("pdq", PDQ)} == {"ref", "confirmed"}
    assert not await index.reload_if_changed(store)  # what is held is what is stored


async def test_disable_after_growth_is_a_full_load(store: SQLiteStore) -> None:
    """Disabling an entry (old or newly grown) is not growth: the index is
    rebuilt, the entry stops matching and the others still match."""
    await store.create_bank("ref", 31, "t")
    await store.import_bank_entries("ref", [BankEntryIn("pdq", PDQ)], "t", "t")
    index = await load_index(store)
    await store.import_bank_entries("ref", [BankEntryIn("sha256", "ab" * 32),
                                            BankEntryIn("md5", "cd" * 16)], "t", "t2")
    assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (0, 1)
    entries = {e.hash_type: e.id async for e in store.iter_bank_entries()}
    await store.disable_bank_entry(entries["sha256"], "t", "withdrawn")
    assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (1, 1)
    assert index.lookup("sha256", "ab" * 32) == []
    assert [h.entry_id for h in index.lookup("md5", "cd" * 16)] == [entries["md5"]]
    # A disable and an addition between two checks: the enabled count is the
    # same as a pure growth by one would give, yet it is a full load.
    await store.disable_bank_entry(entries["pdq"], "t", "withdrawn")
    await store.import_bank_entries("ref", [BankEntryIn("sha1", "ef" * 20)], "t", "t3")
    assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (2, 1)
    assert index.lookup("pdq", PDQ) == []
    assert [h.bank for h in index.lookup("sha1", "ef" * 20)] == ["ref"]


async def test_growth_past_the_delta_limit_is_a_full_load(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Growth that would make the delta index bigger than DELTA_LIMIT folds it
    into the main index by a full load."""
    monkeypatch.setattr(bankindex, "DELTA_LIMIT", 2)
    await store.create_bank("ref", 31, "t")
    await store.import_bank_entries("ref", [BankEntryIn("pdq", PDQ)], "t", "t")
    index = await load_index(store)
    kinds: tuple[HashType, ...] = ("sha256", "sha1")
    for i, kind in enumerate(kinds):
        value = f"{i:02x}" * (32 if kind == "sha256" else 20)
        await store.import_bank_entries("ref", [BankEntryIn(kind, value)], "t", f"t{i}")
        assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (0, 2)
    await store.import_bank_entries("ref", [BankEntryIn("md5", "11" * 16)], "t", "t9")
    assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (1, 2)
    assert len(index) == 4 and [h.bank for h in index.lookup("sha1", "01" * 20)] == ["ref"]


async def test_lookup_during_growth_sees_old_or_new(store: SQLiteStore) -> None:
    """Lookups running in another thread while entries are added incrementally
    get either the old answer or the new one, never an error or a partial hit."""
    await store.create_bank("ref", 31, "t")
    rng = random.Random(11)
    values = [f"{rng.getrandbits(256):064x}" for _ in range(2000)]
    await store.import_bank_entries("ref", [BankEntryIn("pdq", v) for v in values], "t", "t")
    index = await load_index(store)
    stop = threading.Event()
    answers: list[frozenset[tuple[str, int]]] = []

    def look() -> None:
        while not stop.is_set():
            for value in added:
                hits = index.lookup_values(sha256=value[:64], pdq=value)
                answers.append(frozenset((h.hash_type, h.distance) for h in hits))

    added = [f"{rng.getrandbits(256):064x}" for _ in range(6)]
    worker = asyncio.create_task(asyncio.to_thread(look))
    try:
        for i, value in enumerate(added):
            await store.import_bank_entries(
                "ref", [BankEntryIn("pdq", value), BankEntryIn("sha256", value)], "t", f"g{i}")
            assert await index.reload_if_changed(store)
    finally:
        stop.set()
        await worker
    assert index.incremental_loads == len(added) and index.full_loads == 0
    both = frozenset({("pdq", 0), ("sha256", 0)})
    assert answers and set(answers) <= {frozenset(), both}
    assert all(
        {(h.hash_type, h.distance) for h in index.lookup_values(sha256=v[:64], pdq=v)} == both
        for v in added)


async def test_refresh_rematches_after_incremental_growth(tmp_path: Path) -> None:
    """A bank that grows by new entries only is loaded incrementally and the
    posts recorded before are matched again against it."""
    async with rig_at(tmp_path) as rig:
        await rig.store.create_bank("late", 31, "t")
        await rig.store.import_bank_entries("late", [BankEntryIn("md5", "00" * 16)], "t", "t")
        await refresh(rig.index, rig.ctx)  # a new bank: full load
        p = post(1, media=media(Source(image_bytes("aaa-orig.jpg")), "photo:1"))
        ctx = rig.for_post(p)
        await handle_record(p, ctx)
        await handle_media(p, ctx)
        loads = (rig.index.full_loads, rig.index.incremental_loads)
        original, _ = expected_pdq()["aaa-orig.jpg"]
        await rig.store.import_bank_entries("late", [BankEntryIn("pdq", original)], "t", "t2")
        result = await refresh(rig.index, rig.ctx)
        assert (rig.index.full_loads, rig.index.incremental_loads) == (loads[0], loads[1] + 1)
        assert result is not None and result.alerts_raised == 1 and rig.index.grown == ("late",)


def _frames(rng: random.Random, n: int) -> list[VpdqFrame]:
    return [VpdqFrame(i, 100, f"{rng.getrandbits(256):064x}", float(i)) for i in range(n)]


async def test_vpdq_thresholds_per_bank_survive_growth_and_reloads(store: SQLiteStore) -> None:
    """A bank's vPDQ thresholds from the settings apply to entries loaded at
    start, grown in incrementally, and rebuilt after a disable; an override for
    a bank the store does not have is logged once at start."""
    rng = random.Random(11)
    clip, other, filler = _frames(rng, 4), _frames(rng, 4), _frames(rng, 12)
    compilation = [*clip, *filler]  # holds all of ``clip``: a quarter of its own frames
    policy = VpdqPolicy(banks={"excerpts": VpdqThresholds(contains_percent=0),
                               "typo": VpdqThresholds(excerpt_percent=10)})
    await store.create_bank("excerpts", 31, "t")
    await store.create_bank("all", 31, "t")
    await store.import_bank_entries("excerpts", [BankEntryIn("vpdq", encode_frames(clip))],
                                    "t", "t")
    with capture_logs() as logs:
        index = await load_index(store, policy)
    assert [(e["event"], e["banks"]) for e in logs if "banks" in e] == [
        ("vpdq_thresholds_for_unknown_banks", ["typo"])]

    def directions(frames: list[VpdqFrame]) -> dict[str, str | None]:
        return {h.bank: h.vpdq.direction if h.vpdq else None
                for h in index.lookup_values(vpdq=frames)}

    assert directions(compilation) == {}
    assert directions(clip[:3]) == {"excerpts": "excerpt"}
    await store.import_bank_entries("excerpts", [BankEntryIn("vpdq", encode_frames(other))],
                                    "t", "t")
    await store.import_bank_entries("all", [BankEntryIn("vpdq", encode_frames(clip))], "t", "t")
    assert await index.reload_if_changed(store)
    assert (index.full_loads, index.incremental_loads) == (0, 1)
    assert directions([*other, *filler]) == {}  # grown into "excerpts": contains is off
    assert directions(compilation) == {"all": "contains"}
    (first,) = [e async for e in store.iter_bank_entries() if e.bank == "excerpts"][:1]
    await store.disable_bank_entry(first.id, "t", "test: a full load")
    assert await index.reload_if_changed(store)
    assert index.full_loads == 1
    assert directions(compilation) == {"all": "contains"}
    assert directions(other[:3]) == {"excerpts": "excerpt"}
