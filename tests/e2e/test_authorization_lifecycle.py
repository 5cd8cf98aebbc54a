"""The watch lifecycle under authorization, end to end: tgsim, real Telethon,
the real SQLite store, and the enforcement job on a manual clock."""

# ruff: noqa: F811 - pytest fixtures imported from authz_fixtures are parameters here

from __future__ import annotations

import json
from datetime import timedelta

from access_support import Recorded, World, audit_actions, authorize
from authz_fixtures import (  # noqa: F401 - fixtures
    AuthzMonitor,
    authz_monitor,
    clock,
    notes,
    world,
)
from e2e_support import has_posts, monitor_user, poll
from tgsim_support import wait_for

from storage.sqlite import SQLiteStore
from tgsim import Server


async def approve(w: World, ref: str, target: str, by: str = "ivan", decider: str = "sam") -> int:
    request = await w.requests.request_watch(by, ref, target, "lead from the desk")
    decided = await w.requests.decide(decider, request.id, approve=True)
    assert decided.watch_id is not None
    return decided.watch_id


def events_of(sim: Server, channel_id: int) -> list[str]:
    return [kind for kind, cid, _uid in sim.events if cid == channel_id]


async def test_no_join_and_no_recording_without_approved_valid_authorization(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore
) -> None:
    """Only the approved, authorized channel is joined and recorded; a pending
    request, a refused one and a watch added past the request flow are not."""
    names = ["auth_news", "pending_news", "refused_news", "stray_news"]
    chans = {n: await sim.create_channel(n, username=n) for n in names}
    await authorize(world, "K-1", ["@auth_news", "@pending_news", "@refused_news"])
    await approve(world, "K-1", "@auth_news")
    await world.requests.request_watch("ivan", "K-1", "@pending_news", "not yet decided")
    refused = await world.requests.request_watch("ivan", "K-1", "@refused_news", "weak")
    await world.requests.decide("sam", refused.id, approve=False, note="no basis")
    stray = await world.store.add_watch(
        "@stray_news", "someone", "bypassing the requests", state="approved"
    )

    app = await authz_monitor()
    me = monitor_user(sim)
    assert sim.is_member(chans["auth_news"], me)
    mid = await sim.post(chans["auth_news"], text="recorded under K-1")
    await poll(lambda: has_posts(store, chans["auth_news"].id, [mid]))
    await app.sync_watches()
    await app.sync_watches()
    for name in ("pending_news", "refused_news", "stray_news"):
        assert not sim.is_member(chans[name], me), name
        assert events_of(sim, chans[name].id) == [], name
    await sim.post(chans["stray_news"], text="never recorded")
    assert await store.count_posts(chans["stray_news"].id) == 0
    suspended = await audit_actions(world.store, "watch.suspended")
    assert [r["subject"] for r in suspended] == [f"watch:{stray.id}"]
    assert "no approved watch request" in suspended[0]["why"]


async def test_expiry_stops_recording_and_leaves(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    store: SQLiteStore,
    notes: Recorded,
) -> None:
    """After valid-until a post is refused (counted, not stored) and the next
    enforcement run marks the watch expired and leaves the channel."""
    ch = await sim.create_channel("Timed", username="timed_news")
    authz_id = await authorize(world, "K-2", ["@timed_news"], days=1)
    watch_id = await approve(world, "K-2", "t.me/timed_news")
    app = await authz_monitor()
    assert sim.is_member(ch, monitor_user(sim))
    before = await sim.post(ch, text="inside the window")
    await poll(lambda: has_posts(store, ch.id, [before]))

    [authz] = await world.cases.authorizations("K-2")
    world.clock.set(authz.valid_until)
    after = await sim.post(ch, text="after the window")
    assert app.access is not None
    gate = app.access.gate
    await poll(lambda: _true(gate.pending_refusals().get(ch.id) == 1))
    assert await store.get_post(ch.id, after) is None

    report = await app.access.enforcer.run_once()
    assert report.ended == {watch_id: "expired"} and report.refusals_flushed == 1
    await wait_for(lambda: "leave" in events_of(sim, ch.id))
    assert not sim.is_member(ch, monitor_user(sim))
    assert await store.get_post(ch.id, after) is None
    [refused] = await audit_actions(world.store, "record.refused")
    assert json.loads(refused["after_json"])["count"] == 1
    assert "text" not in refused["after_json"]
    assert [m[1] for m in notes.messages if m[2].get("authorization") == authz_id][-1] == (
        "authorization expired"
    )


async def test_revocation_leaves_the_channel(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore
) -> None:
    """A supervisor's revocation ends the watch as revoked and the channel is left."""
    ch = await sim.create_channel("Revoked", username="revoked_news")
    authz_id = await authorize(world, "K-3", ["@revoked_news"])
    watch_id = await approve(world, "K-3", "@revoked_news")
    app = await authz_monitor()
    assert sim.is_member(ch, monitor_user(sim))
    await world.cases.revoke("sam", authz_id, "the court lifted the order")
    assert app.access is not None
    assert (await app.access.enforcer.run_once()).ended == {watch_id: "revoked"}
    await wait_for(lambda: "leave" in events_of(sim, ch.id))
    late = await sim.post(ch, text="after revocation")
    assert await store.get_post(ch.id, late) is None
    rows = await audit_actions(world.store, "watch.revoked")
    assert rows[0]["subject"] == f"watch:{watch_id}" and "revoked" in rows[0]["why"]


async def test_extension_keeps_the_watch_alive(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore
) -> None:
    """Extended before it ends, the authorization keeps the channel joined and recorded."""
    ch = await sim.create_channel("Extended", username="extended_news")
    authz_id = await authorize(world, "K-4", ["@extended_news"], days=10)
    await approve(world, "K-4", "@extended_news")
    app = await authz_monitor()
    [authz] = await world.cases.authorizations("K-4")
    await world.cases.extend(
        "ivan",
        authz_id,
        until=authz.valid_until + timedelta(days=30),
        authority="AG Test",
        document="Gs K-4 ext",
    )
    world.clock.set(authz.valid_until + timedelta(hours=1))
    assert app.access is not None
    assert (await app.access.enforcer.run_once()).ended == {}
    await app.sync_watches()
    mid = await sim.post(ch, text="still authorized")
    await poll(lambda: has_posts(store, ch.id, [mid]))
    assert "leave" not in events_of(sim, ch.id)


async def test_unconfirmed_emergency_measure_ends_after_its_window(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    store: SQLiteStore,
    notes: Recorded,
) -> None:
    """An emergency watch runs 48 hours; unconfirmed, it ends by itself and is left."""
    ch = await sim.create_channel("Urgent", username="urgent_news")
    await authorize(world, "K-5", ["@urgent_news"], kind="emergency")
    watch_id = await approve(world, "K-5", "@urgent_news")
    app = await authz_monitor()
    assert app.access is not None
    assert sim.is_member(ch, monitor_user(sim))
    assert any(m[1] == "emergency measure needs confirmation" for m in notes.messages)
    world.clock.advance(timedelta(hours=47))
    assert (await app.access.enforcer.run_once()).ended == {}
    mid = await sim.post(ch, text="within the emergency window")
    await poll(lambda: has_posts(store, ch.id, [mid]))
    world.clock.advance(timedelta(hours=1))
    assert (await app.access.enforcer.run_once()).ended == {watch_id: "expired"}
    await wait_for(lambda: "leave" in events_of(sim, ch.id))
    assert await audit_actions(world.store, "authorization.lapsed")


async def _true(value: bool) -> bool:
    return value


async def test_refusals_counted_before_a_stop_reach_the_audit_trail(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore
) -> None:
    """Posts refused after expiry are counted in the audit trail even when the
    monitor stops before the next enforcement run."""
    ch = await sim.create_channel("Stopping", username="stop_news")
    await authorize(world, "K-6", ["@stop_news"], days=1)
    await approve(world, "K-6", "@stop_news")
    app = await authz_monitor()
    [authz] = await world.cases.authorizations("K-6")
    world.clock.set(authz.valid_until + timedelta(minutes=1))
    late = await sim.post(ch, text="after the window")
    assert app.access is not None
    gate = app.access.gate
    await poll(lambda: _true(gate.pending_refusals().get(ch.id) == 1))
    await app.stop()
    [row] = await audit_actions(world.store, "record.refused")
    assert row["subject"] == f"channel:{ch.id}" and json.loads(row["after_json"])["count"] == 1
    assert await store.get_post(ch.id, late) is None
