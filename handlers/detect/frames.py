"""The pictures a medium gives its detectors (:class:`MediaInput`), made while
it is hashed, in the hashing thread, from bytes already in memory.

* **Images** (photos; documents and stickers that are images): decoded to RGB
  with Pillow, JPEGs in draft mode at the smallest DCT scale still at least
  ``max_side`` (so a 4000 px document is not decoded at full size), then
  reduced to at most ``max_side`` pixels on the longer side, aspect kept.
  Larger than ``max_pixels``: a decompression bomb, no sample.
* **Videos and animations**: the frames vPDQ already decodes and hashes (one
  per second), handed over by :func:`handlers.hashing.hash_media`'s
  ``on_video_frame`` hook, so a video is decoded once for both. At most
  ``max_frames`` keyframes are kept, evenly spread over the video
  (:class:`MediaSampler` keeps every k-th hashed frame and doubles k whenever
  it holds too many), each converted to RGB at most ``max_side`` on a side.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import structlog
from PIL import Image, UnidentifiedImageError

from handlers.detect.protocol import Sample
from handlers.hashing import MediaHashes, VpdqFrame, hash_media
from handlers.hashing.pdq import DEFAULT_MAX_PIXELS
from handlers.hashing.video import DEFAULT_MAX_FRAMES as DEFAULT_VIDEO_FRAMES

log = structlog.get_logger(__name__)

DEFAULT_MAX_SIDE = 1280
DEFAULT_MAX_FRAMES = 8


@dataclass(frozen=True, slots=True)
class MediaInput:
    """Everything the detectors get of one medium: its pictures (one for an
    image, keyframes for a video) and, for detectors that read the file, its
    bytes."""

    kind: str
    samples: tuple[Sample, ...]
    data: bytes | None = None
    mime: str | None = None


def fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) reduced to at most ``max_side`` on the longer side."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode_rgb(
    data: bytes, *, max_side: int = DEFAULT_MAX_SIDE, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
    """An image's first frame as RGB ``uint8`` (height, width, 3), at most
    ``max_side`` on a side; None when it cannot be decoded (logged)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > max_pixels:
                log.info("detect_image_too_large", width=img.width, height=img.height)
                return None
            if img.format == "JPEG":
                img.draft("RGB", (max_side, max_side))
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.info("detect_image_undecodable", error=str(exc))
        return None
    size = fit(rgb.width, rgb.height, max_side)
    if size != rgb.size:
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(rgb, dtype=np.uint8)


class MediaSampler:
    """Collects one medium's samples while it is hashed (not thread-safe: one
    per medium, used by the one hashing thread)."""

    def __init__(
        self,
        kind: str,
        mime: str | None = None,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        max_frames: int = DEFAULT_MAX_FRAMES,
        keep_bytes: bool = False,
    ) -> None:
        if max_frames < 1:
            raise ValueError("max_frames must be at least 1")
        self.kind = kind
        self.mime = mime
        self.max_side = max_side
        self.max_frames = max_frames
        self.keep_bytes = keep_bytes
        self._seen = 0
        self._stride = 1
        self._kept: list[tuple[int, Sample]] = []
        self._failed = False
        self.result: MediaInput | None = None

    def on_video_frame(self, hashed: VpdqFrame, frame: Any) -> None:
        """vPDQ's hook: called with each hashed frame (a PyAV ``VideoFrame``).
        Never raises: a frame that cannot be converted ends the sampling (logged),
        never the hashing."""
        if self._failed:
            return
        try:
            self._keep(hashed, frame)
        except Exception as exc:  # noqa: BLE001 (hashing goes on whatever happens here)
            self._failed = True
            self._kept = []
            log.warning("detect_keyframe_failed", frame=hashed.frame, error=str(exc))

    def _keep(self, hashed: VpdqFrame, frame: Any) -> None:
        index = self._seen
        self._seen += 1
        if index % self._stride:
            return
        width, height = fit(int(frame.width), int(frame.height), self.max_side)
        pixels = frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
        sample = Sample(
            pixels=np.ascontiguousarray(pixels, dtype=np.uint8), kind=self.kind,
            frame=hashed.frame, time=hashed.timestamp, mime=self.mime,
        )
        self._kept.append((index, sample))
        while len(self._kept) > self.max_frames:
            self._stride *= 2
            self._kept = [(i, s) for i, s in self._kept if i % self._stride == 0]

    def finish(self, data: bytes, hashes: MediaHashes) -> MediaInput | None:
        """The medium's input once hashing is done (None: nothing to score)."""
        samples: tuple[Sample, ...] = ()
        if hashes.status == "hashed" and hashes.media_type == "image":
            try:
                pixels = decode_rgb(data, max_side=self.max_side)
            except Exception as exc:  # noqa: BLE001 (the medium stays hashed, just not scored)
                log.warning("detect_image_failed", error=str(exc))
                pixels = None
            if pixels is not None:
                samples = (Sample(pixels=pixels, kind=self.kind, mime=self.mime),)
        elif hashes.status == "hashed" and hashes.media_type == "video":
            samples = tuple(s for _, s in self._kept)
        self._kept = []
        if not samples:
            return None
        self.result = MediaInput(
            kind=self.kind, samples=samples, data=data if self.keep_bytes else None,
            mime=self.mime,
        )
        return self.result


def sample_bytes(
    data: bytes, kind: str, mime: str | None = None, *,
    max_side: int = DEFAULT_MAX_SIDE, max_frames: int = DEFAULT_MAX_FRAMES,
    keep_bytes: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS,
    max_video_frames: int | None = None,
) -> tuple[MediaHashes, MediaInput | None]:
    """Hash ``data`` as the media handler does and collect its samples (for
    ``chanwatch hash --detect`` and benchmarks: the pipeline's own code)."""
    sampler = MediaSampler(kind, mime, max_side=max_side, max_frames=max_frames,
                           keep_bytes=keep_bytes)
    hashes = hash_media(
        data, kind, on_video_frame=sampler.on_video_frame, max_pixels=max_pixels,
        max_frames=DEFAULT_VIDEO_FRAMES if max_video_frames is None else max_video_frames,
    )
    return hashes, sampler.finish(data, hashes)
