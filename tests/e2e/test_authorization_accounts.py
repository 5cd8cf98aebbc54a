"""Several Telegram accounts end to end: join pacing per account, FloodWait on
one account, CHANNELS_TOO_MUCH and a banned account moving joins to another,
through tgsim with injected faults and the manual clock."""

# ruff: noqa: F811 - pytest fixtures imported from authz_fixtures are parameters here

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from access_support import Recorded, World, audit_actions, authorize
from authz_fixtures import (  # noqa: F401 - fixtures
    AuthzMonitor,
    authz_monitor,
    clock,
    notes,
    settings_for,
    world,
)
from e2e_support import has_posts, logged_in_session, monitor_user, poll
from tgsim_support import sim_phone, wait_for

from access.accounts import AccountPool
from access.pacing import Pacing
from monitor.app import MonitorApp
from storage.sqlite import SQLiteStore
from tgsim import Server


async def approved(w: World, ref: str, names: list[str]) -> list[int]:
    """Case ``ref`` authorizing ``names``; one approved watch per name."""
    await authorize(w, ref, [f"@{n}" for n in names])
    ids = []
    for n in names:
        request = await w.requests.request_watch("ivan", ref, f"@{n}", "lead")
        decided = await w.requests.decide("sam", request.id, approve=True)
        assert decided.watch_id is not None
        ids.append(decided.watch_id)
    return ids


async def two_monitors(
    sim: Server,
    w: World,
    tmp_path: Path,
    session_file: Path,
    db_path: Path,
    start: AuthzMonitor,
) -> tuple[MonitorApp, MonitorApp]:
    """Account "e2e" (test phone 1) and account "p2" (test phone 2) on one database,
    both registered (``account add``) before either monitor starts."""
    second = await logged_in_session(sim, tmp_path / "p2.session", n=2)
    pool = AccountPool(w.store, Pacing())
    await pool.add("root", "e2e", session_file, "persona one")
    await pool.add("root", "p2", second, "persona two")
    first_app = await start(settings_for(sim, session_file, db_path, "e2e"))
    second_app = await start(settings_for(sim, second, db_path, "p2"))
    return first_app, second_app


async def state(w: World, watch_id: int) -> tuple[str, str | None]:
    rec = await w.store.get_watch(watch_id)
    assert rec is not None
    return rec.state, rec.account


async def test_join_pacing_gap_and_daily_limit(
    sim: Server, world: World, authz_monitor: AuthzMonitor, session_file: Path, db_path: Path
) -> None:
    """One account joins one channel per gap (1 h) and two per 24 h, on the manual clock."""
    names = ["pace_a", "pace_b", "pace_c"]
    chans = [await sim.create_channel(n, username=n) for n in names]
    await approved(world, "K-P", names)
    paced = settings_for(
        sim, session_file, db_path, "e2e", accounts={"join_min_gap": "1h", "join_daily_limit": 2}
    )
    app = await authz_monitor(paced)
    me = monitor_user(sim)

    def joined() -> list[bool]:
        return [sim.is_member(c, me) for c in chans]

    assert joined() == [True, False, False]
    await app.sync_watches()
    assert joined() == [True, False, False]
    world.clock.advance(timedelta(hours=1))
    await app.sync_watches()
    assert joined() == [True, True, False]
    world.clock.advance(timedelta(hours=2))
    await app.sync_watches()
    assert joined() == [True, True, False]  # two joins in 24 h already
    world.clock.advance(timedelta(hours=21))
    await app.sync_watches()
    assert joined() == [True, True, True]


async def test_flood_wait_moves_only_that_accounts_joins(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    session_file: Path,
    db_path: Path,
    tmp_path: Path,
) -> None:
    """FLOOD_WAIT on account e2e: its two joins wait, account p2 joins at once."""
    names = ["flood_a", "flood_b", "flood_c"]
    chans = [await sim.create_channel(n, username=n) for n in names]
    wa, wb, wc = await approved(world, "K-F", names)
    for wid, acc in ((wa, "e2e"), (wb, "e2e"), (wc, "p2")):
        await world.store.update_watch(wid, actor="test", account=acc)
    sim.faults.add(
        request="JoinChannelRequest", error="FLOOD_WAIT_3", times=1, client=sim_phone(sim.dc_id, 1)
    )
    first, second = await two_monitors(sim, world, tmp_path, session_file, db_path, authz_monitor)
    p1, p2 = monitor_user(sim, 1), monitor_user(sim, 2)

    assert sim.is_member(chans[2], p2)
    assert not sim.is_member(chans[0], p1) and not sim.is_member(chans[1], p1)
    assert (await state(world, wa))[0] == "waiting" and (await state(world, wb))[0] == "waiting"
    assert await state(world, wc) == ("active", "p2")
    [flood] = await audit_actions(world.store, "account.flood_wait")
    assert flood["subject"] == "account:e2e"

    # (3 s: Telethon itself refuses to resend a request type within a longer
    # wait, on the real clock.) The refused attempt counts for the pace too: the
    # next join comes after the flood wait and the minimum gap (3 min) since it.
    world.clock.advance(timedelta(seconds=4))
    await first.sync_watches()
    assert not sim.is_member(chans[0], p1)
    world.clock.advance(timedelta(minutes=3))
    await first.sync_watches()
    await second.sync_watches()
    assert sim.is_member(chans[0], p1) and not sim.is_member(chans[1], p1)  # min gap
    world.clock.advance(timedelta(minutes=3))
    await first.sync_watches()
    assert sim.is_member(chans[1], p1)
    assert not sim.is_member(chans[0], p2) and not sim.is_member(chans[1], p2)


async def test_channels_too_much_moves_the_join_to_another_account(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    session_file: Path,
    db_path: Path,
    tmp_path: Path,
) -> None:
    """CHANNELS_TOO_MUCH on e2e: the account is capped and p2 joins the channel."""
    ch = await sim.create_channel("Full", username="full_news")
    [wid] = await approved(world, "K-T", ["full_news"])
    await world.store.update_watch(wid, actor="test", account="e2e")
    sim.faults.add(
        request="JoinChannelRequest",
        error="CHANNELS_TOO_MUCH",
        times=1,
        client=sim_phone(sim.dc_id, 1),
    )
    _first, second = await two_monitors(sim, world, tmp_path, session_file, db_path, authz_monitor)
    await second.sync_watches()
    assert sim.is_member(ch, monitor_user(sim, 2))
    assert not sim.is_member(ch, monitor_user(sim, 1))
    assert await state(world, wid) == ("active", "p2")
    [full] = await audit_actions(world.store, "account.full")
    assert full["subject"] == "account:e2e"


async def test_banned_account_hands_its_watches_over_and_tells_operators(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    session_file: Path,
    db_path: Path,
    tmp_path: Path,
    notes: Recorded,
) -> None:
    """USER_DEACTIVATED_BAN on e2e: marked banned, its watch goes to p2, operators told."""
    ch = await sim.create_channel("Moved", username="moved_news")
    [wid] = await approved(world, "K-B", ["moved_news"])
    await world.store.update_watch(wid, actor="test", account="e2e")
    sim.faults.add(
        request="JoinChannelRequest",
        error="USER_DEACTIVATED_BAN",
        times=1,
        client=sim_phone(sim.dc_id, 1),
    )
    _first, second = await two_monitors(sim, world, tmp_path, session_file, db_path, authz_monitor)
    await second.sync_watches()
    await wait_for(lambda: sim.is_member(ch, monitor_user(sim, 2)))
    assert await state(world, wid) == ("active", "p2")
    [banned] = await audit_actions(world.store, "account.banned")
    assert banned["subject"] == "account:e2e" and "USER_DEACTIVATED_BAN" in banned["why"]
    told = [m for m in notes.messages if m[1] == "Telegram account e2e banned"]
    assert told and told[0][0] == ("otto",) and told[0][2]["watches_moved"] == [wid]


async def test_session_lost_while_recording_moves_the_channel_to_another_account(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    session_file: Path,
    db_path: Path,
    tmp_path: Path,
    store: SQLiteStore,
) -> None:
    """AUTH_KEY_UNREGISTERED while reading history: e2e is marked logged out, p2
    finds the channel again under its own access hash and records on."""
    ch = await sim.create_channel("Handed", username="handed_news")
    [wid] = await approved(world, "K-L", ["handed_news"])
    await world.store.update_watch(wid, actor="test", account="e2e")
    first, second = await two_monitors(sim, world, tmp_path, session_file, db_path, authz_monitor)
    assert sim.is_member(ch, monitor_user(sim, 1))
    first_post = await sim.post(ch, text="recorded by e2e")
    await poll(lambda: has_posts(store, ch.id, [first_post]))

    sim.faults.add(
        request="GetHistoryRequest",
        error="AUTH_KEY_UNREGISTERED",
        times=None,
        client=sim_phone(sim.dc_id, 1),
    )
    # real Telegram gives every account its own access hash: the stored one fails for p2
    sim.faults.add(
        request="JoinChannelRequest",
        error="CHANNEL_INVALID",
        times=1,
        client=sim_phone(sim.dc_id, 2),
    )
    await sim.post(ch, text="wakes e2e's reconciliation")

    async def handed_over() -> bool:
        return await state(world, wid) == ("approved", "p2")

    await poll(handed_over)
    await first.sync_watches()  # the lost account lets go of what it no longer owns
    assert not sim.is_member(ch, monitor_user(sim, 1))
    await second.sync_watches()
    assert sim.is_member(ch, monitor_user(sim, 2))
    assert await state(world, wid) == ("active", "p2")
    later = await sim.post(ch, text="recorded by p2")
    await poll(lambda: has_posts(store, ch.id, [later]))
    post = await store.get_post(ch.id, later)
    assert post is not None and post["captured_by"] == "p2"
    [lost] = await audit_actions(world.store, "account.logged_out")
    assert lost["subject"] == "account:e2e" and "AUTH_KEY_UNREGISTERED" in lost["why"]
