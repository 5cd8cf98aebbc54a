"""The watch lifecycle against tgsim: resolve once, join (also by invite link),
clear errors for unknown names and refused joins, FloodWait, leave."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from e2e_support import logged_in_session, make_settings, monitor_user

from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.watches import WatchManager
from storage.sqlite import SQLiteStore
from tgsim import Server


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "w.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def client(sim: Server, tmp_path: Path) -> AsyncIterator[MonitorClient]:
    session = await logged_in_session(sim, tmp_path / "m.session")
    c = build_client(config_from_settings(make_settings(sim, session, tmp_path / "w.db")))
    await c.connect()
    try:
        yield c
    finally:
        await c.disconnect()


@pytest.fixture
def manager(client: MonitorClient, store: SQLiteStore) -> WatchManager:
    return WatchManager(client, store, account="acct")


async def test_join_by_username_stores_id_and_hash(
    sim: Server, store: SQLiteStore, manager: WatchManager
) -> None:
    """@name is resolved and joined; the channel's id and access hash are stored."""
    ch = await sim.create_channel("Public", username="public_news")
    w = await store.add_watch("@public_news", "t", state="approved")
    assert await manager.sync() == {ch.id}
    rec = await store.get_channel(ch.id)
    assert rec is not None and (rec.access_hash, rec.username) == (ch.access_hash, "public_news")
    got = await store.get_watch(w.id)
    assert got is not None and (got.state, got.channel_id, got.account) == ("active", ch.id, "acct")
    assert sim.is_member(ch, monitor_user(sim))


@pytest.mark.parametrize("form", ["t.me/+{h}", "https://t.me/joinchat/{h}"])
async def test_join_by_invite_link(
    sim: Server, store: SQLiteStore, manager: WatchManager, form: str
) -> None:
    """A private channel is joined through both invite link forms."""
    ch = await sim.create_channel("Private", private=True)
    await store.add_watch(form.format(h=ch.invite_hash), "t", state="approved")
    assert await manager.sync() == {ch.id}
    assert sim.is_member(ch, monitor_user(sim))
    rec = await store.get_channel(ch.id)
    assert rec is not None and rec.access_hash == ch.access_hash and rec.username is None


async def test_unknown_name_fails_with_clear_reason(
    store: SQLiteStore, manager: WatchManager
) -> None:
    """A username nobody has makes the watch fail, saying so; nothing is joined."""
    w = await store.add_watch("@nobody_here", "t", state="approved")
    assert await manager.sync() == set()
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "failed"
    assert got.reason == "no channel named @nobody_here on Telegram"


async def test_malformed_target_fails_with_clear_reason(
    store: SQLiteStore, manager: WatchManager
) -> None:
    """A watch whose target is not a channel name fails with the parser's message."""
    w = await store.add_watch("example.org/x", "t", state="approved")
    await manager.sync()
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "failed"
    assert got.reason is not None and "is not a channel" in got.reason


async def test_expired_invite_fails(
    sim: Server, store: SQLiteStore, manager: WatchManager
) -> None:
    """An expired invite link makes the watch fail with a clear reason."""
    ch = await sim.create_channel("Private", private=True)
    sim.faults.add(request="CheckChatInviteRequest", error="INVITE_HASH_EXPIRED", times=1)
    w = await store.add_watch(f"t.me/+{ch.invite_hash}", "t", state="approved")
    await manager.sync()
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "failed"
    assert got.reason is not None and "expired or invalid" in got.reason


async def test_banned_account_fails(sim: Server, store: SQLiteStore, manager: WatchManager) -> None:
    """CHANNEL_PRIVATE on join (banned) fails the watch, naming why."""
    ch = await sim.create_channel("Hostile", username="hostile_ch")
    await sim.ban(ch, monitor_user(sim))
    w = await store.add_watch("@hostile_ch", "t", state="approved")
    await manager.sync()
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "failed"
    assert got.reason is not None and "private or we are banned" in got.reason


async def test_flood_wait_on_join_waits_then_joins(
    sim: Server, store: SQLiteStore, manager: WatchManager
) -> None:
    """FloodWait on join puts the watch in `waiting` until the wait ends; the next
    sync after that joins it."""
    ch = await sim.create_channel("Busy", username="busy_chan")
    sim.faults.add(request="JoinChannelRequest", error="FLOOD_WAIT_1", times=1)
    w = await store.add_watch("@busy_chan", "t", state="approved")
    assert await manager.sync() == set()
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "waiting" and got.wait_until is not None
    assert await manager.sync() == set()  # still inside the wait: not retried
    await store.update_watch(w.id, actor="t", wait_until=got.wait_until.replace(year=2000))
    assert await manager.sync() == {ch.id}
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "active"


async def test_revoked_watch_is_left(
    sim: Server, store: SQLiteStore, manager: WatchManager
) -> None:
    """Revoking leaves the channel on Telegram and marks the watch `left`."""
    ch = await sim.create_channel("Public", username="to_leave")
    w = await store.add_watch("@to_leave", "t", state="approved")
    await manager.sync()
    await store.update_watch(w.id, actor="t", state="revoked")
    assert await manager.sync() == set()
    assert not sim.is_member(ch, monitor_user(sim))
    got = await store.get_watch(w.id)
    assert got is not None and got.state == "left"


async def test_gate_keeps_unauthorized_watches_out(
    sim: Server, store: SQLiteStore, client: MonitorClient
) -> None:
    """A watch the gate refuses is neither joined nor recorded."""
    await sim.create_channel("Public", username="gated_ch")
    await store.add_watch("@gated_ch", "t", state="approved")

    async def refuse(watch: object) -> bool:
        return False

    manager = WatchManager(client, store, account="acct", gate=refuse)
    assert await manager.sync() == set()
    assert sim.events == []
