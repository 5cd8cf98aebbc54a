"""Watch requests and their approval (access.requests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import World, audit_actions, open_case_with_court_order, world_at

from access.roles import AccessDenied, PolicyViolation


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


async def test_request_needs_authorization_in_scope(world: World) -> None:
    """A channel outside every authorization's scope cannot even be requested."""
    await open_case_with_court_order(world)
    with pytest.raises(PolicyViolation, match="no current authorization"):
        await world.requests.request_watch("ivan", "K-1", "@other_chan", "lead")
    with pytest.raises(PolicyViolation, match="reason"):
        await world.requests.request_watch("ivan", "K-1", "@alpha_news", "")
    with pytest.raises(AccessDenied, match="investigator"):
        await world.requests.request_watch("otto", "K-1", "@alpha_news", "lead")


async def test_self_approval_is_refused(world: World) -> None:
    """The requester may not decide their own request, even holding the supervisor role."""
    await world.cases.open("ines", "K-7", "t", "sam")
    now = world.clock.now()
    await world.cases.authorize(
        "ines",
        "K-7",
        kind="court",
        authority="AG",
        document="Gs 3",
        valid_from=now,
        valid_until=now + timedelta(days=20),
        scope=["@alpha_news"],
    )
    request = await world.requests.request_watch("boss", "K-7", "@alpha_news", "tip")
    with pytest.raises(PolicyViolation, match="self-approval refused"):
        await world.requests.decide("boss", request.id, approve=True)
    with pytest.raises(AccessDenied, match="supervisor"):
        await world.requests.decide("ivan", request.id, approve=True)
    decided = await world.requests.decide("sam", request.id, approve=True, note="ok")
    assert decided.state == "approved" and decided.decided_by == "sam"


async def test_approval_with_valid_authorization_creates_watch(world: World) -> None:
    """An approved request under a valid authorization gets an approved watch at once."""
    await open_case_with_court_order(world)
    request = await world.requests.request_watch("ivan", "K-1", "t.me/alpha_news", "tip")
    decided = await world.requests.decide("sam", request.id, approve=True)
    assert decided.watch_id is not None
    watch = await world.store.get_watch(decided.watch_id)
    assert watch is not None and watch.state == "approved" and watch.target == "t.me/alpha_news"
    actions = [r["action"] for r in await audit_actions(world.store)]
    assert actions[-4:] == ["request.create", "request.approve", "watch.create", "request.activate"]


async def test_pending_authorization_gives_no_watch_yet(world: World) -> None:
    """Approved under an authorization that starts tomorrow: no watch until it is in force."""
    await world.cases.open("ivan", "K-5", "t", "sam")
    start = world.clock.now() + timedelta(days=1)
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
    decided = await world.requests.decide("sam", request.id, approve=True)
    assert decided.state == "approved" and decided.watch_id is None
    assert await world.store.list_watches() == []


async def test_refusal_is_final_and_gives_no_watch(world: World) -> None:
    """A refused request has no watch and cannot be approved afterwards."""
    await open_case_with_court_order(world)
    request = await world.requests.request_watch("ivan", "K-1", "@alpha_news", "tip")
    refused = await world.requests.decide("sam", request.id, approve=False, note="weak basis")
    assert refused.state == "refused" and refused.watch_id is None
    with pytest.raises(PolicyViolation, match="already refused"):
        await world.requests.decide("sue", request.id, approve=True)


async def test_second_case_reuses_the_live_watch(world: World) -> None:
    """Two approved requests for one channel share one watch."""
    await open_case_with_court_order(world, ref="K-1")
    await open_case_with_court_order(world, ref="K-2")
    first = await world.requests.request_watch("ivan", "K-1", "@alpha_news", "tip")
    second = await world.requests.request_watch("ivan", "K-2", "t.me/alpha_news", "tip 2")
    a = await world.requests.decide("sam", first.id, approve=True)
    b = await world.requests.decide("sue", second.id, approve=True)
    assert a.watch_id is not None and a.watch_id == b.watch_id
    assert len(await world.store.list_watches()) == 1
