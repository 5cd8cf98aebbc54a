"""handlers.builtin.alert: one alert per post, priority from categories, due time."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from pipeline_support import Rig, Source, expected_pdq, image_bytes, media, post, rig_at

from handlers.builtin.alert import handle_alert
from handlers.builtin.match import handle_match
from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.context import Context
from handlers.post import Post
from storage.models import BankEntryIn

ORIGINAL_HEX, _ = expected_pdq()["aaa-orig.jpg"]
DATA = image_bytes("shrink-a-little.jpg")
SHA = hashlib.sha256(DATA).hexdigest()


async def run(rig: Rig, p: Post) -> Context:
    ctx = rig.for_post(p)
    for handler in (handle_record, handle_media, handle_match, handle_alert):
        await handler(p, ctx)
    return ctx


async def test_one_alert_with_every_match_and_the_most_urgent_priority(tmp_path: Path) -> None:
    """Two banks match one photo: one alert, both matches, priority of the A1 entry."""
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("exact", [BankEntryIn("sha256", SHA, category="B2")])
        await rig.add_bank("perceptual", [BankEntryIn("pdq", ORIGINAL_HEX, category="A1")])
        ctx = await run(rig, post(1, media=media(Source(DATA), "photo:1")))
        alert = ctx.state.alert
        assert alert is not None and alert.priority == 1
        assert sorted(m["bank"] for m in alert.matches) == ["exact", "perceptual"]
        assert ctx.state.media is not None
        assert {m["media_id"] for m in alert.matches} == {ctx.state.media.id}
        assert len(await rig.store.list_alerts()) == 1


async def test_due_time_and_default_priority(tmp_path: Path) -> None:
    """An entry without a known category gets the default priority; due = now + alert_due."""
    async with rig_at(tmp_path, alert_due=timedelta(hours=6)) as rig:
        await rig.add_bank("misc", [BankEntryIn("sha256", SHA, category="unlisted")])
        rig.clock.now += timedelta(minutes=13)
        ctx = await run(rig, post(1, media=media(Source(DATA), "photo:1")))
        alert = ctx.state.alert
        assert alert is not None
        assert alert.priority == rig.config.default_priority == 4
        assert alert.due_at == rig.clock.now + timedelta(hours=6)
        assert alert.created_at == rig.clock.now


async def test_replay_and_repost(tmp_path: Path) -> None:
    """The same post again keeps its alert; the same media in another post gets its own."""
    source = Source(DATA)
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("exact", [BankEntryIn("sha256", SHA, category="A2")])
        first = await run(rig, post(1, media=media(source, "photo:1")))
        replay = await run(rig, post(1, media=media(source, "photo:1")))
        repost = await run(rig, post(9, channel_id=777, media=media(source, "photo:1")))
        assert first.state.alert is not None and replay.state.alert is not None
        assert replay.state.alert.id == first.state.alert.id
        assert repost.state.alert is not None and repost.state.alert.id != first.state.alert.id
        assert (repost.state.alert.channel_id, repost.state.alert.message_id) == (777, 9)
        assert len(await rig.store.list_alerts()) == 2


async def test_no_match_no_alert(tmp_path: Path) -> None:
    """Without hits nothing is raised."""
    async with rig_at(tmp_path) as rig:
        ctx = await run(rig, post(1, media=media(Source(DATA), "photo:1")))
        assert ctx.state.alert is None and await rig.store.list_alerts() == []
