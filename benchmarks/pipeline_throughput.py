"""Posts per second through the whole chanwatch pipeline, tgsim -> SQLite, next to
plain Telethon ``iter_messages`` on the same tgsim channel.

    .venv/bin/python benchmarks/pipeline_throughput.py [--text 2000] [--photos 150] [--dir .]

For each scenario (text-only posts, posts with a distinct photo each) a fresh
channel on an in-process tgsim is filled, then:

* chanwatch: the monitor's reconciler walks the channel's history from cursor 0
  and runs every post through the real pipeline (links, record, media download
  into memory + SHA-256/MD5/PDQ, bank match against a 1-entry bank, alert) into
  a fresh SQLite file (WAL, synchronous=FULL), advancing the cursor; the clock
  stops when the cursor reaches the last post;
* peer: plain Telethon on the same server reads the same history with
  ``iter_messages`` (and, for photos, ``download_media(file=bytes)`` of each).

Both use the same Telethon, transport, and loopback server, so the ratio is the
cost of what chanwatch adds: conversion, hashing, matching and durable storage.
The database goes under ``--dir`` because /tmp may be tmpfs, where fsync is free.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog
import telethon
from machine import cpu_model
from PIL import Image, ImageDraw
from telethon.tl.functions.channels import JoinChannelRequest
from telethon.tl.types import InputChannel, InputPeerChannel

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

API_HASH = "0123456789abcdef0123456789abcdef"




def machine() -> str:
    try:
        import cryptg  # noqa: F401

        aes = "cryptg"
    except ImportError:
        aes = "pure-Python AES"
    return (
        f"{platform.system()} {platform.release()} | {cpu_model()} | {os.cpu_count()} cores | "
        f"Python {platform.python_version()} | Telethon {telethon.__version__} ({aes}) | "
        f"SQLite {sqlite3.sqlite_version}"
    )


def photo(seed: int) -> bytes:
    img = Image.new("RGB", (800, 600), (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    draw = ImageDraw.Draw(img)
    for i in range(16):
        x, y = (seed * 97 + i * 53) % 800, (seed * 61 + i * 89) % 600
        draw.ellipse((x, y, x + 60 + i * 9, y + 50 + i * 7),
                     fill=((i * 40 + seed) % 256, (i * 90 + seed) % 256, (seed * 13) % 256))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue()


async def fill(sim: Server, name: str, n: int, photos: bool) -> tuple[Any, int]:
    ch = await sim.create_channel(name, username=name)
    last = 0
    for i in range(n):
        if photos:
            data = await asyncio.to_thread(photo, i)
            last = await sim.post(ch, photo=data, text=f"photo {i}")
        else:
            last = await sim.post(
                ch, text=f"post {i}: see https://example.org/{i} and @someone",
                entities=[{"type": "url", "offset": 12 + len(str(i)), "length": 20}],
            )
    return ch, last


async def peer_rate(client: MonitorClient, ch: Any, n: int, photos: bool) -> float:
    peer = InputPeerChannel(ch.id, ch.access_hash)
    start = time.perf_counter()
    count = 0
    async for message in client.iter_messages(peer, reverse=True, wait_time=0):
        if photos and message.photo is not None:
            data = await client.download_media(message, file=bytes)
            assert data
        count += 1
    elapsed = time.perf_counter() - start
    assert count == n, (count, n)
    return n / elapsed


async def chanwatch_rate(
    client: MonitorClient, settings: Settings, db: Path, ch: Any, last: int, n: int
) -> float:
    store = SQLiteStore(db)
    await store.open()
    try:
        await store.create_bank("bench", 31, "bench")
        await store.import_bank_entries(
            "bench", [BankEntryIn("pdq", "f" * 64, category="csam")], "bench", "bench"
        )
        index = await load_index(store)
        pipeline = Pipeline(Registry.default(),
                            new_context(store, index, settings.pipeline_config()))
        rec = Reconciler(client, store, pipeline, account="bench",
                         fetcher_factory=MediaDownloader(client).fetcher)
        start = time.perf_counter()
        rec.set_channels({ch.id: InputPeerChannel(ch.id, ch.access_hash)})
        await rec.wait_idle(3600)
        elapsed = time.perf_counter() - start
        await rec.stop()
        assert await store.get_cursor(ch.id) == last
        assert await store.count_posts(ch.id) == n
        return n / elapsed
    finally:
        await store.close()


async def run(text_n: int, photo_n: int, workdir: Path) -> None:
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
        rows = []
        for name, n, photos in (("bench_text", text_n, False), ("bench_photos", photo_n, True)):
            if n <= 0:
                continue
            ch, last = await fill(sim, name, n, photos)
            await client(JoinChannelRequest(InputChannel(ch.id, ch.access_hash)))
            peer = await peer_rate(client, ch, n, photos)
            ours = await chanwatch_rate(client, settings, tmp / f"{name}.db", ch, last, n)
            rows.append((name.removeprefix("bench_"), n, ours, peer))
        print(f"machine: {machine()}")
        print(f"database: SQLite file under {workdir} (WAL, synchronous=FULL)")
        print(f"{'scenario':<8} {'posts':>6} {'chanwatch posts/s':>18} "
              f"{'Telethon iter_messages posts/s':>31} {'ratio':>7}")
        for kind, n, ours, peer in rows:
            peer_name = "iter+download" if kind == "photos" else "iter_messages"
            print(f"{kind:<8} {n:>6} {ours:>18.1f} {peer:>22.1f} ({peer_name}) "
                  f"{ours / peer:>6.2f}x")
    finally:
        if client is not None:
            await client.disconnect()
        await sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=int, default=2000, help="text-only posts")
    parser.add_argument("--photos", type=int, default=150, help="posts with a photo each")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where the database goes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    asyncio.run(run(args.text, args.photos, args.dir.resolve()))


if __name__ == "__main__":
    main()
