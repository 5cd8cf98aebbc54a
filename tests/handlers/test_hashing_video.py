"""vPDQ hashing of videos made in the test with PyAV, and vPDQ's match rule."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from handlers.hashing.video import VideoDecodeError, vpdq_video
from handlers.hashing.vpdq import (
    VpdqFrame,
    VpdqThresholds,
    VpdqVerdict,
    decode_frames,
    encode_frames,
    match_frames,
    parse_frame_line,
)

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "pdq"


def make_video(
    frames: list[Image.Image],
    size: tuple[int, int],
    *,
    fps: int = 5,
    fmt: str = "mp4",
    codec: str = "libx264",
) -> bytes:
    """Encode the frames (each shown for one frame period) into a video in memory."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for img in frames:
            frame = av.VideoFrame.from_image(img.convert("RGB").resize(size))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def _scenes(seed: int | None) -> list[Image.Image]:
    """Four seconds at 5 fps: the bridge photo slowly rotating, or random noise."""
    if seed is None:
        base = Image.open(TESTDATA / "bridge-mods" / "aaa-orig.jpg").convert("RGB")
        base = base.resize((640, 400))
        return [base.rotate(i * 3) for i in range(20)]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(4):
        noise = Image.fromarray(rng.integers(0, 255, (25, 40, 3), dtype=np.uint8))
        out.extend([noise.resize((640, 400))] * 5)
    return out


@pytest.fixture(scope="module")
def bridge_video() -> bytes:
    """The bridge video at 640x400."""
    return make_video(_scenes(None), (640, 400))


def test_one_frame_per_second(bridge_video: bytes) -> None:
    """A 4 s video at 5 fps yields 4 hashed frames at t = 0, 1, 2, 3 s."""
    result = vpdq_video(bridge_video)
    assert [f.frame for f in result.frames] == [0, 5, 10, 15]
    assert [f.timestamp for f in result.frames] == [0.0, 1.0, 2.0, 3.0]
    assert all(f.quality >= 50 for f in result.frames)
    assert (result.width, result.height) == (640, 400)
    assert not result.truncated


def test_reencoded_smaller_matches(bridge_video: bytes) -> None:
    """The same video re-encoded at another size and codec still matches by vPDQ's rule."""
    original = vpdq_video(bridge_video).frames
    smaller = vpdq_video(make_video(_scenes(None), (320, 200), fmt="webm", codec="libvpx")).frames
    result = match_frames(smaller, original)
    assert result.is_match()
    assert result.query_percent >= 80.0


def test_unrelated_video_does_not_match(bridge_video: bytes) -> None:
    """A video of unrelated content does not match."""
    original = vpdq_video(bridge_video).frames
    other = vpdq_video(make_video(_scenes(7), (320, 200))).frames
    result = match_frames(other, original)
    assert not result.is_match()
    assert result.query_percent < 80.0


def test_max_frames_truncates(bridge_video: bytes) -> None:
    """Hashing stops at max_frames and says it did."""
    result = vpdq_video(bridge_video, max_frames=2)
    assert len(result.frames) == 2
    assert result.truncated


def test_gif_animation() -> None:
    """An animated GIF is decoded by PyAV and hashed per second."""
    frames = _scenes(3)
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=200)
    result = vpdq_video(buf.getvalue())
    assert len(result.frames) == 4


def test_garbage_and_truncated_video_raise_clear_errors(bridge_video: bytes) -> None:
    """Non-video bytes and a cut-off file raise VideoDecodeError with a reason."""
    with pytest.raises(VideoDecodeError) as info:
        vpdq_video(b"not a video at all" * 50)
    assert "cannot decode" in info.value.reason or "no video" in info.value.reason
    with pytest.raises(VideoDecodeError):
        vpdq_video(bridge_video[:200])


def test_frame_bomb_refused(bridge_video: bytes) -> None:
    """Frames larger than the pixel limit are refused as a decompression bomb."""
    with pytest.raises(VideoDecodeError) as info:
        vpdq_video(bridge_video, max_pixels=10_000)
    assert info.value.bomb


def test_frames_round_trip_and_line_errors() -> None:
    """Frame records encode/decode losslessly; malformed lines name the bad field."""
    frames = [VpdqFrame(0, 100, "ab" * 32, 0.0), VpdqFrame(30, 75, "cd" * 32, 1.0)]
    assert decode_frames(encode_frames(frames)) == frames
    assert parse_frame_line("3,90," + "AB" * 32 + ",1.5") == VpdqFrame(3, 90, "ab" * 32, 1.5)
    with pytest.raises(ValueError, match="quality"):
        parse_frame_line("3,101," + "ab" * 32 + ",1.5")
    with pytest.raises(ValueError, match="4 fields"):
        parse_frame_line("3,90," + "ab" * 32)
    with pytest.raises(ValueError, match="PDQ hex"):
        parse_frame_line("3,90,xyz,1.5")


def test_match_rule_thresholds() -> None:
    """Both percentages are measured; low-quality frames are ignored on both sides.
    A query holding the whole (one-frame) target matches as "contains" even when
    only 60 % of its own frames are found; as an excerpt it needs 80 %."""
    a, b = "00" * 32, "ff" * 32
    target = [VpdqFrame(0, 100, a, 0.0)]
    four_of_five = [VpdqFrame(i, 100, (f"{i:02x}" + "00" * 31), float(i)) for i in range(4)]
    assert match_frames([*four_of_five, VpdqFrame(9, 100, b, 9.0)], target).query_percent == 80.0
    three_of_five = [*four_of_five[:3], VpdqFrame(8, 100, "f0" * 32, 8.0), VpdqFrame(9, 100, b, 9)]
    result = match_frames(three_of_five, target)
    assert (result.query_percent, result.target_percent) == (60.0, 100.0)
    assert result.verdict() == VpdqVerdict("contains", 100.0, 60.0)
    assert not result.is_match(VpdqThresholds(contains_percent=0, excerpt_percent=80))
    low = [VpdqFrame(0, 10, b, 0.0), VpdqFrame(1, 100, a, 1.0)]
    assert match_frames(low, target).query_percent == 100.0
    assert match_frames([], target).query_percent == 0.0


def test_decoded_frames_are_bounded(bridge_video: bytes) -> None:
    """Decoding stops after max_decoded frames whatever the frame rate."""
    result = vpdq_video(bridge_video, max_decoded=6)
    assert result.truncated
    assert [f.frame for f in result.frames] == [0, 5]
