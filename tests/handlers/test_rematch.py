"""handlers.rematch: recent media matched again when a bank grows."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from PIL import Image
from pipeline_support import (
    Rig,
    Source,
    expected_pdq,
    image_bytes,
    media,
    noise_jpeg,
    post,
    rig_at,
    transformed_jpeg,
)

from handlers.builtin.alert import handle_alert
from handlers.builtin.match import handle_match
from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.context import Context
from handlers.post import Post
from handlers.rematch import rematch_recent
from hotline.decisions import transition_alert
from storage.models import BankEntryIn

ORIGINAL_HEX, _ = expected_pdq()["aaa-orig.jpg"]


async def run(rig: Rig, p: Post) -> Context:
    ctx = rig.for_post(p)
    for handler in (handle_record, handle_media, handle_match, handle_alert):
        await handler(p, ctx)
    return ctx


async def test_posts_recorded_before_the_bank_grew_get_alerts(tmp_path: Path) -> None:
    """A flipped copy recorded in two channels before the entry existed: both posts are
    alerted by the re-match, under the grown bank only; unrelated media stays quiet."""
    flipped = Source(transformed_jpeg("aaa-orig.jpg", Image.Transpose.FLIP_LEFT_RIGHT))
    async with rig_at(tmp_path) as rig:
        await run(rig, post(1, media=media(flipped, "photo:1")))
        await run(rig, post(2, channel_id=501, media=media(flipped, "photo:1")))
        await run(rig, post(3, media=media(Source(noise_jpeg()), "photo:3")))
        assert await rig.store.list_alerts() == []
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX, category="A1")])
        result = await rematch_recent(rig.ctx, rig.clock.now - timedelta(days=7), ["ref"])
        assert (result.media, result.matched, result.alerts_raised) == (2, 1, 2)
        alerts = await rig.store.list_alerts()
        assert sorted((a.channel_id, a.message_id) for a in alerts) == [(500, 1), (501, 2)]
        assert all(a.priority == 1 and a.matches[0]["bank"] == "ref" for a in alerts)
        again = await rematch_recent(rig.ctx, rig.clock.now - timedelta(days=7), ["ref"])
        assert (again.alerts_raised, again.alerts_extended) == (0, 0)
        assert len(await rig.store.list_alerts()) == 2


async def test_window_and_decided_alerts_are_respected(tmp_path: Path) -> None:
    """Media seen before the window is not matched again; a decided alert is not reopened
    or extended; an open alert gets the new bank's match attached."""
    data = image_bytes("aaa-orig.jpg")
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("first", [BankEntryIn("pdq", ORIGINAL_HEX)])
        old = await run(rig, post(1, media=media(Source(data), "photo:1")))
        rig.clock.now += timedelta(days=10)
        window_start = rig.clock.now
        kept = await run(rig, post(2, channel_id=501, media=media(Source(data), "photo:1")))
        decided = await run(rig, post(3, channel_id=502, media=media(Source(data), "photo:1")))
        assert old.state.alert and kept.state.alert and decided.state.alert
        await transition_alert(rig.store, decided.state.alert.id, "confirmed", "olga", "yes")
        await rig.add_bank("second", [BankEntryIn("sha256", hashlib.sha256(data).hexdigest())])
        result = await rematch_recent(rig.ctx, window_start, ["second"])
        assert (result.alerts_raised, result.alerts_extended) == (0, 1)
        banks = {a.message_id: sorted(m["bank"] for m in a.matches)
                 for a in await rig.store.list_alerts()}
        assert banks == {1: ["first"], 2: ["first", "second"], 3: ["first"]}
