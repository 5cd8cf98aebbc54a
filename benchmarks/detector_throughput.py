"""The built-in detector's speed at Telegram photo sizes, and the pipeline's photo
throughput with and without it, in one run.

    .venv/bin/python benchmarks/detector_throughput.py [--images 60] [--photos 80] [--dir .]

1. **Detector, one core**: open_nsfw (``handlers.detect.open_nsfw``, onnxruntime
   with one intra-op thread) on distinct 1280 x 960 JPEGs held in memory: the RGB
   decode the media handler adds for the detectors (``decode_rgb``), the
   detector's own preprocessing and inference (``detect``), and both; then the
   same pictures through the worker pool (``DetectorStage``, one worker process),
   which adds pickling a 4.9 MB picture through a pipe.
2. **Pipeline**: a tgsim channel of distinct 1280 x 960 photos walked from cursor 0
   by the monitor's reconciler through the real pipeline (download into memory,
   SHA-256/MD5/PDQ, bank match, SQLite WAL synchronous=FULL), once without
   detectors and once with the built-in (``detectors.workers`` 1 and 2), each
   into a fresh database. The clock stops when the cursor reaches the last post.

Needs the extra ``chanwatch[detect]``. The database goes under ``--dir`` because
/tmp may be tmpfs, where fsync is free.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from PIL import Image, ImageDraw
from pipeline_throughput import API_HASH, machine, peer_rate
from telethon.tl.functions.channels import JoinChannelRequest
from telethon.tl.types import InputChannel, InputPeerChannel

from handlers.detect import DetectConfig, DetectorSpec, DetectorStage, MediaInput, Sample
from handlers.detect.frames import decode_rgb
from handlers.detect.open_nsfw import OpenNsfwDetector
from handlers.detect.registry import BUILTIN_NAME, BUILTIN_PATH
from handlers.index.live import load_index
from handlers.pipeline import Pipeline, Registry, new_context
from monitor.reconcile import Reconciler
from monitor.settings import DatabaseSettings, Settings, TelegramSettings
from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.telegram.login import login
from monitor.telegram.media import MediaDownloader
from storage.models import BankEntryIn
from storage.sqlite import SQLiteStore
from tgsim import Server

SIZE = (1280, 960)  # a Telegram photo's largest size (longer side 1280)


def photo(seed: int) -> bytes:
    """A distinct 1280 x 960 JPEG (gradient, blocks and shapes: camera-like entropy)."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y + seed * 7) % 256], axis=2) // 2
    blocks = np.kron(rng.integers(0, 128, (h // 32, w // 32, 3)), np.ones((32, 32, 1)))
    img = Image.fromarray((base + blocks).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(20):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        r, g, b = (int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse((x0, y0, x0 + int(rng.integers(30, 300)), y0 + int(rng.integers(30, 300))),
                     fill=(r, g, b))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=87)
    return out.getvalue()


def per_second(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


async def detector_rates(images: list[bytes]) -> list[tuple[str, float]]:
    """Images per second on one core: decode, detect, both; then through the pool."""
    detector = OpenNsfwDetector(threads=1)
    detector.detect(Sample(np.zeros((64, 64, 3), np.uint8), "photo"))  # warm up
    start = time.perf_counter()
    pixels = [decode_rgb(data) for data in images]
    decode_s = time.perf_counter() - start
    samples = [Sample(p, "photo") for p in pixels if p is not None]
    assert len(samples) == len(images)
    start = time.perf_counter()
    for sample in samples:
        detector.detect(sample)
    detect_s = time.perf_counter() - start
    rows = [
        ("RGB decode to 1280 px (media handler, for the detectors)", per_second(len(images),
                                                                                decode_s)),
        ("open_nsfw detect (preprocess + inference), 1 thread", per_second(len(images),
                                                                           detect_s)),
        ("decode + detect, one core", per_second(len(images), decode_s + detect_s)),
    ]
    for workers in (1, 2):
        stage = DetectorStage([DetectorSpec(BUILTIN_NAME, BUILTIN_PATH)],
                              DetectConfig(workers=workers))
        await stage.start()
        try:
            media = [MediaInput("photo", (s,)) for s in samples]
            await stage.detect(media[0])  # warm up
            start = time.perf_counter()
            await asyncio.gather(*(stage.detect(m) for m in media))
            elapsed = time.perf_counter() - start
        finally:
            await stage.close()
        rows.append((f"through the pool, {workers} worker process(es) (pickle + pipe)",
                     per_second(len(media), elapsed)))
    return rows


async def pipeline_rate(
    client: MonitorClient, settings: Settings, db: Path, ch: Any, last: int, n: int,
    workers: int,
) -> float:
    """Posts/s of the whole pipeline over the channel; ``workers`` 0: no detectors."""
    store = SQLiteStore(db)
    await store.open()
    stage = None
    try:
        await store.create_bank("bench", 31, "bench")
        await store.import_bank_entries(
            "bench", [BankEntryIn("pdq", "f" * 64, category="csam")], "bench", "bench")
        index = await load_index(store)
        if workers:
            stage = DetectorStage([DetectorSpec(BUILTIN_NAME, BUILTIN_PATH)],
                                  DetectConfig(workers=workers))
            await stage.start()
        pipeline = Pipeline(Registry.default(), new_context(
            store, index, settings.pipeline_config(), detectors=stage))
        rec = Reconciler(client, store, pipeline, account="bench",
                         fetcher_factory=MediaDownloader(client).fetcher)
        start = time.perf_counter()
        rec.set_channels({ch.id: InputPeerChannel(ch.id, ch.access_hash)})
        await rec.wait_idle(3600)
        elapsed = time.perf_counter() - start
        await rec.stop()
        assert await store.get_cursor(ch.id) == last
        assert await store.count_posts(ch.id) == n
        if workers:
            found = await store.snapshot(lambda tx: tx.detections.for_media(1))
            assert found, "the detector stored no finding"
        return n / elapsed
    finally:
        if stage is not None:
            await stage.close()
        await store.close()


async def run(image_n: int, photo_n: int, workdir: Path) -> None:
    images = await asyncio.to_thread(lambda: [photo(i) for i in range(image_n)])
    detector = await detector_rates(images)
    tmp = Path(tempfile.mkdtemp(prefix="cw-bench-", dir=workdir))
    sim = await Server.start(tmp / "tgsim")
    settings = Settings(
        telegram=TelegramSettings.model_validate({
            "api_id": 1, "api_hash": API_HASH, "session_file": tmp / "bench.session",
            "server": {"dc_id": sim.dc_id, "host": sim.host, "port": sim.port,
                       "rsa_public_key": sim.public_key_pem},
        }),
        database=DatabaseSettings(path=tmp / "bench.db"),
    )
    client: MonitorClient | None = None
    try:
        config = config_from_settings(settings)
        codes = iter([str(sim.dc_id) * 5, "Bench"])

        async def ask(prompt: str) -> str:
            return next(codes)

        await login(config, ask=ask, ask_secret=ask, phone=f"99966{sim.dc_id}0001",
                    allow_sign_up=True)
        client = build_client(config)
        await client.connect()
        ch = await sim.create_channel("bench_photos", username="bench_photos")
        last = 0
        for i in range(photo_n):
            last = await sim.post(ch, photo=await asyncio.to_thread(photo, 10_000 + i),
                                  text=f"photo {i}")
        await client(JoinChannelRequest(InputChannel(ch.id, ch.access_hash)))
        peer = await peer_rate(client, ch, photo_n, True)
        rates = []
        for workers in (0, 1, 2):
            db = tmp / f"pipeline-{workers}.db"
            rates.append((workers, await pipeline_rate(client, settings, db, ch, last,
                                                       photo_n, workers)))
        print(f"machine: {machine()}")
        print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        print(f"\n1. open_nsfw on {image_n} distinct {SIZE[0]}x{SIZE[1]} JPEGs")
        for name, rate in detector:
            print(f"   {name:<62} {rate:8.1f} images/s")
        print(f"\n2. pipeline, {photo_n} photos of {SIZE[0]}x{SIZE[1]} (tgsim -> SQLite)")
        print(f"   {'Telethon iter_messages + download (peer)':<62} {peer:8.1f} posts/s")
        base = rates[0][1]
        for workers, rate in rates:
            name = ("chanwatch without detectors" if workers == 0 else
                    f"chanwatch with open_nsfw, {workers} worker process(es)")
            print(f"   {name:<62} {rate:8.1f} posts/s  ({rate / base:.2f}x)")
    finally:
        if client is not None:
            await client.disconnect()
        await sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60, help="pictures for the detector")
    parser.add_argument("--photos", type=int, default=80, help="photo posts in the channel")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where the databases go")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.images, args.photos, args.dir.resolve()))


if __name__ == "__main__":
    main()
