"""End-to-end fixtures: a tgsim server, a logged-in session file, settings that
point chanwatch at both, and a running monitor (real Telethon, real SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MonitorFactory, logged_in_session, make_settings

from monitor.access_control import AccessOptions
from monitor.app import MonitorApp
from monitor.settings import Settings
from storage.sqlite import SQLiteStore
from tgsim import Server


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    """A tgsim server on a free loopback port with a fresh state directory."""
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def session_file(sim: Server, tmp_path: Path) -> Path:
    """The monitor account's session file (test phone 1), logged in."""
    return await logged_in_session(sim, tmp_path / "monitor.session")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chanwatch.db"


@pytest.fixture
async def start_monitor(
    sim: Server, session_file: Path, db_path: Path
) -> AsyncIterator[MonitorFactory]:
    """Factory: ``await start_monitor()`` -> a started MonitorApp (stopped at teardown)."""
    apps: list[MonitorApp] = []

    async def factory(reconcile_interval: str = "2s", **kw: Any) -> MonitorApp:
        # These tests exercise the monitor's mechanics on lawful watches
        # (access_support.lawful_watch): the gate answers from fresh reads and the
        # one account may join every channel at once; the gate's and the pacing's
        # own rules are tested in test_authorization_*.py.
        kw.setdefault("access", AccessOptions(gate_ttl=timedelta(0)))
        base = make_settings(sim, session_file, db_path, reconcile_interval=reconcile_interval)
        unpaced = {"join_min_gap": "0s", "join_daily_limit": 500}
        settings = Settings(**{**base.model_dump(), "accounts": unpaced})
        app = MonitorApp(settings, watch_sync_every=timedelta(seconds=0.3), **kw)
        apps.append(app)
        await app.start()
        return app

    try:
        yield factory
    finally:
        for app in apps:
            await app.stop()


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SQLiteStore]:
    """A second connection to the monitor's database, as the CLI would open it."""
    s = SQLiteStore(db_path)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


