"""Application wiring: start refuses a session that is not logged in, run() stops
cleanly on SIGTERM, a stopped monitor can start again. The monitor always runs
with authorization enforced; its watch is set up the lawful way."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import lawful_watch
from e2e_support import has_posts, logged_in_session, make_settings, poll

from monitor.access_control import AccessOptions
from monitor.app import MonitorApp, NotLoggedIn
from storage.sqlite import SQLiteStore
from tgsim import Server


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


async def test_not_logged_in_is_refused(sim: Server, tmp_path: Path) -> None:
    """A session file that never logged in stops the start with NotLoggedIn."""
    session = tmp_path / "fresh.session"
    session.write_bytes(b"")
    os.chmod(session, 0o600)
    app = MonitorApp(make_settings(sim, session, tmp_path / "a.db"))
    with pytest.raises(NotLoggedIn, match="chanwatch login"):
        await app.start()
    await app.stop()


async def test_sigterm_stops_run_cleanly(sim: Server, tmp_path: Path) -> None:
    """run() records while running and returns after SIGTERM with the store flushed."""
    session = await logged_in_session(sim, tmp_path / "m.session")
    db = tmp_path / "a.db"
    ch = await sim.create_channel("Sig", username="sig_chan")
    store = SQLiteStore(db)
    await store.open()
    try:
        await lawful_watch(store, "@sig_chan")
        # the gate reads afresh: its snapshot from before the join knows no channel id
        app = MonitorApp(make_settings(sim, session, db), watch_sync_every=timedelta(seconds=0.3),
                         access=AccessOptions(gate_ttl=timedelta(0)))
        runner = asyncio.create_task(app.run())
        first = await sim.post(ch, text="while running")
        await poll(lambda: has_posts(store, ch.id, [first]))
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(runner, 20)
        assert not app.client.is_connected()
        assert await store.get_cursor(ch.id) == first
    finally:
        await store.close()
