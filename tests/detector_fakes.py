"""Detectors that tests define (named ``detector_fakes:FACTORY`` in the settings;
the worker processes import this module from ``tests/``, on their sys.path).

``marker`` flags a picture whose top-left corner is magenta (so a mirrored copy,
whose marker sits top-right, is not flagged: only its hash can catch it). The
others misbehave the ways a real detector can: raise, hang, return garbage,
crash the worker, fail to load. ``reader`` reads the file's bytes (once per
medium), as a metadata detector does.
"""

from __future__ import annotations

import io
import os
import time
from typing import Any

import numpy as np
from PIL import Image

from handlers.detect import Finding, Sample

MAGENTA = (255, 0, 255)
#: Side of the marker square, as a share of the picture's shorter side.
MARKER_SHARE = 0.2


def has_marker(pixels: np.ndarray[Any, Any]) -> bool:
    side = max(2, int(min(pixels.shape[:2]) * MARKER_SHARE))
    corner = pixels[2 : side - 2, 2 : side - 2].reshape(-1, 3).astype(float).mean(axis=0)
    return bool(np.abs(corner - np.array(MAGENTA)).max() < 40)


def marked_jpeg(seed: int, size: tuple[int, int] = (640, 480), *, marker: bool = True) -> bytes:
    """A structured picture (the same seed, the same picture), optionally with the
    magenta marker in its top-left corner."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) * 97 // (w + h)) % 256], axis=2)
    blocks = rng.integers(0, 255, size=(h // 40 + 1, w // 40 + 1, 3))
    pixels = (base // 2 + np.kron(blocks, np.ones((40, 40, 1)))[:h, :w] // 2).astype(np.uint8)
    if marker:
        side = int(min(w, h) * MARKER_SHARE)
        pixels[:side, :side] = MAGENTA
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


class Marker:
    signal = "sexual"

    def detect(self, sample: Sample) -> Finding:
        score = 0.99 if has_marker(sample.pixels) else 0.01
        return Finding(model="test/marker", version="1", scores={"flagged": score},
                       evidence={"size": f"{sample.width}x{sample.height}"})


class Raising:
    signal = "sexual"

    def detect(self, sample: Sample) -> Finding:
        raise RuntimeError("model exploded")


class Hanging:
    signal = "sexual"

    def detect(self, sample: Sample) -> Finding:
        time.sleep(3600)
        raise AssertionError("unreachable")


class Garbage:
    signal = "sexual"

    def detect(self, sample: Sample) -> Any:
        return Finding(model="test/garbage", version="1", scores={"flagged": 7.5})


class NotAFinding:
    signal = "sexual"

    def detect(self, sample: Sample) -> Any:
        return {"flagged": 0.99}


class Crashing:
    signal = "sexual"

    def detect(self, sample: Sample) -> Finding:
        os._exit(3)


class Reader:
    signal = "synthetic"
    wants_bytes = True

    def detect(self, sample: Sample) -> Finding:
        data = sample.data or b""
        return Finding(model="test/reader", version="1", scores={"has_bytes": 1.0 if data else 0.0},
                       evidence={"bytes": str(len(data)), "frame": str(sample.frame)})


def marker() -> Marker:
    return Marker()


def raising() -> Raising:
    return Raising()


def hanging() -> Hanging:
    return Hanging()


def garbage() -> Garbage:
    return Garbage()


def not_a_finding() -> NotAFinding:
    return NotAFinding()


def crashing() -> Crashing:
    return Crashing()


def reader() -> Reader:
    return Reader()


def broken() -> Marker:
    raise OSError("model file missing")


def no_signal() -> object:
    return object()
