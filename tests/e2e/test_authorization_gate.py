"""The recording gate at the edges of an authorization, end to end (tgsim, real
Telethon, real SQLite, the gate as in production on the manual clock): no false
refusal when a channel is joined, a revocation honoured within the second."""

# ruff: noqa: F811 - pytest fixtures imported from authz_fixtures are parameters here

from __future__ import annotations

from datetime import timedelta

from access_support import World, audit_actions, authorize
from authz_fixtures import (  # noqa: F401 - fixtures
    AuthzMonitor,
    authz_monitor,
    clock,
    notes,
    world,
)
from e2e_support import has_posts, monitor_user, poll
from structlog.testing import capture_logs

from access.clock import ManualClock
from access.gate import ALLOW_TTL
from storage.sqlite import SQLiteStore
from tgsim import Server

REFUSAL_EVENTS = {"recording_refused", "reconcile_failed", "refusal_withdrawn"}


async def approve(w: World, ref: str, target: str) -> int:
    request = await w.requests.request_watch("ivan", ref, target, "lead from the desk")
    decided = await w.requests.decide("sam", request.id, approve=True)
    assert decided.watch_id is not None
    return decided.watch_id


async def _true(value: bool) -> bool:
    return value


async def test_posts_right_after_the_join_are_recorded_without_refusal(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore,
    clock: ManualClock,
) -> None:
    """An authorized channel's first posts, made the moment it is joined, are
    recorded at once: no refusal, no retry, no refusal row, at the join and
    for a second channel approved while the monitor runs."""
    first = await sim.create_channel("First", username="first_news")
    second = await sim.create_channel("Second", username="second_news")
    await authorize(world, "K-1", ["@first_news", "@second_news"])
    await approve(world, "K-1", "@first_news")
    with capture_logs() as logs:
        app = await authz_monitor()
        assert sim.is_member(first, monitor_user(sim))
        posted = [await sim.post(first, text=f"right after the join {i}") for i in range(3)]
        await poll(lambda: has_posts(store, first.id, posted))

        await approve(world, "K-1", "@second_news")  # another process approves
        clock.advance(app.settings.accounts.join_min_gap)  # the account's next join is due
        await app.sync_watches()
        assert sim.is_member(second, monitor_user(sim))
        later = [await sim.post(second, text=f"second channel {i}") for i in range(3)]
        await poll(lambda: has_posts(store, second.id, later))
        assert app.access is not None
        assert app.access.gate.pending_refusals() == {}
        await app.stop()
    events = [e["event"] for e in logs]
    assert not REFUSAL_EVENTS & set(events), [e for e in logs if e["event"] in REFUSAL_EVENTS]
    assert await audit_actions(world.store, "record.refused") == []


async def test_revocation_by_another_process_is_honoured_within_the_second(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore,
    clock: ManualClock,
) -> None:
    """A supervisor revokes from another process (the CLI's own connection): a
    post in the channel less than a second later is refused, counted and not
    stored, before any enforcement run."""
    assert timedelta(seconds=1) > ALLOW_TTL
    ch = await sim.create_channel("Revoked", username="revoked_news")
    authz_id = await authorize(world, "K-2", ["@revoked_news"])
    await approve(world, "K-2", "@revoked_news")
    app = await authz_monitor()
    before = await sim.post(ch, text="recorded under K-2")
    await poll(lambda: has_posts(store, ch.id, [before]))  # the gate holds a cached "yes"

    revoked = await world.cases.revoke("sam", authz_id, "the court lifted the order")
    assert revoked.revoked_at is not None
    clock.advance(ALLOW_TTL)
    assert clock.now() - revoked.revoked_at < timedelta(seconds=1)
    late = await sim.post(ch, text="after the revocation")
    assert app.access is not None
    gate = app.access.gate
    await poll(lambda: _true(gate.pending_refusals().get(ch.id) == 1))
    assert await store.get_post(ch.id, late) is None
    assert await store.get_post(ch.id, before) is not None
