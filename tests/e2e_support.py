"""Helpers for the end-to-end tests (tests/e2e): settings pointing chanwatch at
a tgsim server, logged-in session files, bank entries, test images, polling."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from db_backends import raw_for
from PIL import Image, ImageDraw
from tgsim_support import API_HASH, API_ID, login, make_client, sim_phone

from monitor.app import MonitorApp
from monitor.settings import Settings
from storage.models import BankEntryIn
from storage.sqlite import SQLiteStore
from tgsim import Server

TESTDATA = Path(__file__).resolve().parent / "data"
PDQ_DIR = TESTDATA / "pdq"

MonitorFactory = Callable[..., Awaitable[MonitorApp]]


def settings_env(sim: Server | dict[str, Any], session: Path, db: Path, key_file: Path,
                 reconcile: str = "2s") -> dict[str, str]:
    """The CHANWATCH_* environment for a monitor subprocess against ``sim``."""
    if isinstance(sim, Server):
        host, port, dc_id, pem = sim.host, sim.port, sim.dc_id, sim.public_key_pem
    else:
        host, port, dc_id, pem = sim["host"], sim["port"], sim["dc_id"], sim["public_key"]
    key_file.write_text(pem)
    return {
        "CHANWATCH_TELEGRAM__API_ID": str(API_ID),
        "CHANWATCH_TELEGRAM__API_HASH": API_HASH,
        "CHANWATCH_TELEGRAM__SESSION_FILE": str(session),
        "CHANWATCH_TELEGRAM__SERVER__DC_ID": str(dc_id),
        "CHANWATCH_TELEGRAM__SERVER__HOST": str(host),
        "CHANWATCH_TELEGRAM__SERVER__PORT": str(port),
        "CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY_FILE": str(key_file),
        "CHANWATCH_DATABASE__PATH": str(db),
        "CHANWATCH_MONITOR__RECONCILE_INTERVAL": reconcile,
        "CHANWATCH_LOG__FORMAT": "json",
        "CHANWATCH_DETECTORS__BUILTIN": "off",
    }


def make_settings(sim: Server, session: Path, db: Path, **monitor: Any) -> Settings:
    """Settings pointing chanwatch at ``sim`` with ``session`` and the SQLite file ``db``;
    ``monitor`` sets keys of the ``[monitor]`` section (reconcile_interval: 2s)."""
    return Settings(
        telegram={
            "api_id": API_ID,
            "api_hash": API_HASH,
            "session_file": session,
            "account": "e2e",
            "server": {
                "dc_id": sim.dc_id, "host": sim.host, "port": sim.port,
                "rsa_public_key": sim.public_key_pem,
            },
        },
        database={"path": db},
        monitor={"reconcile_interval": "2s",
                 **{k: v for k, v in monitor.items() if k != "detectors"}},
        # The built-in detector's workers are tested in test_e2e_detect.py only.
        detectors=monitor.get("detectors", {"builtin": "off"}),
    )


async def logged_in_session(sim: Server, path: Path, n: int = 1) -> Path:
    """A session file for test phone ``n``, logged in, mode 0600."""
    client = make_client(sim, path)
    await login(client, sim_phone(sim.dc_id, n), first_name=f"Monitor{n}")
    await client.disconnect()
    os.chmod(path, 0o600)
    return path


async def add_pdq_bank(store: SQLiteStore, name: str = "known") -> None:
    """A bank holding the reference PDQ of bridge-mods/aaa-orig.jpg, category csam."""
    rows = (PDQ_DIR / "expected.csv").read_text().splitlines()[1:]
    orig = next(r for r in rows if r.endswith("aaa-orig.jpg"))
    await store.create_bank(name, 31, "test")
    await store.import_bank_entries(
        name, [BankEntryIn("pdq", orig.split(",")[0], category="csam", source_ref="t-1")],
        "test", "test",
    )


def drawing(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG with structure that depends on ``seed`` (unrelated to any bank entry)."""
    img = Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    draw = ImageDraw.Draw(img)
    for i in range(12):
        x = (seed * 97 + i * 53) % size[0]
        y = (seed * 61 + i * 89) % size[1]
        draw.rectangle((x, y, x + 80 + i * 7, y + 60 + i * 5),
                       fill=((i * 40 + seed) % 256, (i * 90) % 256, (seed * 13) % 256))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def monitor_user(sim: Server, n: int = 1) -> int:
    """The tgsim user id of test phone ``n`` (the monitor's account is n=1)."""
    uid = sim.user_id(sim_phone(sim.dc_id, n))
    assert uid is not None, "that test phone never logged in"
    return uid


async def poll(predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0,
               interval: float = 0.05) -> None:
    """Await ``predicate()`` until true; TimeoutError naming the timeout otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def media_of(store: SQLiteStore, channel_id: int, message_id: int) -> dict[str, Any] | None:
    """The media row sighted in a post (None when the post has no sighting)."""

    raw = raw_for(store)
    rows = raw.query(
        "SELECT m.* FROM sightings s JOIN media m ON m.id = s.media_id "
        "WHERE s.channel_id = ? AND s.message_id = ?",
        (channel_id, message_id),
    )
    if not rows:
        return None
    names = [r[1] for r in raw.query("PRAGMA table_info(media)")]
    return dict(zip(names, rows[0], strict=True))


async def has_posts(store: SQLiteStore, channel_id: int, ids: list[int]) -> bool:
    """True when every message id of ``ids`` is stored for the channel."""
    for mid in ids:
        if await store.get_post(channel_id, mid) is None:
            return False
    return True


async def stored_ids(store: SQLiteStore, channel_id: int) -> list[int]:
    """Every stored message id of a channel, ascending (duplicates would show)."""

    rows = raw_for(store).query(
        "SELECT message_id FROM posts WHERE channel_id = ? ORDER BY message_id", (channel_id,)
    )
    return [int(r[0]) for r in rows]
