"""Shared by the tests of reading history by id (revisit, sweep): tgsim quirk
presets, a monitor client on a quirky tgsim, and a channel whose posts are
recorded through the real pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from e2e_support import logged_in_session, make_settings
from telethon.tl.functions.channels import JoinChannelRequest
from telethon.tl.types import InputChannel, InputPeerChannel

from handlers.index.live import load_index
from handlers.pipeline import Pipeline, Registry, new_context
from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.telegram.convert import to_post
from storage.sqlite import SQLiteStore
from tgsim import Quirks, Server

#: The server behaviours every by-id test runs against: Telegram's, and the
#: quirks of an independent server (alone and together).
QUIRKS: dict[str, Quirks] = {
    "telegram": Quirks(),
    "sorted_sparse": Quirks(get_messages="sorted_sparse"),
    "id_gaps": Quirks(message_ids="shared", id_stride=3),
    "independent": Quirks(get_messages="sorted_sparse", message_ids="shared", id_stride=2),
}


@dataclass
class Rig:
    sim: Server
    store: SQLiteStore
    client: MonitorClient
    pipeline: Pipeline


@asynccontextmanager
async def rig(tmp_path: Path, quirks: Quirks) -> AsyncIterator[Rig]:
    """A quirky tgsim, a logged-in monitor client, the store and the pipeline."""
    sim = await Server.start(tmp_path / "tgsim-state", quirks=replace(quirks))
    try:
        session = await logged_in_session(sim, tmp_path / "m.session")
        settings = make_settings(sim, session, tmp_path / "r.db")
        store = SQLiteStore(settings.database.path)
        await store.open()
        client: MonitorClient = build_client(config_from_settings(settings))
        await client.connect()
        try:
            pipeline = Pipeline(Registry.default(), new_context(
                store, await load_index(store), settings.pipeline_config()))
            yield Rig(sim, store, client, pipeline)
        finally:
            await client.disconnect()
            await store.close()
    finally:
        await sim.stop()


async def recorded_channel(r: Rig, username: str, n: int) -> tuple[Any, Any, list[int]]:
    """A channel with ``n`` posts (another channel posting in between, so a
    shared id counter leaves gaps), joined, every post recorded; returns the
    handle, the input peer and the post ids."""
    ch = await r.sim.create_channel(username.title(), username=username)
    other = await r.sim.create_channel("Noise", username=f"{username}_noise")
    ids = []
    for i in range(n):
        ids.append(await r.sim.post(ch, text=f"v1 {i}"))
        if i % 4 == 0:
            await r.sim.post(other, text="elsewhere")
    await r.client(JoinChannelRequest(InputChannel(ch.id, ch.access_hash)))
    peer = InputPeerChannel(ch.id, ch.access_hash)
    last, more = 0, True
    while more:  # Telethon 1.36 ends a reverse iteration from id 0 after one page
        more = False
        async for message in r.client.iter_messages(peer, reverse=True, min_id=last,
                                                     wait_time=0):
            if message.id > last:
                await r.pipeline.process(to_post(message, account="a"))
                last, more = message.id, True
    assert last == ids[-1]
    return ch, peer, ids
