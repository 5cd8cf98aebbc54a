"""Killing ``chanwatch run`` with SIGKILL in the middle of a burst of 500 posts and
restarting it loses none and duplicates none."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from access_support import approved_watch, authorize, e2e_clock, e2e_world
from e2e_support import drawing, logged_in_session, monitor_user, poll, settings_env, stored_ids
from tgsim_support import wait_for

from storage.sqlite import SQLiteStore
from tgsim import Server

BURST = 500


async def _spawn(env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CHANWATCH_")}
    full.update(env)
    full["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # the code under test
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "run",
        cwd=cwd, env=full, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"),
    )


async def _count_media(store: SQLiteStore) -> tuple[int, int]:
    async def q(conn: object) -> tuple[int, int]:
        cur = await conn.execute(  # type: ignore[attr-defined]
            "SELECT (SELECT count(*) FROM media), (SELECT count(*) FROM sightings)"
        )
        row = await cur.fetchone()
        return int(row[0]), int(row[1])

    return await store.read(q)


async def test_sigkill_mid_burst_loses_and_duplicates_nothing(
    sim: Server, tmp_path: Path
) -> None:
    """500 posts (every 50th a photo) while the monitor subprocess is SIGKILLed and
    restarted: afterwards exactly the 500 posts are stored, each photo once, the
    cursor is at the last post, and SIGTERM then stops the monitor cleanly.

    ``chanwatch run`` enforces authorization, so the watch is set up the lawful
    way: a case with a court authorization covering the channel, a request by
    an investigator approved by a supervisor."""
    session = await logged_in_session(sim, tmp_path / "monitor.session")
    db = tmp_path / "chanwatch.db"
    env = settings_env(sim, session, db, tmp_path / "server.pem", reconcile="2s")
    log = tmp_path / "monitor.log"
    ch = await sim.create_channel("Burst", username="burst_chan")
    world = await e2e_world(db, e2e_clock())
    store = world.store
    try:
        await authorize(world, "K-BURST", ["@burst_chan"])
        await approved_watch(world, "@burst_chan", "K-BURST")
        proc = await _spawn(env, tmp_path, log)
        try:
            await wait_for(lambda: sim.is_member(ch, monitor_user(sim)), timeout=30)
            ids: list[int] = [await sim.post(ch, text="first")]

            async def recording() -> bool:
                return await store.count_posts(ch.id) == 1

            await poll(recording, timeout=30)
            photos: list[int] = []
            killed = False
            for i in range(1, BURST):
                if i % 50 == 25:
                    photos.append(await sim.post(ch, photo=drawing(i), text=f"photo {i}"))
                    ids.append(photos[-1])
                else:
                    ids.append(await sim.post(ch, text=f"post {i}"))
                if i % 10 == 0:
                    await asyncio.sleep(0.01)  # let the monitor take some in
                if not killed and i >= 150 and await store.count_posts(ch.id) >= 20:
                    proc.send_signal(signal.SIGKILL)
                    await proc.wait()
                    killed = True
            assert killed, "the monitor recorded nothing during the first 150 posts"
            assert proc.returncode == -signal.SIGKILL
            recorded_at_kill = await store.count_posts(ch.id)
            assert recorded_at_kill < BURST

            proc = await _spawn(env, tmp_path, log)

            async def complete() -> bool:
                return await store.get_cursor(ch.id) == ids[-1]

            await poll(complete, timeout=120, interval=0.2)
            assert await stored_ids(store, ch.id) == ids
            media, sightings = await _count_media(store)
            assert (media, sightings) == (len(photos), len(photos))
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(proc.wait(), 30)
                assert code == 0, log.read_text()[-3000:]
    finally:
        await store.close()
