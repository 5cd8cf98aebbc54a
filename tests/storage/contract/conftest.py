"""The contract suite: every test here runs on every backend of
:data:`backends.BACKENDS` through the ``store`` fixture, and sees only the
store's contract (plus ``raw`` for what the database itself must refuse)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from clocks import TestClock
from db_backends import BACKENDS, RawDB, SQLiteRaw

from storage.sqlite import SQLiteStore


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(backend: str, db_path: Path, clock: TestClock) -> AsyncIterator[SQLiteStore]:
    assert backend == "sqlite", backend
    s = SQLiteStore(db_path, clock=clock)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def raw(backend: str, db_path: Path, store: SQLiteStore) -> RawDB:
    assert backend == "sqlite", backend
    return SQLiteRaw(db_path)
