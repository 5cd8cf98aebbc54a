"""vPDQ in both directions on real videos made in the test with PyAV: a
compilation of two clips matches the banked clip it contains, an excerpt of a
long banked video matches it, unrelated videos match nothing; through the
pipeline, the alert's match says which direction and both percentages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pipeline_support import Rig, Source, make_video, media, post, rig_at

from handlers.builtin.alert import handle_alert
from handlers.builtin.match import handle_match
from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.context import Context
from handlers.hashing import VpdqPolicy, VpdqThresholds, encode_frames
from handlers.hashing.video import vpdq_video
from handlers.index.live import refresh
from handlers.post import Post
from storage.models import BankEntryIn

FPS = 5


def scenes(seed: int, seconds: int) -> list[Image.Image]:
    """``seconds`` of video at 5 fps: a new random scene every second, panning
    slowly within it (each clip's own content, far from every other clip's)."""
    rng = np.random.default_rng(seed)
    out: list[Image.Image] = []
    for _ in range(seconds):
        scene = Image.fromarray(rng.integers(0, 255, (25, 40, 3), dtype=np.uint8))
        big = scene.resize((680, 400), Image.Resampling.NEAREST)
        out.extend(big.crop((4 * i, 0, 4 * i + 640, 400)) for i in range(FPS))
    return out


CLIP_A = scenes(1, 4)  # banked: a short clip
CLIP_B = scenes(2, 4)  # not banked
LONG_C = scenes(3, 12)  # banked: a long video
UNRELATED = scenes(4, 8)


@pytest.fixture(scope="module")
def videos() -> dict[str, bytes]:
    """Banked at 640x400; posted re-encoded at 320x200 (as a repost would be)."""
    small = (320, 200)
    return {
        "a": make_video(CLIP_A, (640, 400)),
        "c": make_video(LONG_C, (640, 400)),
        # B, then A, then more of B: A is a third of it
        "compilation": make_video([*CLIP_B, *CLIP_A, *scenes(5, 4)], small),
        # seconds 4..7 of C: a third of it
        "excerpt": make_video(LONG_C[4 * FPS : 8 * FPS], small),
        "unrelated": make_video(UNRELATED, small),
        "b": make_video(CLIP_B, small),
    }


def frames(data: bytes) -> str:
    return encode_frames(vpdq_video(data).frames)


async def run(rig: Rig, p: Post) -> Context:
    ctx = rig.for_post(p)
    for handler in (handle_record, handle_media, handle_match, handle_alert):
        await handler(p, ctx)
    return ctx


async def banked(rig: Rig, videos: dict[str, bytes]) -> dict[str, int]:
    entries = await rig.add_bank("videos", [BankEntryIn("vpdq", frames(videos["a"]), "A1"),
                                            BankEntryIn("vpdq", frames(videos["c"]), "A2")])
    return {"a": entries[frames(videos["a"])], "c": entries[frames(videos["c"])]}


async def test_compilation_and_excerpt_match_their_sources(
    tmp_path: Path, videos: dict[str, bytes]
) -> None:
    """The compilation (B + A + more) matches banked A as "contains" (all of A's
    frames found, a third of its own); the excerpt of C matches C as "excerpt"
    (all of its frames found, a third of C's); unrelated videos and clip B alone
    match nothing. Each alert's match records the direction and both percentages."""
    async with rig_at(tmp_path) as rig:
        ids = await banked(rig, videos)
        posts = {name: await run(rig, post(n, media=media(Source(videos[name]),
                                                           f"video:{name}", "video")))
                 for n, name in enumerate(("compilation", "excerpt", "unrelated", "b"), 1)}

        (hit,) = posts["compilation"].state.hits
        assert hit.entry_id == ids["a"] and hit.vpdq is not None
        assert hit.vpdq.direction == "contains"
        assert hit.vpdq.banked_found == 100.0
        assert hit.vpdq.posted_found == pytest.approx(100 / 3, abs=0.1)

        (hit,) = posts["excerpt"].state.hits
        assert hit.entry_id == ids["c"] and hit.vpdq is not None
        assert hit.vpdq.direction == "excerpt"
        assert hit.vpdq.posted_found == 100.0
        assert hit.vpdq.banked_found == pytest.approx(100 / 3, abs=0.1)

        for name in ("unrelated", "b"):
            state = posts[name].state
            assert state.media is not None and state.media.status == "hashed"
            assert state.hits == [] and state.alert is None

        alert = posts["compilation"].state.alert
        assert alert is not None
        (match,) = (await rig.store.get_alert(alert.id) or alert).matches
        assert match["detail"] == {"direction": "contains", "banked_found": "100.0",
                                   "posted_found": "33.3"}
        alert = posts["excerpt"].state.alert
        assert alert is not None
        (match,) = alert.matches
        assert match["detail"] == {"direction": "excerpt", "banked_found": "33.3",
                                   "posted_found": "100.0"}


async def test_the_banked_video_itself_matches_both_ways(
    tmp_path: Path, videos: dict[str, bytes]
) -> None:
    """A re-encode of the whole banked clip is found both ways: "both", 100 % each."""
    async with rig_at(tmp_path) as rig:
        ids = await banked(rig, videos)
        again = make_video(CLIP_A, (320, 200))
        ctx = await run(rig, post(1, media=media(Source(again), "video:again", "video")))
        (hit,) = ctx.state.hits
        assert hit.entry_id == ids["a"] and hit.vpdq is not None
        assert (hit.vpdq.direction, hit.vpdq.banked_found, hit.vpdq.posted_found) == (
            "both", 100.0, 100.0)


async def test_a_banks_own_thresholds_decide(tmp_path: Path, videos: dict[str, bytes]) -> None:
    """With "contains" switched off for the bank, the compilation no longer
    matches; the excerpt still does. A re-sighting is matched again under the
    same thresholds from its stored frames."""
    policy = VpdqPolicy(banks={"videos": VpdqThresholds(contains_percent=0)})
    async with rig_at(tmp_path, vpdq=policy) as rig:
        ids = await banked(rig, videos)
        comp = await run(rig, post(1, media=media(Source(videos["compilation"]), "v:1", "video")))
        assert comp.state.hits == []
        exc = await run(rig, post(2, media=media(Source(videos["excerpt"]), "v:2", "video")))
        assert [h.entry_id for h in exc.state.hits] == [ids["c"]]
        again = await run(rig, post(3, channel_id=501, media=media(None, "v:1", "video")))
        assert again.state.media_reused and again.state.hits == []


async def test_a_compilation_recorded_before_the_clip_was_banked_is_alerted(
    tmp_path: Path, videos: dict[str, bytes]
) -> None:
    """Re-matching after a bank grew finds the compilation recorded earlier and
    raises its alert with the verdict."""
    async with rig_at(tmp_path) as rig:
        ctx = await run(rig, post(1, media=media(Source(videos["compilation"]), "v:1", "video")))
        assert ctx.state.hits == [] and ctx.state.alert is None
        await rig.store.create_bank("videos", 31, "local:test")
        await rig.store.import_bank_entries(
            "videos", [BankEntryIn("vpdq", frames(videos["a"]), "A1")], "local:test", "a.vpdq")
        result = await refresh(rig.index, rig.ctx)
        assert result is not None and result.alerts_raised == 1
        (alert,) = await rig.store.list_alerts()
        assert [m["detail"]["direction"] for m in alert.matches] == ["contains"]
