"""Revisiting recent posts: edits and deletions that came with no update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from e2e_support import logged_in_session, make_settings
from telethon.tl.functions.channels import JoinChannelRequest
from telethon.tl.types import InputChannel, InputPeerChannel

from handlers.pipeline import Pipeline, Registry, new_context
from monitor.bankindex import load_index
from monitor.revisit import revisit
from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.telegram.convert import to_post
from storage.sqlite import SQLiteStore
from tgsim import Server


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


async def test_revisit_records_missed_edit_and_deletion(sim: Server, tmp_path: Path) -> None:
    """Posts stored earlier are fetched again by id: an edit goes through the
    pipeline (previous text kept), a deleted post is marked, an unchanged one is
    left alone."""
    session = await logged_in_session(sim, tmp_path / "m.session")
    settings = make_settings(sim, session, tmp_path / "r.db")
    store = SQLiteStore(settings.database.path)
    await store.open()
    client: MonitorClient = build_client(config_from_settings(settings))
    await client.connect()
    try:
        ch = await sim.create_channel("Rev", username="rev_chan")
        await client(JoinChannelRequest(InputChannel(ch.id, ch.access_hash)))
        peer = InputPeerChannel(ch.id, ch.access_hash)
        ids = [await sim.post(ch, text=f"v1 {i}") for i in range(3)]
        pipeline = Pipeline(Registry.default(), new_context(
            store, await load_index(store), settings.pipeline_config()))
        for message in await client.get_messages(peer, ids=ids):
            await pipeline.process(to_post(message, account="a"))

        await sim.edit(ch, ids[0], text="v2 0")
        await sim.delete(ch, [ids[1]])
        result = await revisit(client, store, pipeline, channel_id=ch.id, peer=peer,
                               account="a")
        assert (result.edited, result.deleted) == ((ids[0],), (ids[1],))
        edited = await store.get_post(ch.id, ids[0])
        assert edited is not None and edited["text"] == "v2 0"
        assert [e["previous_text"] for e in edited["edits"]] == ["v1 0"]
        gone = await store.get_post(ch.id, ids[1])
        assert gone is not None and gone["deleted_at"] is not None
        again = await revisit(client, store, pipeline, channel_id=ch.id, peer=peer,
                              account="a")
        assert (again.edited, again.deleted) == ((), ())
    finally:
        await client.disconnect()
        await store.close()
