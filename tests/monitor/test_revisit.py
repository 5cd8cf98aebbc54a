"""Revisiting recent posts: edits and deletions that came with no update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_support import logged_in_session, make_settings
from telethon.tl.functions.channels import JoinChannelRequest
from telethon.tl.types import InputChannel, InputPeerChannel

from handlers.index.live import load_index
from handlers.pipeline import Pipeline, Registry, new_context
from monitor.revisit import record_deletions, revisit
from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.telegram.convert import to_post
from storage.ledger import canonical
from storage.models import Authority, PostRecord
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


async def test_deletions_recorded_only_under_an_authority(tmp_path: Path) -> None:
    """record_deletions marks posts deleted with the channel's authority in their
    post.deleted records; when the authority hook finds none, nothing is marked."""
    store = SQLiteStore(tmp_path / "d.db")
    await store.open()
    try:
        when = datetime(2026, 1, 1, tzinfo=UTC)
        for mid in (1, 2):
            await store.record_post(PostRecord(
                100, mid, when, "text", None, None, None, None, None, None, None, None, None,
                None, "[]", (), (), when, "acct",
            ))

        async def none(_channel: int) -> Authority | None:
            return None

        async def k1(_channel: int) -> Authority | None:
            return Authority(3, "K-1")

        assert await record_deletions(store, 100, [1], none) is None
        assert (await store.get_post(100, 1) or {})["deleted_at"] is None
        assert await record_deletions(store, 100, [1, 2], k1) == 2

        async def deleted(conn: Any) -> list[dict[str, Any]]:
            rows = await conn.execute_fetchall(
                "SELECT record FROM ledger WHERE type = 'post.deleted' ORDER BY seq")
            return [canonical.loads(bytes(r[0])) for r in rows]

        found = await store.read(deleted)
        assert [(r["message"], r["authorization"], r["case"]) for r in found] == [
            ("1", "3", "K-1"), ("2", "3", "K-1")]
    finally:
        await store.close()
