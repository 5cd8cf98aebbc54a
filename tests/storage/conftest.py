"""Fixtures for the SQLite store tests: a real database file in ``tmp_path``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from clocks import TestClock
from sqlite_support import make_post, ticking_clock

from storage.models import ChannelRecord, PostRecord
from storage.sqlite import SQLiteStore


@pytest.fixture
def clock() -> TestClock:
    return ticking_clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chanwatch.db"


@pytest.fixture
async def store(db_path: Path, clock: TestClock) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(db_path, clock=clock)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def post_factory() -> Callable[..., PostRecord]:
    return make_post


@pytest.fixture
def channel() -> ChannelRecord:
    return ChannelRecord(id=100, access_hash=555, title="Demo", username="demo", type="broadcast")
