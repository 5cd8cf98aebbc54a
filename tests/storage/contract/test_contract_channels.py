"""Channels, watches (audited) and cursors (never backwards)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from backends import DatabaseRefused, RawDB
from sqlite_support import T0

from storage.api import Store
from storage.errors import NotFound, StoreError
from storage.models import ChannelRecord


async def test_upsert_channel_keeps_access_hash(store: Store, channel: ChannelRecord) -> None:
    """A refresh without an access hash keeps the known one; other fields update."""
    await store.upsert_channel(channel)
    await store.upsert_channel(
        ChannelRecord(id=100, access_hash=None, title="Renamed", username=None, type="megagroup")
    )
    assert await store.get_channel(100) == ChannelRecord(100, 555, "Renamed", None, "megagroup")
    assert await store.get_channel(1) is None


async def test_channel_first_and_last_seen(
    store: Store, channel: ChannelRecord, raw: RawDB
) -> None:
    """first_seen is set once; last_seen moves with every upsert."""
    await store.upsert_channel(channel)
    await store.upsert_channel(channel)
    ((first, last),) = raw.query("SELECT first_seen, last_seen FROM channels")
    assert first < last


async def test_watch_lifecycle_is_audited(store: Store) -> None:
    """Adding and changing a watch writes audit rows with who, why, before and after."""
    watch = await store.add_watch("@demo", actor="alice", reason="case 7", state="approved")
    assert (watch.state, watch.target, watch.channel_id) == ("approved", "@demo", None)
    joined = await store.update_watch(
        watch.id, actor="svc:monitor", state="active", channel_id=100, account="acct-1"
    )
    assert (joined.state, joined.channel_id, joined.account) == ("active", 100, "acct-1")
    assert await store.get_watch(watch.id) == joined
    rows = await store.list_audit(subject=f"watch:{watch.id}")
    assert [(r.action, r.actor) for r in rows] == [
        ("watch.update", "svc:monitor"),
        ("watch.add", "alice"),
    ]
    assert rows[1].why == "case 7"
    before, after = json.loads(rows[0].before_json or ""), json.loads(rows[0].after_json or "")
    assert (before["state"], after["state"]) == ("approved", "active")
    assert (before["channel_id"], after["channel_id"]) == (None, 100)


async def test_unchanged_update_writes_no_audit(store: Store) -> None:
    """An update that changes nothing leaves no audit noise."""
    watch = await store.add_watch("@demo", actor="alice", state="approved")
    await store.update_watch(watch.id, actor="alice", state="approved")
    assert len(await store.list_audit(subject=f"watch:{watch.id}")) == 1


async def test_watch_is_never_rebound(store: Store) -> None:
    """Once resolved, a watch keeps its channel: binding another one is refused."""
    watch = await store.add_watch("@demo", actor="alice", state="approved")
    await store.update_watch(watch.id, actor="svc", channel_id=100)
    await store.update_watch(watch.id, actor="svc", channel_id=100)
    with pytest.raises(StoreError, match="never re-resolved"):
        await store.update_watch(watch.id, actor="svc", channel_id=200)


async def test_waiting_keeps_until_then_clears(store: Store) -> None:
    """wait_until is kept while waiting and cleared when the watch leaves waiting."""
    watch = await store.add_watch("@demo", actor="alice", state="approved")
    until = T0 + timedelta(minutes=3)
    waiting = await store.update_watch(watch.id, actor="svc", state="waiting", wait_until=until)
    assert waiting.wait_until == until
    active = await store.update_watch(watch.id, actor="svc", state="active")
    assert active.wait_until is None


async def test_bad_watch_input_is_refused(store: Store) -> None:
    """Unknown states, empty targets, empty actors and unknown ids get clear errors;
    a watch has no default state (none is approved unless its caller says so)."""
    with pytest.raises(TypeError, match="state"):
        await store.add_watch("@demo", actor="alice")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown watch state"):
        await store.add_watch("@demo", actor="alice", state="watching")
    with pytest.raises(ValueError, match="target"):
        await store.add_watch("  ", actor="alice", state="approved")
    with pytest.raises(ValueError, match="actor"):
        await store.add_watch("@demo", actor="", state="approved")
    with pytest.raises(NotFound):
        await store.update_watch(999, actor="alice", state="left")
    assert await store.list_watches() == []


async def test_watched_channel_ids_and_listing(store: Store) -> None:
    """Only channels of authorized, not stopped watches are recorded."""
    states = ["requested", "approved", "active", "waiting", "revoked", "left", "joining"]
    for n, state in enumerate(states, start=1):
        w = await store.add_watch(f"@c{n}", actor="alice", state="approved")
        await store.update_watch(w.id, actor="svc", state=state, channel_id=n)
    await store.add_watch("@unresolved", actor="alice", state="approved")
    assert await store.watched_channel_ids() == {2, 3, 4, 7}
    assert [w.target for w in await store.list_watches(["revoked", "left"])] == ["@c5", "@c6"]
    assert len(await store.list_watches()) == 8
    assert await store.list_watches([]) == []


async def test_cursor_never_goes_backwards(store: Store) -> None:
    """A cursor starts at 0, advances, and ignores a lower message id."""
    assert await store.get_cursor(100) == 0
    await store.advance_cursor(100, 10)
    await store.advance_cursor(100, 7)
    assert await store.get_cursor(100) == 10
    await store.advance_cursor(100, 12)
    assert await store.get_cursor(100) == 12
    assert await store.get_cursor(200) == 0
    with pytest.raises(ValueError, match=">= 0"):
        await store.advance_cursor(100, -1)


async def test_database_refuses_moving_a_cursor_back(store: Store, raw: RawDB) -> None:
    """Even raw SQL cannot move a cursor backwards (trigger)."""
    await store.advance_cursor(100, 10)
    with pytest.raises(DatabaseRefused, match="backwards"):
        raw.execute("UPDATE cursors SET message_id = 3 WHERE channel_id = 100")
