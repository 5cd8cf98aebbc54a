"""Fixtures for the tgsim tests: a running server and signed-in Telethon clients."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from telethon import TelegramClient
from tgsim_support import ClientFactory, login, make_client, sim_phone

from tgsim import Server


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    """A tgsim server on a free loopback port with a fresh state directory."""
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def new_client(sim: Server, tmp_path: Path) -> AsyncIterator[ClientFactory]:
    """Factory: ``await new_client(n)`` -> a signed-in client for test phone n."""
    clients: list[TelegramClient] = []

    async def factory(n: int = 1, **kwargs: Any) -> TelegramClient:
        client = make_client(sim, tmp_path / f"user{n}.session", **kwargs)
        clients.append(client)
        await login(client, sim_phone(sim.dc_id, n), first_name=f"User{n}")
        return client

    try:
        yield factory
    finally:
        for client in clients:
            await client.disconnect()


@pytest.fixture
def jpeg() -> bytes:
    """A 1000x700 JPEG with some structure (so re-encodes differ from it)."""
    img = Image.new("RGB", (1000, 700))
    for x in range(0, 1000, 50):
        for y in range(0, 700, 50):
            img.paste(((x * 7) % 256, (y * 3) % 256, (x + y) % 256), (x, y, x + 50, y + 50))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=95)
    return out.getvalue()
