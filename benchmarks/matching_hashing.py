"""PDQ hashing of Telegram-size photos (1280 px JPEG): photos per second on one
core, and how far our fast path (the JPEG's luma plane, PDQ in numpy) lands
from the full-resolution reference hash; next to threatexchange's
``pdq_from_bytes`` (full RGB decode, ``pdqhash``), which is that reference.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/matching_hashing.py [--photos 60] [--rounds 3]

Photos: crops, rotations and colour shifts of the bridge picture in
tests/data/pdq, plus generated gradients and shapes, resized to 1280 px
on the long side and saved as JPEG quality 87 (what Telegram sends), all in
memory. ``hash_media`` also computes SHA-256, MD5 and SHA-1 of every photo.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from matching_common import machine, quiet_logs, ratio, table
from PIL import Image, ImageDraw, ImageEnhance

from handlers.hashing import hamming_hex, hash_media, pdq_image

TESTDATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "pdq"


def _jpeg(img: Image.Image) -> bytes:
    img = img.convert("RGB")
    scale = 1280 / max(img.size)
    img = img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
    )
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=87)
    return buf.getvalue()


def make_photos(count: int) -> list[bytes]:
    rng = np.random.default_rng(3)
    base = Image.open(TESTDATA / "bridge-mods" / "aaa-orig.jpg").convert("RGB")
    photos = []
    for i in range(count):
        if i % 2 == 0:
            w, h = base.size
            x, y = int(rng.integers(0, w // 4)), int(rng.integers(0, h // 4))
            img = base.crop((x, y, x + w // 2 + int(rng.integers(0, w // 4)), y + h // 2 + 100))
            img = img.rotate(float(rng.uniform(-20, 20)), expand=True)
            img = ImageEnhance.Color(img).enhance(float(rng.uniform(0.3, 1.7)))
        else:
            img = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
            draw = ImageDraw.Draw(img)
            for _ in range(12):
                x0, y0 = int(rng.integers(0, 1400)), int(rng.integers(0, 1000))
                box = (x0, y0, x0 + int(rng.integers(50, 400)), y0 + int(rng.integers(50, 400)))
                fill = tuple(int(v) for v in rng.integers(0, 255, 3))
                draw.ellipse(box, fill=fill) if rng.random() < 0.5 else draw.rectangle(
                    box, fill=fill
                )
        photos.append(_jpeg(img))
    return photos


def rate(fn: object, photos: list[bytes], rounds: int) -> tuple[float, float]:
    """Best photos per wall-clock second and per CPU second over ``rounds``."""
    best, best_cpu = 0.0, 0.0
    for _ in range(rounds):
        t, cpu = time.perf_counter(), time.process_time()
        for p in photos:
            fn(p)  # type: ignore[operator]
        best = max(best, len(photos) / (time.perf_counter() - t))
        best_cpu = max(best_cpu, len(photos) / (time.process_time() - cpu))
    return best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    quiet_logs()
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

    print(machine())
    photos = make_photos(args.photos)
    sizes = [Image.open(io.BytesIO(p)).size for p in photos]
    print(
        f"{len(photos)} JPEG photos, {sizes[0][0]}x{sizes[0][1]} and similar, quality 87, "
        f"mean {np.mean([len(p) for p in photos]) / 1e3:.0f} kB; "
        f"one thread, best of {args.rounds}\n"
    )

    fast = rate(lambda p: hash_media(p, "photo"), photos, args.rounds)
    pdq_only = rate(pdq_image, photos, args.rounds)
    full = rate(lambda p: pdq_image(p, fast=False), photos, args.rounds)
    peer = rate(pdq_from_bytes, photos, args.rounds)

    dist_full, dist_peer, qualities = [], [], []
    for p in photos:
        ours = pdq_image(p)
        dist_full.append(hamming_hex(ours.hex, pdq_image(p, fast=False).hex))
        dist_peer.append(hamming_hex(ours.hex, pdq_from_bytes(p)[0]))
        qualities.append(ours.quality)
    good = [i for i, q in enumerate(qualities) if q >= 80]

    rows = [["", "photos/s (wall)", "per CPU-second", "vs peer (CPU)"]]
    for name, (wall, cpu) in (
        ("chanwatch hash_media (PDQ + SHA-256/MD5/SHA-1)", fast),
        ("chanwatch pdq_image (JPEG luma plane)", pdq_only),
        ("chanwatch pdq_image(fast=False) (RGB->L)", full),
        ("threatexchange pdq_from_bytes", peer),
    ):
        rows.append([name, f"{wall:.0f}", f"{cpu:.0f}", ratio(cpu, peer[1], True)])
    print(table(rows))
    print(f"\nquality >= 80: {len(good)} of {len(photos)} photos")
    print(
        f"distance vs RGB->L decode:                    max {max(dist_full[i] for i in good)}, "
        f"mean {np.mean([dist_full[i] for i in good]):.1f}"
    )
    print(
        f"distance vs peer (full-resolution reference): max {max(dist_peer[i] for i in good)}, "
        f"mean {np.mean([dist_peer[i] for i in good]):.1f} (must be <= 10)"
    )


if __name__ == "__main__":
    main()
