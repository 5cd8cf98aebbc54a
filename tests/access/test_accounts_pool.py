"""The account pool (access.accounts): allocation, pacing, failover."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import Recorded, World, audit_actions, world_at

from access.accounts import AccountPool
from access.pacing import Pacing
from access.roles import AccessDenied, PolicyViolation

PACING = Pacing(daily_limit=2, min_gap=timedelta(minutes=5), channel_limit=2)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


async def pool_with(w: World, *names: str, notes: Recorded | None = None) -> AccountPool:
    pool = AccountPool(w.store, PACING, clock=w.clock, notifier=notes)
    for name in names:
        await pool.add("root", name, Path(f"/var/lib/chanwatch/{name}.session"), "persona")
    return pool


async def watches(w: World, n: int) -> list[int]:
    return [
        (await w.store.add_watch(f"@chan_{i:03d}", "test", None, state="approved")).id
        for i in range(n)
    ]


async def test_only_admin_adds_accounts_and_names_are_checked(world: World) -> None:
    """Adding an account needs the admin role; bad and duplicate names are refused."""
    pool = await pool_with(world)
    with pytest.raises(AccessDenied, match="admin"):
        await pool.add("ivan", "p1", Path("p1.session"), None)
    await pool.add("root", "p1", Path("p1.session"), None)
    with pytest.raises(PolicyViolation, match="exists already"):
        await pool.add("root", "P1", Path("p1.session"), None)
    with pytest.raises(PolicyViolation, match="invalid account name"):
        await pool.add("root", "bad name!", Path("x.session"), None)


async def test_claim_assigns_to_least_loaded_account(world: World) -> None:
    """Unowned watches are spread over accounts; an account claims only its own."""
    pool = await pool_with(world, "p1", "p2")
    w1, w2 = await watches(world, 2)
    assert await pool.claim("p1", w1) is True
    assert await pool.claim("p1", w2) is False  # went to p2, which has fewer watches
    owner = await world.store.get_watch(w2)
    assert owner is not None and owner.account == "p2"
    assert await pool.claim("p2", w2) is True


async def test_min_gap_and_daily_limit_per_account(world: World) -> None:
    """A second join waits for the gap; the third in 24 h waits for the day."""
    pool = await pool_with(world, "p1")
    w1, w2 = await watches(world, 2)
    assert await pool.claim("p1", w1)
    assert not await pool.claim("p1", w2)
    world.clock.advance(timedelta(minutes=5))
    assert await pool.claim("p1", w2)
    # the same watches again (e.g. re-joins): the daily limit of 2 is spent
    await world.store.update_watch(w1, actor="t", state="approved")
    world.clock.advance(timedelta(minutes=10))
    assert not await pool.claim("p1", w1)
    assert await pool.next_join_at("p1") is not None
    world.clock.advance(timedelta(hours=24))
    assert await pool.claim("p1", w1)


async def test_flood_wait_moves_only_that_accounts_joins(world: World) -> None:
    """FloodWait on p1 puts p1's pending watches to waiting; p2 joins on."""
    pool = await pool_with(world, "p1", "p2")
    w1, w2, w3 = await watches(world, 3)
    await world.store.update_watch(w1, actor="t", account="p1")
    await world.store.update_watch(w2, actor="t", account="p2")
    await world.store.update_watch(w3, actor="t", account="p1")
    until = await pool.flood_wait("p1", 300)
    assert not await pool.claim("p1", w1)
    assert await pool.claim("p2", w2)
    for wid in (w1, w3):
        rec = await world.store.get_watch(wid)
        assert rec is not None and rec.state == "waiting" and rec.wait_until == until
    untouched = await world.store.get_watch(w2)
    assert untouched is not None and untouched.state == "approved"
    world.clock.set(until)
    assert await pool.claim("p1", w1)


async def test_channels_too_much_moves_join_to_another_account(world: World) -> None:
    """CHANNELS_TOO_MUCH caps p1 where it is and hands the watch to p2."""
    pool = await pool_with(world, "p1", "p2")
    [w1] = await watches(world, 1)
    await world.store.update_watch(w1, actor="t", account="p1")
    assert await pool.too_many_channels("p1", w1) == "p2"
    rec = await world.store.get_watch(w1)
    assert rec is not None and rec.account == "p2" and rec.state == "approved"
    [view_p1, _] = await pool.views()
    assert view_p1.account.channel_limit == 0
    assert [r["action"] for r in await audit_actions(world.store, "account.full")]


async def test_channel_limit_is_never_exceeded(world: World) -> None:
    """With every account at its limit, a new watch gets no account."""
    pool = await pool_with(world, "p1")
    ws = await watches(world, 3)
    assert await pool.claim("p1", ws[0])
    world.clock.advance(timedelta(minutes=5))
    assert await pool.claim("p1", ws[1])
    world.clock.advance(timedelta(minutes=5))
    assert not await pool.claim("p1", ws[2])
    rec = await world.store.get_watch(ws[2])
    assert rec is not None and rec.account is None


async def test_lost_account_hands_over_watches_and_tells_operators(world: World) -> None:
    """USER_DEACTIVATED marks p1, moves its watches to p2 and notifies the operators."""
    notes = Recorded()
    pool = await pool_with(world, "p1", "p2", notes=notes)
    [w1] = await watches(world, 1)
    await world.store.update_watch(w1, actor="t", account="p1", state="active", channel_id=5)
    assert await pool.lost("p1", "USER_DEACTIVATED") == [w1]
    rec = await world.store.get_watch(w1)
    assert rec is not None and rec.account == "p2" and rec.state == "approved"
    views = {v.account.name: v for v in await pool.views()}
    assert views["p1"].account.status == "deactivated"
    assert notes.messages == [
        (
            ("otto",),
            "Telegram account p1 deactivated",
            {
                "account": "p1",
                "status": "deactivated",
                "reason": "Telegram: USER_DEACTIVATED",
                "watches_moved": [w1],
            },
        ),
    ]
    assert not await pool.claim("p1", w1)


async def test_disable_needs_admin_and_reassigns(world: World) -> None:
    """Disabling an account is an admin's audited act; its watches move on."""
    pool = await pool_with(world, "p1", "p2")
    [w1] = await watches(world, 1)
    await world.store.update_watch(w1, actor="t", account="p1")
    with pytest.raises(AccessDenied):
        await pool.disable("otto", "p1", "burnt")
    assert await pool.disable("root", "p1", "persona burnt") == [w1]
    [row] = await audit_actions(world.store, "account.disabled")
    assert row["actor"] == "root" and row["why"] == "persona burnt"
