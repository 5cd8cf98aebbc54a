"""Matching end to end through tgsim (real Telethon, real SQLite): learning from a
confirmed alert, vPDQ videos (a re-encode, and a compilation containing the
banked clip), a dismissed false positive, and spread with a forward chain shown
by `chanwatch media spread`."""

from __future__ import annotations

import asyncio
import io
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from access_support import LIMITS, lawful_watch
from db_backends import raw_for
from e2e_support import (
    PDQ_DIR,
    MonitorFactory,
    add_pdq_bank,
    drawing,
    media_of,
    monitor_user,
    poll,
)
from PIL import Image
from pipeline_support import make_video, video_scenes
from tgsim_support import wait_for

from access.pacing import Pacing
from access.services import build_services
from handlers.hashing import encode_frames
from handlers.hashing.video import vpdq_video
from hotline.decisions import transition_alert
from monitor.app import MonitorApp
from monitor.cli import main
from storage.models import Alert, BankEntryIn
from storage.sqlite import SQLiteStore
from tgsim import Server

RELOAD = timedelta(seconds=0.2)


def flipped(path: Path) -> bytes:
    """The picture mirrored left to right, re-encoded (a repost edited that way)."""
    with Image.open(path) as img:
        out = io.BytesIO()
        img.transpose(Image.Transpose.FLIP_LEFT_RIGHT).convert("RGB").save(out, "JPEG",
                                                                          quality=90)
        return out.getvalue()


async def alert_for(store: SQLiteStore, channel_id: int, message_id: int) -> Alert | None:
    return next((a for a in await store.list_alerts()
                 if (a.channel_id, a.message_id) == (channel_id, message_id)), None)


async def watch_all(sim: Server, app: MonitorApp, *channels: Any) -> None:
    for ch in channels:
        await wait_for(lambda ch=ch: sim.is_member(ch, monitor_user(sim)), timeout=10)
    del app


async def test_confirmed_alert_catches_a_flipped_repost_in_another_channel(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """An operator confirms an alert; the bank entry that raised it is then disabled,
    yet a mirrored copy posted in another channel is alerted through the `confirmed`
    bank the decision filled."""
    alpha = await sim.create_channel("Alpha", username="alpha")
    beta = await sim.create_channel("Beta", username="beta")
    await add_pdq_bank(store)
    await lawful_watch(store, "@alpha")
    await lawful_watch(store, "@beta")
    app = await start_monitor(index_reload_every=RELOAD)
    await watch_all(sim, app, alpha, beta)

    picture = PDQ_DIR / "bridge-mods" / "high-contrast.jpg"
    first = await sim.post(alpha, photo=picture.read_bytes(), text="first")
    await poll(lambda: _has_alert(store, alpha.id, first), 20)
    alert = await alert_for(store, alpha.id, first)
    assert alert is not None and alert.matches[0]["bank"] == "known"
    await transition_alert(store, alert.id, "confirmed", "olga", "confirmed: known material")
    (known,) = [e async for e in store.iter_bank_entries() if e.bank == "known"]
    await store.disable_bank_entry(known.id, "admin", "test: only the confirmed bank may match")
    confirmed = await store.get_bank("confirmed")
    assert confirmed is not None and confirmed.enabled_entries >= 3

    async def reloaded() -> bool:  # the monitor picked up both changes
        assert app.pipeline is not None
        hits = app.pipeline.ctx.index.lookup_values(pdq=known.hash_value)
        return {h.bank for h in hits} == {"confirmed"}

    await poll(reloaded, 10)
    repost = await sim.post(beta, photo=flipped(picture), text="again")
    await poll(lambda: _has_alert(store, beta.id, repost), 20)
    caught = await alert_for(store, beta.id, repost)
    assert caught is not None
    assert {m["bank"] for m in caught.matches} == {"confirmed"}
    assert {m["source_ref"] for m in caught.matches} == {f"alert:{alert.id}"}
    assert caught.priority == 1  # the confirmed entries kept the category csam


async def _has_alert(store: SQLiteStore, channel_id: int, message_id: int) -> bool:
    return await alert_for(store, channel_id, message_id) is not None


@pytest.fixture(scope="module")
def videos() -> dict[str, bytes]:
    """The bank video (640x400), a re-encode at 320x200, an unrelated video, and a
    compilation at 320x200: the unrelated video, the bank video, another one."""
    return {
        "bank": make_video(video_scenes(None), (640, 400)),
        "smaller": make_video(video_scenes(None), (320, 200)),
        "other": make_video(video_scenes(7), (320, 200)),
        "compilation": make_video(
            [*video_scenes(7), *video_scenes(None), *video_scenes(8)], (320, 200)),
    }


async def test_reencoded_video_matches_its_vpdq_entry(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore, videos: dict[str, bytes]
) -> None:
    """A video re-encoded at another size matches the vPDQ bank entry of the original
    (both ways); a compilation containing it matches as "contains"; an unrelated
    video in the same channel raises nothing."""
    ch = await sim.create_channel("Clips", username="clips")
    frames = await asyncio.to_thread(lambda: vpdq_video(videos["bank"]).frames)
    await store.create_bank("video-bank", 31, "test")
    await store.import_bank_entries(
        "video-bank", [BankEntryIn("vpdq", encode_frames(frames), category="csam")], "test", "t"
    )
    await lawful_watch(store, "@clips")
    app = await start_monitor()
    await watch_all(sim, app, ch)
    other = await sim.post(ch, video=videos["other"], text="cats", width=320, height=200,
                           duration=4.0)
    match = await sim.post(ch, video=videos["smaller"], text="clip", width=320, height=200,
                           duration=4.0)
    compilation = await sim.post(ch, video=videos["compilation"], text="best of",
                                 width=320, height=200, duration=12.0)
    await poll(lambda: _has_alert(store, ch.id, match), 30)
    alert = await alert_for(store, ch.id, match)
    assert alert is not None and [m["hash_type"] for m in alert.matches] == ["vpdq"]
    assert alert.matches[0]["detail"]["direction"] == "both"
    await poll(lambda: _has_alert(store, ch.id, compilation), 30)
    caught = await alert_for(store, ch.id, compilation)
    assert caught is not None and [m["hash_type"] for m in caught.matches] == ["vpdq"]
    assert caught.matches[0]["detail"] == {
        "direction": "contains", "banked_found": "100.0", "posted_found": "33.3"}
    await poll(lambda: _hashed(store, ch.id, other), 30)
    assert await alert_for(store, ch.id, other) is None


async def _hashed(store: SQLiteStore, channel_id: int, message_id: int) -> bool:
    return bool(raw_for(store).query(
        "SELECT 1 FROM sightings s JOIN media m ON m.id = s.media_id WHERE "
        "s.channel_id = ? AND s.message_id = ? AND m.status = 'hashed'",
        (channel_id, message_id)))


async def test_dismissed_media_does_not_alert_again_on_that_entry(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """After a dismissal, the same picture forwarded to another watched channel is
    recorded and matched again, but that bank entry stays quiet for it."""
    alpha = await sim.create_channel("Alpha", username="alpha")
    beta = await sim.create_channel("Beta", username="beta")
    await add_pdq_bank(store)
    await lawful_watch(store, "@alpha")
    await lawful_watch(store, "@beta")
    app = await start_monitor(index_reload_every=RELOAD)
    await watch_all(sim, app, alpha, beta)
    picture = (PDQ_DIR / "bridge-mods" / "high-contrast.jpg").read_bytes()
    first = await sim.post(alpha, photo=picture)
    await poll(lambda: _has_alert(store, alpha.id, first), 20)
    alert = await alert_for(store, alpha.id, first)
    assert alert is not None
    await transition_alert(store, alert.id, "dismissed", "olga", "a bridge, not abuse")

    medium = await store.get_media(int(alert.matches[0]["media_id"]))
    assert medium is not None and medium.sha256 is not None
    entry_hash = str(alert.matches[0]["hash_value"])

    async def applied() -> bool:  # the monitor took the disable in
        assert app.pipeline is not None
        index = app.pipeline.ctx.index
        return (index.lookup_values(pdq=entry_hash, media_key=medium.sha256) == []
                and len(index.lookup_values(pdq=entry_hash, media_key="another")) == 1)

    await poll(applied, 10)
    fwd = await sim.post(beta, forward_from=(alpha, first))
    await poll(lambda: _hashed(store, beta.id, fwd), 20)
    control = await sim.post(beta, photo=drawing(4))
    await poll(lambda: _hashed(store, beta.id, control), 20)  # later post done: fwd is too
    assert await alert_for(store, beta.id, fwd) is None
    feedback = {f.bank: f for f in await store.bank_feedback()}
    assert feedback["known"].dismissed == 1 and feedback["known"].false_positive_rate == 1.0


async def test_media_spread_shows_a_forward_chain_across_two_channels(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore, db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A picture posted in one channel and forwarded to another: `chanwatch media
    spread ID --json` names first seen, both channels with their posts and the forward."""
    origin = await sim.create_channel("Origin", username="origin")
    relay = await sim.create_channel("Relay", username="relay")
    await lawful_watch(store, "@origin")
    await lawful_watch(store, "@relay")
    app = await start_monitor()
    await watch_all(sim, app, origin, relay)
    first = await sim.post(origin, photo=drawing(8), text="source")
    await poll(lambda: _hashed(store, origin.id, first), 20)
    fwd = await sim.post(relay, forward_from=(origin, first))
    await poll(lambda: _hashed(store, relay.id, fwd), 20)
    row = await media_of(store, relay.id, fwd)
    assert row is not None
    media_id = int(row["id"])

    for key in [k for k in os.environ if k.upper().startswith("CHANWATCH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(db_path))
    sam = await build_services(store, LIMITS, Pacing()).users.issue_token("sam", "e2e")
    monkeypatch.setenv("CHANWATCH_TOKEN", sam.token)  # reading case data needs a login
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(
        main, ["media", "spread", str(media_id), "--json"], stdout=out, stderr=err)
    assert (code, err.getvalue()) == (0, "")
    obj = json.loads(out.getvalue())
    assert obj["first_seen"]["channel_id"] == origin.id
    assert obj["first_seen"]["message_id"] == first
    assert [(s["channel_id"], s["message_id"]) for s in obj["sightings"]] == [
        (origin.id, first), (relay.id, fwd)]
    assert obj["forwards"] == [{
        "from_channel_id": origin.id, "from_message_id": first,
        "from_date": obj["sightings"][0]["post_date"], "to_channel_id": relay.id,
        "to_message_id": fwd, "source_recorded": True}]


async def test_confirmation_alerts_a_copy_recorded_before_it(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """A mirrored copy recorded while nothing matched it is alerted once an operator
    confirms the original: the grown `confirmed` bank re-matches recent media."""
    alpha = await sim.create_channel("Alpha", username="alpha")
    beta = await sim.create_channel("Beta", username="beta")
    await add_pdq_bank(store)
    await lawful_watch(store, "@alpha")
    await lawful_watch(store, "@beta")
    app = await start_monitor(index_reload_every=RELOAD)
    await watch_all(sim, app, alpha, beta)
    picture = PDQ_DIR / "bridge-mods" / "high-contrast.jpg"
    first = await sim.post(alpha, photo=picture.read_bytes())
    await poll(lambda: _has_alert(store, alpha.id, first), 20)
    alert = await alert_for(store, alpha.id, first)
    assert alert is not None
    (known,) = [e async for e in store.iter_bank_entries() if e.bank == "known"]
    await store.disable_bank_entry(known.id, "admin", "test: withdrawn by its source")

    async def withdrawn() -> bool:
        assert app.pipeline is not None
        return app.pipeline.ctx.index.lookup_values(pdq=known.hash_value) == []

    await poll(withdrawn, 10)
    copy = await sim.post(beta, photo=flipped(picture))
    await poll(lambda: _hashed(store, beta.id, copy), 20)
    assert await alert_for(store, beta.id, copy) is None
    await transition_alert(store, alert.id, "confirmed", "olga", "confirmed")
    await poll(lambda: _has_alert(store, beta.id, copy), 20)
    late = await alert_for(store, beta.id, copy)
    assert late is not None and {m["bank"] for m in late.matches} == {"confirmed"}
    decided = await alert_for(store, alpha.id, first)  # a decided alert is left as it was
    assert decided is not None and decided.state == "confirmed"
    assert [m["bank"] for m in decided.matches] == ["known"]
