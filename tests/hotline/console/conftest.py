"""Fixtures of the console tests: an open store with users of every role and the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from clocks import TestClock, utc_now
from console_support import Env, make_env


@pytest.fixture
def clock() -> TestClock:
    return TestClock(utc_now().replace(microsecond=0))


@pytest.fixture
async def env(tmp_path: Path, clock: TestClock) -> AsyncIterator[Env]:
    e = await make_env(tmp_path, clock)
    try:
        yield e
    finally:
        await e.app.state.console.jobs.wait()
        await e.store.close()
