"""Fixtures of the authorization end-to-end tests: a manual clock, users and
cases on the monitor's database, and monitors with authorization enforced."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from access_support import Recorded, World, e2e_clock, e2e_world
from e2e_support import make_settings

from access.clock import ManualClock
from monitor.access_control import AccessOptions
from monitor.app import MonitorApp
from monitor.settings import Settings
from tgsim import Server

AuthzMonitor = Callable[..., Awaitable[MonitorApp]]


@pytest.fixture
def clock() -> ManualClock:
    return e2e_clock()


@pytest.fixture
def notes() -> Recorded:
    return Recorded()


@pytest.fixture
async def world(db_path: Path, clock: ManualClock) -> AsyncIterator[World]:
    w = await e2e_world(db_path, clock)
    try:
        yield w
    finally:
        await w.store.close()


def settings_for(
    sim: Server, session: Path, db: Path, account: str = "e2e", **sections: Any
) -> Settings:
    """The e2e settings with another account name and extra sections."""
    base = make_settings(sim, session, db)
    telegram = base.telegram.model_copy(update={"account": account})
    return Settings(**{**base.model_dump(), "telegram": telegram.model_dump(), **sections})


@pytest.fixture
async def authz_monitor(
    sim: Server, session_file: Path, db_path: Path, clock: ManualClock, notes: Recorded
) -> AsyncIterator[AuthzMonitor]:
    """``await authz_monitor(settings=None, sync_every=1h)``: a started monitor with
    authorization enforced on the manual clock, its gate as in production (a
    cached "yes" lives ``ALLOW_TTL`` of the manual clock). With the default
    ``sync_every`` only the test's own ``sync_watches()`` calls and enforcement
    join or leave."""
    apps: list[MonitorApp] = []

    async def factory(
        settings: Settings | None = None, sync_every: timedelta = timedelta(hours=1)
    ) -> MonitorApp:
        app = MonitorApp(
            settings or make_settings(sim, session_file, db_path),
            watch_sync_every=sync_every,
            access=AccessOptions(clock=clock, notifier=notes),
        )
        apps.append(app)
        await app.start()
        return app

    try:
        yield factory
    finally:
        for app in apps:
            await app.stop()
