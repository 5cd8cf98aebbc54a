"""vPDQ-compatible hashing of videos and animations held in memory (PyAV).

As Meta's vPDQ does: decode every frame, hash every ``int(fps *
seconds_per_hash)``-th one (fps: the stream's average frame rate; when a stream
has none, the first frame at or after each step of ``seconds_per_hash``), and
record ``frame number, quality, PDQ hex, timestamp`` (the frame's presentation
time). Each hashed frame's full-size luma plane (FFmpeg's conversion to
``gray``) is hashed by the numpy PDQ of :mod:`handlers.hashing.pdq_numpy`, the
same as images. ``benchmarks/matching_vpdq.py`` compares the result with the
``vpdq`` package: same frame numbers, each frame within distance 2.

Limits keep hostile files bounded: frames larger than ``max_pixels`` are
refused as decompression bombs, and hashing stops after ``max_frames`` hashed
frames or ``max_decoded`` (default ``max_frames * MAX_FPS``) decoded ones (the hash then covers the
video's beginning; the result says so).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import structlog

from handlers.hashing.pdq import DEFAULT_MAX_PIXELS, bomb_reason, pdq_from_array
from handlers.hashing.vpdq import VpdqFrame
from storage.errors import InvalidInput

log = structlog.get_logger(__name__)

DEFAULT_MAX_FRAMES = 7200  # two hours at one hash per second
#: At most this many decoded frames per hashed frame allowed (``max_frames``
#: times this bounds the decoding work of a file claiming thousands of fps).
MAX_FPS = 240


class VideoDecodeError(InvalidInput):
    """The bytes are not a video we can decode; ``reason`` says why."""

    def __init__(self, reason: str, *, bomb: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.bomb = bomb


@dataclass(frozen=True, slots=True)
class VideoHashes:
    """The hashed frames and what was learned about the stream."""

    frames: list[VpdqFrame]
    width: int
    height: int
    duration: float | None
    truncated: bool  # stopped at max_frames


def vpdq_video(
    data: bytes,
    *,
    seconds_per_hash: float = 1.0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_decoded: int | None = None,
    on_frame: Callable[[VpdqFrame, Any], None] | None = None,
) -> VideoHashes:
    """vPDQ frames of a video or animation (MP4, WebM, GIF...) in memory.

    ``on_frame`` (optional) is called with each hashed frame's record and its
    decoded PyAV frame, so the detectors see the same keyframes without a
    second decode (:mod:`handlers.detect.frames`).

    Raises :class:`VideoDecodeError` when the container or its video stream
    cannot be decoded or a frame is a decompression bomb.
    """
    if seconds_per_hash <= 0:
        raise ValueError("seconds_per_hash must be positive")
    frames: list[VpdqFrame] = []
    truncated = False
    decode_limit = max_frames * MAX_FPS if max_decoded is None else max_decoded
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise VideoDecodeError("no video stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > max_pixels:
                raise VideoDecodeError(
                    bomb_reason(f"frames of {width}x{height} = {width * height}", max_pixels),
                    bomb=True,
                )
            duration = (
                float(stream.duration * stream.time_base)
                if stream.duration is not None and stream.time_base is not None
                else None
            )
            # vPDQ's rule: every int(fps * seconds_per_hash)-th frame, by the
            # stream's average frame rate; by time when the rate is unknown.
            rate = stream.average_rate or stream.guessed_rate
            frame_mod = max(1, int(float(rate) * seconds_per_hash)) if rate else 0
            next_time = 0.0
            for number, frame in enumerate(container.decode(stream)):
                if frame.width * frame.height > max_pixels:
                    raise VideoDecodeError(
                        f"decompression bomb: frame {number} is {frame.width}x{frame.height}",
                        bomb=True,
                    )
                if number >= decode_limit:  # absurd frame rates: stop decoding
                    truncated = True
                    break
                t = float(frame.time) if frame.time is not None else number / 25.0
                if frame_mod and number % frame_mod:
                    continue
                if not frame_mod and t + 1e-6 < next_time:
                    continue
                if len(frames) >= max_frames:
                    truncated = True
                    break
                gray = frame.reformat(format="gray")  # the full-resolution luma plane
                plane = np.asarray(gray.to_ndarray(), dtype=np.uint8)
                hex_, quality = pdq_from_array(plane)
                frames.append(VpdqFrame(number, quality, hex_, round(t, 3)))
                if on_frame is not None:
                    on_frame(frames[-1], frame)
                # The next step strictly after this frame's time (a long still
                # frame covers several steps but is hashed once, as in vPDQ).
                next_time = (int(t / seconds_per_hash + 1e-9) + 1) * seconds_per_hash
    except av.FFmpegError as exc:
        raise VideoDecodeError(f"cannot decode video: {exc}") from exc
    except (ValueError, OSError, EOFError) as exc:
        raise VideoDecodeError(f"cannot decode video: {exc}") from exc
    if not frames:
        raise VideoDecodeError("no decodable video frame")
    if truncated:
        log.info("vpdq_truncated", frames=len(frames), max_frames=max_frames)
    return VideoHashes(frames, width, height, duration, truncated)
