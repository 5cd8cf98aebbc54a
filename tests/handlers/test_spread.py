"""handlers.spread: every sighting of a medium and its copies, with forward chains."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from pipeline_support import (
    T0,
    Rig,
    Source,
    image_bytes,
    media,
    noise_jpeg,
    post,
    rig_at,
    transformed_jpeg,
)

from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.post import ForwardOrigin, Post
from handlers.spread import UnknownMedia, forwards_of, media_spread, near_pdq
from storage.models import ChannelRecord, Sighting


async def run(rig: Rig, p: Post) -> int:
    ctx = rig.for_post(p)
    await handle_record(p, ctx)
    await handle_media(p, ctx)
    assert ctx.state.media is not None
    return ctx.state.media.id


def fwd(channel_id: int, message_id: int) -> ForwardOrigin:
    return ForwardOrigin(date=T0, channel_id=channel_id, message_id=message_id)


async def test_spread_links_copies_across_channels_with_forwards(tmp_path: Path) -> None:
    """The original, its forward, a flipped re-upload elsewhere and a recompressed copy
    are one spread, first seen at the original; an unrelated picture is not in it."""
    original = Source(image_bytes("aaa-orig.jpg"))
    async with rig_at(tmp_path) as rig:
        for cid, name in ((500, "source"), (501, "relay"), (502, "other")):
            await rig.store.upsert_channel(ChannelRecord(cid, 1, name.title(), name, "broadcast"))
        first = await run(rig, post(1, media=media(original, "photo:1")))
        forwarded = await run(rig, post(2, channel_id=501, forward=fwd(500, 1),
                                        media=media(original, "photo:1")))
        flipped = await run(rig, post(3, channel_id=502, media=media(
            Source(transformed_jpeg("aaa-orig.jpg", Image.Transpose.FLIP_TOP_BOTTOM)),
            "photo:3")))
        blurred = await run(rig, post(4, channel_id=502, media=media(
            Source(image_bytes("blur-a-little.jpg")), "photo:4")))
        unrelated = await run(rig, post(5, media=media(Source(noise_jpeg()), "photo:5")))
        assert forwarded == first

        spread = await media_spread(rig.store, flipped)
        related = {r.media_id: r.relation for r in spread.related}
        assert related == {flipped: "self", first: "pdq", blurred: "pdq"}
        assert unrelated not in related
        assert [(s.channel_id, s.message_id) for s in spread.sightings] == [
            (500, 1), (501, 2), (502, 3), (502, 4)]
        assert spread.first_seen is not None and spread.first_seen.channel_username == "source"
        assert spread.channels == (500, 501, 502)
        (edge,) = spread.forwards
        assert (edge.from_channel_id, edge.from_message_id) == (500, 1)
        assert (edge.to_channel_id, edge.to_message_id) == (501, 2) and edge.source_recorded


async def test_exact_copies_under_another_file_id(tmp_path: Path) -> None:
    """The same bytes as a document (another file id) are the same medium: both posts
    are its sightings, even with near copies switched off (threshold 0)."""
    data = image_bytes("aaa-orig.jpg")
    async with rig_at(tmp_path) as rig:
        a = await run(rig, post(1, media=media(Source(data), "photo:1")))
        b = await run(rig, post(2, media=media(Source(data), "document:9", "document")))
        assert a == b
        spread = await media_spread(rig.store, a, pdq_threshold=0)
        assert [(s.message_id, s.media_id) for s in spread.sightings] == [(1, a), (2, a)]


async def test_unknown_media_is_a_clear_error(tmp_path: Path) -> None:
    """Asking for a medium that does not exist raises UnknownMedia naming it."""
    async with rig_at(tmp_path) as rig:
        with pytest.raises(UnknownMedia, match="no media with id 42"):
            await media_spread(rig.store, 42)


def test_near_pdq_uses_every_variant_and_quality() -> None:
    """A candidate near any variant is found at its best distance; low quality is left out."""
    a, b = "00" * 32, "ff" * 32
    near_b = "fe" + "ff" * 31
    found = near_pdq([a, b], [(1, near_b, 90), (2, a, 10), (3, "0f" * 32, 90)], 31, 50)
    assert found == {1: 1}
    assert near_pdq([], [(1, a, 90)], 31, 50) == {}


def test_forward_from_an_unwatched_channel() -> None:
    """A forward whose source post is not recorded is still an edge, marked so."""
    s = Sighting(media_id=1, channel_id=7, message_id=3, seen_at=T0,
                 post_date=T0 + timedelta(minutes=1), channel_title=None,
                 channel_username=None, fwd_channel_id=99, fwd_message_id=5, fwd_date=T0,
                 alert_id=None, alert_state=None)
    (edge,) = forwards_of([s])
    assert (edge.from_channel_id, edge.to_channel_id, edge.source_recorded) == (99, 7, False)
