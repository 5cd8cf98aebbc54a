"""The enforcement job (access.enforcement), driven by a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import (
    LIMITS,
    Recorded,
    World,
    approved_watch,
    audit_actions,
    joined,
    open_case_with_court_order,
    world_at,
)

from access.enforcement import Enforcer
from access.gate import AuthorizationGate


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


def enforcer_of(w: World, notes: Recorded, changes: list[int]) -> Enforcer:
    gate = AuthorizationGate(w.store, LIMITS, w.clock, ttl=timedelta(0))

    async def changed() -> None:
        changes.append(1)

    return Enforcer(w.store, LIMITS, gate, clock=w.clock, notifier=notes, on_change=changed)


async def test_expiry_ends_watch_and_tells_the_monitor(world: World) -> None:
    """After valid-until the watch becomes expired, the monitor is told, the end is audited."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    notes, changes = Recorded(), []
    enforcer = enforcer_of(world, notes, changes)
    assert (await enforcer.run_once()).ended == {}
    [authz] = await world.cases.authorizations("K-1")
    world.clock.set(authz.valid_until)
    report = await enforcer.run_once()
    assert report.ended == {watch_id: "expired"} and changes == [1]
    watch = await world.store.get_watch(watch_id)
    assert watch is not None and watch.state == "expired"
    assert report.authorizations_ended == [authz.id]
    assert (await enforcer.run_once()).authorizations_ended == []  # noted once
    subjects = [n[1] for n in notes.messages]
    assert "authorization expired" in subjects
    assert all(n[0] == ("ivan", "sam") for n in notes.messages)
    [row] = await audit_actions(world.store, "watch.expired")
    assert row["actor"] == "service:chanwatch" and '"state":"active"' in row["before_json"]


async def test_revocation_ends_watch_as_revoked(world: World) -> None:
    """A revoked authorization makes its watch revoked at the next run."""
    authz_id = await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    await world.cases.revoke("sam", authz_id, "order lifted")
    report = await enforcer_of(world, Recorded(), []).run_once()
    assert report.ended == {watch_id: "revoked"}


async def test_other_valid_authorization_keeps_the_watch(world: World) -> None:
    """When a second case's authorization still covers the channel, the watch stays."""
    first = await open_case_with_court_order(world, ref="K-1")
    await open_case_with_court_order(world, ref="K-2")
    watch_id = await approved_watch(world, ref="K-1")
    again = await world.requests.request_watch("ines", "K-2", "@alpha_news", "tip")
    await world.requests.decide("sue", again.id, approve=True)
    await joined(world, watch_id, 1001, "alpha_news")
    await world.cases.revoke("sam", first, "K-1 closed")
    report = await enforcer_of(world, Recorded(), []).run_once()
    assert report.ended == {}
    watch = await world.store.get_watch(watch_id)
    assert watch is not None and watch.state == "active"


async def test_extension_keeps_watch_alive(world: World) -> None:
    """Extended before its end, the watch survives the original valid-until."""
    authz_id = await open_case_with_court_order(world, months=1)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    [authz] = await world.cases.authorizations("K-1")
    await world.cases.extend(
        "ivan",
        authz_id,
        until=authz.valid_until + timedelta(days=30),
        authority="AG",
        document="Gs 1/26-ext",
    )
    world.clock.set(authz.valid_until + timedelta(days=1))
    report = await enforcer_of(world, Recorded(), []).run_once()
    assert report.ended == {}


async def test_unconfirmed_emergency_ends_by_itself(world: World) -> None:
    """An emergency watch runs 48 h, is reminded to be confirmed, then ends as expired."""
    await world.cases.open("ivan", "K-E", "urgent", "sam")
    now = world.clock.now()
    await world.cases.authorize(
        "ivan",
        "K-E",
        kind="emergency",
        authority="StA",
        document="E-1",
        valid_from=now,
        valid_until=now + timedelta(days=30),
        scope=["@alpha_news"],
    )
    watch_id = await approved_watch(world, ref="K-E")
    await joined(world, watch_id, 1001, "alpha_news")
    notes = Recorded()
    enforcer = enforcer_of(world, notes, [])
    first = await enforcer.run_once()
    assert first.ended == {} and len(first.reminders) == 1
    assert notes.messages[0][1] == "emergency measure needs confirmation"
    world.clock.advance(timedelta(hours=47, minutes=59))
    assert (await enforcer.run_once()).ended == {}
    world.clock.advance(timedelta(minutes=1))
    report = await enforcer.run_once()
    assert report.ended == {watch_id: "expired"}
    assert (await audit_actions(world.store, "authorization.lapsed"))[0]["actor"] == (
        "service:chanwatch"
    )


async def test_reminder_before_expiry_once_per_end(world: World) -> None:
    """One reminder when the end is near; a new one after an extension moves the end."""
    authz_id = await open_case_with_court_order(world, months=1)
    [authz] = await world.cases.authorizations("K-1")
    notes = Recorded()
    enforcer = enforcer_of(world, notes, [])
    world.clock.set(authz.valid_until - timedelta(hours=71))
    assert (await enforcer.run_once()).reminders == [authz_id]
    assert (await enforcer.run_once()).reminders == []
    new_until = authz.valid_until + timedelta(days=2)
    await world.cases.extend("ivan", authz_id, until=new_until, authority="AG", document="Gs-x")
    assert (await enforcer.run_once()).reminders == []
    world.clock.set(new_until - timedelta(hours=1))
    assert (await enforcer.run_once()).reminders == [authz_id]
    assert [m[1] for m in notes.messages] == ["authorization ends soon"] * 2


async def test_watch_without_request_is_suspended(world: World) -> None:
    """A watch added past the request flow is suspended within one run."""
    stray = await world.store.add_watch("@alpha_news", "someone", "added by hand", state="approved")
    report = await enforcer_of(world, Recorded(), []).run_once()
    assert report.ended == {stray.id: "suspended"}


async def test_request_activated_when_authorization_comes_into_force(world: World) -> None:
    """Approved before the order starts, the watch is created once it is in force."""
    await world.cases.open("ivan", "K-5", "t", "sam")
    start = world.clock.now() + timedelta(hours=6)
    await world.cases.authorize(
        "ivan",
        "K-5",
        kind="court",
        authority="AG",
        document="Gs 5",
        valid_from=start,
        valid_until=start + timedelta(days=10),
        scope=["@alpha_news"],
    )
    request = await world.requests.request_watch("ivan", "K-5", "@alpha_news", "tip")
    await world.requests.decide("sam", request.id, approve=True)
    enforcer = enforcer_of(world, Recorded(), [])
    assert (await enforcer.run_once()).activated == []
    world.clock.set(start)
    assert (await enforcer.run_once()).activated == [request.id]
    [watch] = await world.store.list_watches()
    assert watch.state == "approved"


async def test_schedule_adds_one_interval_job(world: World) -> None:
    """The job runs at the configured interval, one run at a time, missed runs coalesced."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from access.enforcement import schedule

    scheduler = AsyncIOScheduler(timezone="UTC")
    schedule(scheduler, enforcer_of(world, Recorded(), []), timedelta(minutes=1))
    [job] = scheduler.get_jobs()
    assert job.id == "access-enforcement"
    assert job.trigger.interval == timedelta(minutes=1)
    assert job.max_instances == 1 and job.coalesce is True
