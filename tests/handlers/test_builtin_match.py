"""handlers.builtin.match: exact and PDQ lookups through the monitor's bank index."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pipeline_support import (
    BRIDGE,
    Rig,
    Source,
    expected_pdq,
    image_bytes,
    make_video,
    media,
    noise_jpeg,
    post,
    rig_at,
    transformed_jpeg,
    video_scenes,
)

from handlers.builtin.alert import handle_alert
from handlers.builtin.match import build_query, handle_match
from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.context import BankIndex, Context, Hit
from handlers.hashing import encode_frames, hamming_hex
from handlers.hashing.video import vpdq_video
from handlers.post import Post
from hotline.decisions import transition_alert
from storage.models import BankEntryIn, MediaRecord

ORIGINAL_HEX, _ = expected_pdq()["aaa-orig.jpg"]
EDITS = sorted(p.name for p in BRIDGE.glob("*.jpg") if p.name != "aaa-orig.jpg")


async def run(rig: Rig, p: Post) -> Context:
    ctx = rig.for_post(p)
    await handle_record(p, ctx)
    await handle_media(p, ctx)
    await handle_match(p, ctx)
    return ctx


@pytest.mark.parametrize("name", EDITS)
async def test_every_edit_matches_the_original(tmp_path: Path, name: str) -> None:
    """Each bridge-mods edit matches the original's bank entry within distance 31."""
    async with rig_at(tmp_path) as rig:
        ids = await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX, category="A2")])
        ctx = await run(rig, post(1, media=media(Source(image_bytes(name)), "photo:1")))
        (hit,) = ctx.state.hits
        assert hit.entry_id == ids[ORIGINAL_HEX] and hit.bank == "ref"
        assert hit.hash_type == "pdq" and hit.distance <= 31 and hit.category == "A2"


@pytest.mark.parametrize(
    "op", [Image.Transpose.ROTATE_90, Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_180]
)
async def test_rotated_and_flipped_reposts_match(tmp_path: Path, op: Image.Transpose) -> None:
    """A rotated or mirrored repost matches through the PDQ dihedral variants."""
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX)])
        data = transformed_jpeg("aaa-orig.jpg", op)
        ctx = await run(rig, post(1, media=media(Source(data), "photo:1")))
        assert ctx.state.media is not None and ctx.state.media.pdq is not None
        assert hamming_hex(ctx.state.media.pdq, ORIGINAL_HEX) > 31  # the plain hash misses
        assert [h.hash_type for h in ctx.state.hits] == ["pdq"]
        assert ctx.state.hits[0].distance <= 31


async def test_exact_hashes_match_at_distance_zero(tmp_path: Path) -> None:
    """SHA-256 and MD5 bank entries match the very bytes, each entry once."""
    data = image_bytes("high-contrast.jpg")
    sha = hashlib.sha256(data).hexdigest()
    md5 = hashlib.md5(data).hexdigest()
    async with rig_at(tmp_path) as rig:
        ids = await rig.add_bank(
            "exact", [BankEntryIn("sha256", sha, "B2"), BankEntryIn("md5", md5, "B2")]
        )
        ctx = await run(rig, post(1, media=media(Source(data), "photo:1")))
        exact = sorted((h.hash_type, h.entry_id, h.distance) for h in ctx.state.hits
                       if h.hash_type != "pdq")
        assert exact == sorted([("md5", ids[md5], 0), ("sha256", ids[sha], 0)])


async def test_unrelated_image_does_not_match(tmp_path: Path) -> None:
    """Random pixels are nowhere near the bank image."""
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX)])
        ctx = await run(rig, post(1, media=media(Source(noise_jpeg()), "photo:1")))
        assert ctx.state.media is not None and ctx.state.media.status == "hashed"
        assert ctx.state.hits == []


async def test_bank_threshold_is_per_bank(tmp_path: Path) -> None:
    """A bank with threshold 0 only matches identical PDQ hashes; 31 catches the edit."""
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("strict", [BankEntryIn("pdq", ORIGINAL_HEX)], threshold=0)
        data = image_bytes("sharpen-a-lot.jpg")
        ctx = await run(rig, post(1, media=media(Source(data), "photo:1")))
        assert ctx.state.hits == []
        await rig.add_bank("loose", [BankEntryIn("pdq", ORIGINAL_HEX)], threshold=31)
        ctx = await run(rig, post(2, media=media(Source(data), "photo:1")))
        assert [h.bank for h in ctx.state.hits] == ["loose"]


async def test_known_media_is_matched_again(tmp_path: Path) -> None:
    """A repost of known media (no new download) is still matched: it needs its own alert."""
    source = Source(image_bytes("blur-a-little.jpg"))
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX)])
        first = await run(rig, post(1, media=media(source, "photo:1")))
        second = await run(rig, post(2, channel_id=501, media=media(source, "photo:1")))
        assert source.calls == 1 and second.state.media_reused
        assert [h.entry_id for h in second.state.hits] == [h.entry_id for h in first.state.hits]


def _record(pdq: str | None, quality: int | None) -> MediaRecord:
    return MediaRecord(
        id=1, file_id="photo:1", kind="photo", size=1, mime=None, width=None, height=None,
        duration=None, sha256="aa" * 32, md5="bb" * 16, pdq=pdq, pdq_quality=quality,
        status="hashed",
    )


def test_low_quality_pdq_is_not_looked_up() -> None:
    """PDQ hashes below the minimum quality are left out; exact hashes still go."""
    low = build_query(_record(ORIGINAL_HEX, 49), None, None, 50)
    assert (low.sha256, low.md5, low.pdq, low.pdq_variants) == ("aa" * 32, "bb" * 16, None, ())
    ok = build_query(_record(ORIGINAL_HEX, 50), None, None, 50)
    assert ok.pdq == ORIGINAL_HEX and ok.pdq_quality == 50
    assert build_query(_record(None, None), None, None, 50).pdq is None


async def test_no_media_no_lookup(tmp_path: Path) -> None:
    """A text post has no hits."""
    async with rig_at(tmp_path) as rig:
        ctx = await run(rig, post(1, text="words"))
        assert ctx.state.hits == []


async def test_resighting_of_a_flipped_copy_matches_from_stored_hashes(tmp_path: Path) -> None:
    """Known media seen again (no download) is looked up with its stored dihedral hashes:
    a flipped copy first seen before the bank existed matches when reposted."""
    source = Source(transformed_jpeg("aaa-orig.jpg", Image.Transpose.FLIP_LEFT_RIGHT))
    async with rig_at(tmp_path) as rig:
        first = await run(rig, post(1, media=media(source, "photo:1")))
        assert first.state.hits == []
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX)])
        again = await run(rig, post(2, channel_id=501, media=media(source, "photo:1")))
        assert source.calls == 1 and again.state.media_reused and again.state.hashes is None
        (hit,) = again.state.hits
        assert hit.hash_type == "pdq" and hit.distance <= 31 and hit.variant != "original"


class CountingIndex:
    """The real index, counting the pipeline's calls (what the handler asks, unchanged)."""

    def __init__(self, inner: BankIndex) -> None:
        self.inner = inner
        self.calls: list[dict[str, Any]] = []

    def lookup_values(self, **kw: Any) -> list[Hit]:
        self.calls.append(kw)
        return self.inner.lookup_values(**kw)


async def test_one_lookup_with_every_hash(tmp_path: Path) -> None:
    """The handler asks the index once per medium, with the exact hashes, the PDQ and
    its 8 variants and the medium's key."""
    data = image_bytes("aaa-orig.jpg")
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX)])
        counting = CountingIndex(rig.index)
        p = post(1, media=media(Source(data), "photo:1"))
        ctx = replace(rig.for_post(p), index=counting)
        await handle_record(p, ctx)
        await handle_media(p, ctx)
        await handle_match(p, ctx)
        (call,) = counting.calls
        sha = hashlib.sha256(data).hexdigest()
        assert call["sha256"] == sha and call["md5"] and call["sha1"]
        assert len(call["pdq_variants"]) == 8 and call["media_key"] == sha
        assert [h.bank for h in ctx.state.hits] == ["ref"]


async def test_dismissed_entry_stays_quiet_for_that_media(tmp_path: Path) -> None:
    """After an operator dismisses the match, the entry no longer matches that medium
    (nor its repost), but still matches another copy."""
    data = image_bytes("aaa-orig.jpg")
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("ref", [BankEntryIn("pdq", ORIGINAL_HEX)])
        p = post(1, media=media(Source(data), "photo:1"))
        ctx = await run(rig, p)
        await handle_alert(p, ctx)
        assert ctx.state.alert is not None
        await transition_alert(rig.store, ctx.state.alert.id, "dismissed", "olga", "not it")
        assert await rig.index.reload_if_changed(rig.store)
        again = await run(rig, post(2, channel_id=501, media=media(Source(data), "photo:2")))
        assert again.state.media_reused and again.state.hits == []
        other = await run(rig, post(3, media=media(Source(image_bytes("blur-a-little.jpg")),
                                                   "photo:3")))
        assert [h.bank for h in other.state.hits] == ["ref"]


@pytest.fixture(scope="module")
def bridge_video() -> bytes:
    """The bridge photo rotating, 4 s at 640x400 (H.264)."""
    return make_video(video_scenes(None), (640, 400))


async def test_video_matches_its_vpdq_entry_after_reencoding(
    tmp_path: Path, bridge_video: bytes
) -> None:
    """A video re-encoded at another size and codec matches the bank's vPDQ entry of
    the original; an unrelated video does not; a re-sighting matches from stored frames."""
    entry = encode_frames(vpdq_video(bridge_video).frames)
    smaller = make_video(video_scenes(None), (320, 200), fmt="webm", codec="libvpx")
    async with rig_at(tmp_path) as rig:
        await rig.add_bank("videos", [BankEntryIn("vpdq", entry, category="A1")])
        ctx = await run(rig, post(1, media=media(Source(smaller), "video:1", "video")))
        (hit,) = ctx.state.hits
        assert hit.hash_type == "vpdq" and hit.bank == "videos" and hit.category == "A1"
        unrelated = make_video(video_scenes(7), (320, 200))
        other = await run(rig, post(2, media=media(Source(unrelated), "video:2", "video")))
        assert other.state.media is not None and other.state.media.status == "hashed"
        assert other.state.hits == []
        again = await run(rig, post(3, channel_id=501, media=media(None, "video:1", "video")))
        assert again.state.media_reused and [h.hash_type for h in again.state.hits] == ["vpdq"]
