"""Posts made while the monitor was stopped are recorded after a restart; the
channel is never resolved again once joined."""

from __future__ import annotations

from access_support import lawful_watch
from e2e_support import MonitorFactory, has_posts, monitor_user, poll, stored_ids
from tgsim_support import wait_for

from storage.sqlite import SQLiteStore
from tgsim import Server


async def test_posts_made_while_stopped_are_recorded(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """Stop the monitor, post 120 times (more than one history page), restart: all
    are recorded once, in order, and the cursor reaches the last one."""
    ch = await sim.create_channel("Backlog", username="backlog")
    first = await sim.post(ch, text="before the monitor ever ran")
    await lawful_watch(store, "@backlog")
    app = await start_monitor()
    await poll(lambda: has_posts(store, ch.id, [first]))
    live = await sim.post(ch, text="while running")
    await poll(lambda: has_posts(store, ch.id, [live]))
    await app.stop()

    missed = [await sim.post(ch, text=f"missed {i}") for i in range(120)]
    # Telegram does not resolve usernames for us any more: prove we never ask.
    sim.faults.add(request="ResolveUsernameRequest", error="USERNAME_NOT_OCCUPIED", times=None)
    app2 = await start_monitor()
    await poll(lambda: has_posts(store, ch.id, missed))
    await app2.reconciler.wait_idle(10)

    assert await stored_ids(store, ch.id) == [first, live, *missed]
    assert await store.get_cursor(ch.id) == missed[-1]
    watches = await store.list_watches()
    assert [(w.state, w.channel_id) for w in watches] == [("active", ch.id)]
    assert sim.is_member(ch, monitor_user(sim))


async def test_revoked_watch_leaves_the_channel(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """A revoked watch stops recording and the account leaves the channel (tgsim sees it)."""
    ch = await sim.create_channel("Soon left", username="soon_left")
    watch = await lawful_watch(store, "@soon_left")
    app = await start_monitor()
    uid = monitor_user(sim)
    await wait_for(lambda: sim.is_member(ch, uid), timeout=10)
    await store.update_watch(watch.id, actor="test", state="revoked", reason="test")
    await wait_for(lambda: ("leave", ch.id, uid) in sim.events, timeout=10)
    assert not app.watches.is_watched(ch.id)

    async def left() -> bool:
        w = await store.get_watch(watch.id)
        return w is not None and w.state == "left"

    await poll(left)
    await sim.post(ch, text="after we left")
    await app.sync_watches()
    assert await store.count_posts(ch.id) == 0


async def test_edits_and_deletions_while_stopped_are_seen_after_restart(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """An edit and a deletion of recent posts made while the monitor was down are
    recorded when it starts again (recent posts are fetched again by id)."""
    ch = await sim.create_channel("Changes", username="changes_ch")
    await lawful_watch(store, "@changes_ch")
    app = await start_monitor()
    keep = await sim.post(ch, text="first version")
    drop = await sim.post(ch, text="soon gone")
    await poll(lambda: has_posts(store, ch.id, [keep, drop]))
    await app.stop()

    await sim.edit(ch, keep, text="second version")
    await sim.delete(ch, [drop])
    await start_monitor()

    async def seen() -> bool:
        k = await store.get_post(ch.id, keep)
        d = await store.get_post(ch.id, drop)
        return bool(k and k["edits"] and d and d["deleted_at"] is not None)

    await poll(seen)
    k = await store.get_post(ch.id, keep)
    assert k is not None
    assert k["text"] == "second version"
    assert [e["previous_text"] for e in k["edits"]] == ["first version"]
