"""Fixtures for the hotline tests: a real SQLite store on a manual clock, with
two operators and a supervisor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from clocks import TestClock
from hotline_support import T0, seed_users

from storage.sqlite import SQLiteStore


@pytest.fixture
def clock() -> TestClock:
    return TestClock(T0)


@pytest.fixture
async def store(tmp_path: Path, clock: TestClock) -> AsyncIterator[SQLiteStore]:
    """An open store at ``tmp_path/hotline.db`` with users otto, olga (operators), sam
    (supervisor) and ivan (investigator)."""
    s = SQLiteStore(tmp_path / "hotline.db", clock=clock)
    await s.open()
    try:
        await seed_users(s)
        yield s
    finally:
        await s.close()
