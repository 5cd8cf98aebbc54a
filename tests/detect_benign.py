"""Benign pictures for measuring a detector's false positives: the PDQ reference
photos of tests/data/pdq (a bridge and eleven edits of it), the demo's
picture, and generated pictures at Telegram photo sizes in six families
(gradients, noise, shapes, text pages, landscapes, and skin-coloured fields with
shapes, the hardest case for a nudity model). Deterministic: the same seed, the
same pictures.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
BRIDGE = ROOT / "tests" / "data" / "pdq" / "bridge-mods"
DEMO = ROOT / "monitor" / "demo_data" / "bridge-high-contrast.jpg"
SIZES = ((1280, 960), (960, 1280), (1280, 720), (1280, 1280))
FAMILIES = ("gradient", "noise", "shapes", "text", "landscape", "skin")
SKIN = ((224, 172, 140), (198, 134, 66), (141, 85, 36), (255, 219, 172), (241, 194, 125))


def _jpeg(img: Image.Image, quality: int = 87) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return r, g, b


def generated(family: str, seed: int) -> Image.Image:
    """One picture of ``family`` (see :data:`FAMILIES`)."""
    rng = np.random.default_rng(seed * 101 + FAMILIES.index(family))
    w, h = SIZES[seed % len(SIZES)]
    if family == "gradient":
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (x / w * np.cos(seed) + y / h * np.sin(seed)) % 1.0
        a, b = np.array(_colour(rng)), np.array(_colour(rng))
        return Image.fromarray((a + (b - a) * t[..., None]).astype(np.uint8))
    if family == "noise":
        noise = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
        img = Image.fromarray(noise).resize((w, h), Image.Resampling.BICUBIC)
        return img.filter(ImageFilter.GaussianBlur(seed % 4))
    img = Image.new("RGB", (w, h), _colour(rng))
    draw = ImageDraw.Draw(img)
    if family == "shapes":
        for _ in range(12):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            box = (x0, y0, x0 + int(rng.integers(40, 400)), y0 + int(rng.integers(40, 400)))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=_colour(rng))
    elif family == "text":
        img.paste((250, 250, 245), (0, 0, w, h))
        for line in range(40, h - 40, 28):
            words = " ".join("".join(chr(97 + int(c)) for c in rng.integers(0, 26, 6))
                             for _ in range(14))
            draw.text((40, line), words, fill=(20, 20, 20))
    elif family == "landscape":
        horizon = int(h * (0.4 + 0.3 * rng.random()))
        sky = np.linspace((110, 160, 230), (220, 235, 250), horizon).astype(np.uint8)
        img.paste(Image.fromarray(np.repeat(sky[:, None, :], w, axis=1)), (0, 0))
        draw.rectangle((0, horizon, w, h), fill=(60 + seed % 40, 120, 50))
        sun = int(rng.integers(40, w - 40))
        draw.ellipse((sun - 50, 40, sun + 50, 140), fill=(255, 230, 120))
    else:  # skin-coloured fields with rounded shapes
        img.paste(SKIN[seed % len(SKIN)], (0, 0, w, h))
        for _ in range(6):
            cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
            rx, ry = int(rng.integers(60, 300)), int(rng.integers(60, 300))
            tone = SKIN[int(rng.integers(0, len(SKIN)))]
            shade = tuple(max(0, c - int(rng.integers(0, 60))) for c in tone)
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=shade)
        img = img.filter(ImageFilter.GaussianBlur(6))
    return img


def benign(per_family: int = 20) -> Iterator[tuple[str, bytes]]:
    """(name, JPEG bytes) of every benign picture: real ones first."""
    if BRIDGE.is_dir():
        for path in sorted(BRIDGE.glob("*.jpg")):
            yield f"testdata/{path.name}", path.read_bytes()
    yield "demo/bridge-high-contrast.jpg", DEMO.read_bytes()
    for family in FAMILIES:
        for seed in range(per_family):
            yield f"{family}-{seed:02d}", _jpeg(generated(family, seed))
