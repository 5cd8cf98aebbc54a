"""Old deletions through tgsim, on Telegram's behaviour and on an independent
server's quirks: a deletion made while the monitor was down, older than the
recent window, is recorded after a restart by the history sweep, which resumes
its pass; unexpected or failing answers neither crash nor loop the monitor; a
server of an older layer fails the start instead of looping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from access_support import lawful_watch
from e2e_support import MonitorFactory, has_posts, make_settings, poll
from quirk_support import QUIRKS
from structlog.testing import capture_logs
from telethon.errors import TypeNotFoundError
from telethon.tl.alltlobjects import LAYER

from monitor.app import MonitorApp
from monitor.revisit import WINDOW
from storage.models import SweepProgress
from storage.sqlite import SQLiteStore
from tgsim import Server

#: Failure events the monitor logs when an answer surprised it.
FAILURES = {"reconcile_crashed", "reconcile_failed", "revisit_failed", "history_sweep_failed",
            "unexpected_answer"}
#: Slow enough that the test can stop the monitor in the middle of a pass.
SWEEP = {"sweep_batch": 10, "sweep_interval": "0.4s"}


async def _progress(store: SQLiteStore, channel_id: int) -> SweepProgress | None:
    return await store.sweep_progress(channel_id)


@pytest.mark.parametrize("sim", list(QUIRKS), indirect=True)
async def test_old_deletion_while_down_is_recorded_after_restart(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """100 posts are recorded; the monitor is stopped in the middle of a sweep
    pass; a post far older than the last 50 is deleted meanwhile. After the
    restart the pass continues where it stopped (same pass, counts carried on) and
    records the deletion; nothing is logged as a failure."""
    ch = await sim.create_channel("Archive", username="sweep_archive")
    noise = await sim.create_channel("Noise", username="sweep_noise")
    ids = []
    for i in range(100):
        ids.append(await sim.post(ch, text=f"post {i}"))
        if i % 10 == 0:
            await sim.post(noise, text="elsewhere")
    await lawful_watch(store, "@sweep_archive")
    with capture_logs() as logs:
        app = await start_monitor(monitor=SWEEP)
        await poll(lambda: has_posts(store, ch.id, ids), timeout=30)

        async def mid_pass() -> bool:
            p = await _progress(store, ch.id)
            return p is not None and p.below is not None and p.checked >= 20

        await poll(mid_pass, timeout=30)
        await app.stop()
        stopped = await _progress(store, ch.id)
        assert stopped is not None and stopped.below is not None
        old = ids[3]
        assert old < stopped.below and ids.index(old) < len(ids) - WINDOW

        await sim.delete(ch, [old])
        await start_monitor(monitor=SWEEP)

        async def recorded() -> bool:
            post = await store.get_post(ch.id, old)
            return post is not None and post["deleted_at"] is not None

        await poll(recorded, timeout=60)

        def passes() -> list[dict[str, Any]]:
            return [e for e in logs
                    if e["event"] == "history_sweep_pass" and e["channel_id"] == ch.id]

        def that_pass() -> list[tuple[Any, Any, Any]]:
            return [(e["pass_no"], e["checked"], e["deleted"]) for e in passes()
                    if e["pass_no"] == stopped.pass_no]

        async def pass_ended() -> bool:
            return bool(that_pass())

        await poll(pass_ended, timeout=60)
    # The sweep found it (not a live update), in the pass begun before the restart
    # (on a loaded machine an earlier pass may have ended before the stop).
    assert that_pass() == [(stopped.pass_no, 100, 1)]
    assert not [e for e in logs if e["event"] in FAILURES]
    kept = await store.get_post(ch.id, ids[4])
    assert kept is not None and kept["deleted_at"] is None


@pytest.mark.parametrize("sim", ["telegram", "independent"], indirect=True)
async def test_failing_answers_neither_crash_nor_loop(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """Every by-id request fails for a while: revisit and sweep log it once per
    channel and back off, while live posts and deletions are still recorded;
    once the server answers again both say they recovered."""
    ch = await sim.create_channel("Shaky", username="sweep_shaky")
    first = [await sim.post(ch, text=f"p{i}") for i in range(5)]
    await lawful_watch(store, "@sweep_shaky")
    fault = sim.faults.add(request="channels.GetMessagesRequest", error="PEER_ID_INVALID",
                           times=None)
    with capture_logs() as logs:
        await start_monitor(reconcile_interval="1s",
                            monitor={"sweep_batch": 10, "sweep_interval": "0.1s"})
        await poll(lambda: has_posts(store, ch.id, first), timeout=30)
        await sim.delete(ch, [first[0]])  # live: recorded from the update
        live = await sim.post(ch, text="live")
        await poll(lambda: has_posts(store, ch.id, [live]), timeout=30)

        async def tried_often() -> bool:
            return fault.fired >= 8

        await poll(tried_often, timeout=30)
        failed = [e for e in logs if e["event"] in ("revisit_failed", "history_sweep_failed")]
        assert {e["event"] for e in failed} == {"revisit_failed", "history_sweep_failed"}
        warned = [e["event"] for e in failed if e["log_level"] == "warning"]
        assert sorted(warned) == ["history_sweep_failed", "revisit_failed"]
        assert not [e for e in logs if e["event"] == "reconcile_crashed"]
        gone = await store.get_post(ch.id, first[0])
        assert gone is not None and gone["deleted_at"] is not None

        sim.faults.clear()

        async def recovered() -> bool:
            return {"history_sweep_recovered", "revisit_recovered"} <= {e["event"] for e in logs}

        await poll(recovered, timeout=60)


async def test_a_server_of_an_older_layer_fails_the_start_cleanly(
    sim: Server, session_file: Path, db_path: Path, start_monitor: MonitorFactory,
    store: SQLiteStore,
) -> None:
    """Against a server that serves an older layer the monitor's start fails with
    an error (Telethon cannot read the server's user objects) and returns: no
    retry loop, nothing recorded; served its own layer again, it starts."""
    await lawful_watch(store, "@nowhere")
    sim.quirks.layer = LAYER - 1
    app = MonitorApp(make_settings(sim, session_file, db_path))
    try:
        with pytest.raises(Exception) as caught:
            await app.start()
    finally:
        await app.stop()
    chain: list[Any] = []
    err: BaseException | None = caught.value
    while err is not None:
        chain.append(err)
        err = err.__cause__ or err.__context__
    assert any(isinstance(e, TypeNotFoundError) or "layer" in str(e).lower() for e in chain)
    assert await store.count_posts() == 0
    sim.quirks.layer = None
    started = await start_monitor()
    assert started.sweep is not None and started.sweep.running
