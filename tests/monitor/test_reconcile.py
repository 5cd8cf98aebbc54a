"""History reconciliation against tgsim: backfill from the cursor, contiguous
cursor advance, a post that is not committed is never skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import logged_in_session, make_settings, poll, stored_ids
from tgsim_support import wait_for

from handlers.index.live import load_index
from handlers.pipeline import Pipeline, PostOutcome, Registry, new_context
from handlers.post import Post
from monitor.reconcile import Reconciler
from monitor.settings import Settings
from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.telegram.media import MediaDownloader
from storage.sqlite import SQLiteStore
from tgsim import Server


class FailingOn:
    """The real pipeline, except that the posts in ``fail`` raise (a storage fault)."""

    def __init__(self, pipeline: Pipeline, fail: set[int]) -> None:
        self.pipeline = pipeline
        self.fail = fail
        self.seen: list[int] = []

    async def process(self, post: Post) -> PostOutcome:
        self.seen.append(post.message_id)
        if post.message_id in self.fail:
            raise OSError(f"disk I/O error on message {post.message_id}")
        return await self.pipeline.process(post)


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def settings(sim: Server, tmp_path: Path) -> Settings:
    session = await logged_in_session(sim, tmp_path / "m.session")
    return make_settings(sim, session, tmp_path / "r.db")


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(settings.database.path)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[MonitorClient]:
    c = build_client(config_from_settings(settings))
    await c.connect()
    try:
        yield c
    finally:
        await c.disconnect()


@pytest.fixture
async def pipeline(settings: Settings, store: SQLiteStore) -> Pipeline:
    index = await load_index(store)
    return Pipeline(Registry.default(), new_context(store, index, settings.pipeline_config()))


async def _channel(sim: Server, client: MonitorClient, n_posts: int) -> tuple[Any, list[int]]:
    from telethon.tl.functions.channels import JoinChannelRequest
    from telethon.tl.types import InputChannel, InputPeerChannel

    ch = await sim.create_channel("History", username="history_ch")
    ids = [await sim.post(ch, text=f"post {i}") for i in range(n_posts)]
    await client(JoinChannelRequest(InputChannel(ch.id, ch.access_hash)))
    return ch, InputPeerChannel(ch.id, ch.access_hash), ids  # type: ignore[return-value]


async def test_backfill_from_zero_over_several_pages(
    sim: Server, client: MonitorClient, store: SQLiteStore, pipeline: Pipeline
) -> None:
    """A fresh channel is recorded from its first post, over several history pages,
    in order, and the cursor ends on the last post."""
    ch, peer, ids = await _channel(sim, client, 260)
    rec = Reconciler(client, store, pipeline, account="a",
                     fetcher_factory=MediaDownloader(client).fetcher)
    rec.set_channels({ch.id: peer})
    await rec.wait_idle(30)
    assert await stored_ids(store, ch.id) == ids
    assert await store.get_cursor(ch.id) == ids[-1]
    await rec.stop()


async def test_resumes_from_cursor(
    sim: Server, client: MonitorClient, store: SQLiteStore, pipeline: Pipeline
) -> None:
    """Only posts above the stored cursor are fetched and processed."""
    ch, peer, ids = await _channel(sim, client, 30)
    await store.advance_cursor(ch.id, ids[19])
    sink = FailingOn(pipeline, set())
    rec = Reconciler(client, store, sink, account="a")
    rec.set_channels({ch.id: peer})
    await rec.wait_idle(30)
    assert sink.seen == ids[20:]
    assert await stored_ids(store, ch.id) == ids[20:]
    await rec.stop()


async def test_uncommitted_post_is_never_skipped(
    sim: Server, client: MonitorClient, store: SQLiteStore, pipeline: Pipeline
) -> None:
    """When a post cannot be committed, the cursor stops right before it, even though
    later posts arrive; once the fault is gone the post is recorded and the cursor
    passes it."""
    ch, peer, ids = await _channel(sim, client, 40)
    bad = ids[12]
    sink = FailingOn(pipeline, {bad})
    rec = Reconciler(client, store, sink, account="a", retry_delay=0.1)
    rec.set_channels({ch.id: peer})
    await wait_for(lambda: sink.seen.count(bad) >= 2, timeout=30)  # failed, retried
    assert await store.get_cursor(ch.id) == ids[11]
    stored = await stored_ids(store, ch.id)
    # Posts after it in the same concurrent batch may be stored; the cursor waits.
    assert stored[:12] == ids[:12] and bad not in stored
    # A later post recorded live does not move the cursor over the gap.
    later = await sim.post(ch, text="live")
    msg = await client.get_messages(peer, ids=later)
    await rec.process_live(msg)
    tries = sink.seen.count(bad)
    await wait_for(lambda: sink.seen.count(bad) > tries, timeout=30)
    assert await store.get_cursor(ch.id) == ids[11]
    sink.fail.clear()

    async def passed() -> bool:
        return await store.get_cursor(ch.id) == later

    await poll(passed, timeout=30)
    assert await stored_ids(store, ch.id) == [*ids, later]
    assert sink.seen.count(later) == 1  # done live: reconciliation does not redo it
    await rec.stop()


class Unreadable(FailingOn):
    """The real pipeline, except that the posts in ``fail`` of one channel raise an
    error the worker does not expect (an answer it cannot read)."""

    def __init__(self, pipeline: Pipeline, fail: set[int], channel_id: int) -> None:
        super().__init__(pipeline, fail)
        self.channel_id = channel_id

    async def process(self, post: Post) -> PostOutcome:
        if post.channel_id == self.channel_id:
            self.seen.append(post.message_id)
            if post.message_id in self.fail:
                raise ValueError(f"cannot read message {post.message_id}")
        return await self.pipeline.process(post)


async def test_unexpected_failure_is_logged_once_and_backs_off(
    sim: Server, client: MonitorClient, store: SQLiteStore, pipeline: Pipeline
) -> None:
    """A channel whose history keeps failing with an error nobody expected is
    logged once (then at DEBUG), retried with a growing wait, and recovers once
    the cause is gone; the other channel is recorded meanwhile."""
    from structlog.testing import capture_logs
    from telethon.tl.functions.channels import JoinChannelRequest
    from telethon.tl.types import InputChannel, InputPeerChannel

    ch, peer, ids = await _channel(sim, client, 5)
    other = await sim.create_channel("Other", username="other_ch")
    other_ids = [await sim.post(other, text=f"o{i}") for i in range(3)]
    await client(JoinChannelRequest(InputChannel(other.id, other.access_hash)))
    sink = Unreadable(pipeline, {ids[2]}, ch.id)
    rec = Reconciler(client, store, sink, account="a", retry_delay=0.01)
    with capture_logs() as logs:
        rec.set_channels({ch.id: peer, other.id: InputPeerChannel(other.id, other.access_hash)})
        await wait_for(lambda: sink.seen.count(ids[2]) >= 4, timeout=30)

        async def other_recorded() -> bool:
            return await stored_ids(store, other.id) == other_ids

        await poll(other_recorded, timeout=30)
        sink.fail.clear()

        async def recovered() -> bool:
            return await store.get_cursor(ch.id) == ids[-1]

        await poll(recovered, timeout=30)
    crashed = [e for e in logs if e["event"] == "reconcile_crashed"]
    assert [e["log_level"] for e in crashed][:1] == ["warning"]
    assert all(e["log_level"] == "debug" for e in crashed[1:]) and len(crashed) >= 3
    waits = [e["retry_in"] for e in crashed]
    assert waits == sorted(waits) and waits[-1] > waits[0]  # backing off
    assert [e["channel_id"] for e in logs if e["event"] == "reconcile_recovered"] == [ch.id]
    await rec.stop()
