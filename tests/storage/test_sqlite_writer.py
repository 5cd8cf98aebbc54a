"""The single writer: batched commits, results only after COMMIT, savepoints."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiosqlite
import pytest

from storage.errors import ConstraintViolation, StoreClosed, StoreError
from storage.sqlite import SQLiteStore


async def _create_scratch(conn: aiosqlite.Connection) -> None:
    await conn.execute("CREATE TABLE scratch (x INTEGER PRIMARY KEY)")


async def _drop_scratch(conn: aiosqlite.Connection) -> None:
    await conn.execute("DROP TABLE scratch")


def _insert(x: int) -> Callable[[aiosqlite.Connection], Awaitable[int]]:
    async def op(conn: aiosqlite.Connection) -> int:
        await conn.execute("INSERT INTO scratch (x) VALUES (?)", (x,))
        return x

    return op


def _outside(db_path: Path) -> set[int]:
    """What an independent connection (another process, say) sees committed."""
    with sqlite3.connect(db_path) as conn:
        return {r[0] for r in conn.execute("SELECT x FROM scratch")}


@pytest.fixture
async def batching_store(db_path: Path) -> AsyncIterator[SQLiteStore]:
    """Batches of 3 that wait up to 2 s to fill, so concurrent ops share a batch."""
    async with SQLiteStore(db_path) as plain:
        await plain.write(_create_scratch)
    s = SQLiteStore(db_path, batch_size=3, max_batch_delay=2.0)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def test_write_is_committed_when_it_returns(store: SQLiteStore, db_path: Path) -> None:
    """A second connection sees the row as soon as the awaited write returns."""
    await store.write(_create_scratch)
    assert await store.write(_insert(7)) == 7
    assert _outside(db_path) == {7}


async def test_result_waits_for_the_whole_batch(batching_store: SQLiteStore, db_path: Path) -> None:
    """An op's caller is not answered while a later op of its batch still runs,
    and its row is invisible to other connections until the batch commits."""
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(conn: aiosqlite.Connection) -> str:
        started.set()
        await release.wait()
        await conn.execute("INSERT INTO scratch (x) VALUES (2)")
        return "slow"

    first = asyncio.create_task(batching_store.write(_insert(1)))
    second = asyncio.create_task(batching_store.write(slow))
    third = asyncio.create_task(batching_store.write(_insert(3)))
    await started.wait()
    await asyncio.sleep(0.05)
    assert not first.done()
    assert _outside(db_path) == set()
    release.set()
    assert list(await asyncio.gather(first, second, third)) == [1, "slow", 3]
    assert _outside(db_path) == {1, 2, 3}


async def test_failing_op_keeps_its_neighbours(batching_store: SQLiteStore, db_path: Path) -> None:
    """One op raising inside a batch: its own changes roll back, its caller gets the
    exception, the other ops of the same batch commit."""

    async def half_then_fail(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO scratch (x) VALUES (20)")
        raise RuntimeError("boom")

    batches_before = batching_store.writer_stats[0]
    results = await asyncio.gather(
        batching_store.write(_insert(10)),
        batching_store.write(half_then_fail),
        batching_store.write(_insert(30)),
        return_exceptions=True,
    )
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], RuntimeError) and str(results[1]) == "boom"
    assert batching_store.writer_stats[0] == batches_before + 1  # one batch for all three
    assert _outside(db_path) == {10, 30}


async def test_constraint_error_reaches_only_its_caller(
    batching_store: SQLiteStore, db_path: Path
) -> None:
    """A UNIQUE violation is the failing op's error; neighbours still commit."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO scratch (x) VALUES (1)")
    results = await asyncio.gather(
        batching_store.write(_insert(2)),
        batching_store.write(_insert(1)),
        batching_store.write(_insert(3)),
        return_exceptions=True,
    )
    assert isinstance(results[1], ConstraintViolation)
    assert _outside(db_path) == {1, 2, 3}


async def test_batches_never_exceed_batch_size(db_path: Path) -> None:
    """100 concurrent writes with batch_size 16 need at least 7 commits; with
    batch_size 1 every write is its own commit."""
    for size, least in ((16, 7), (1, 100)):
        async with SQLiteStore(db_path, batch_size=size) as s:
            await s.write(_create_scratch)
            before = s.writer_stats[0]
            await asyncio.gather(*(s.write(_insert(i)) for i in range(100)))
            assert s.writer_stats[0] - before >= least
            if size == 1:
                assert s.writer_stats[0] - before == 100
            await s.write(_drop_scratch)


async def test_write_inside_write_is_refused(store: SQLiteStore) -> None:
    """An operation calling store.write itself would deadlock: it gets a clear error."""

    async def nested(conn: aiosqlite.Connection) -> None:
        await store.write(_create_scratch)

    with pytest.raises(StoreError, match="from inside the writer"):
        await store.write(nested)


async def test_op_that_commits_fails_its_batch(store: SQLiteStore) -> None:
    """An operation must not end the writer's transaction; doing so is an error."""

    async def commits(conn: aiosqlite.Connection) -> None:
        await conn.execute("COMMIT")

    with pytest.raises(StoreError, match="transaction"):
        await store.write(commits)
    await store.write(_create_scratch)  # the writer still works afterwards


async def test_close_flushes_queued_writes(db_path: Path) -> None:
    """Writes queued before close() are committed by it and answered."""
    s = SQLiteStore(db_path)
    await s.open()
    await s.write(_create_scratch)
    tasks = [asyncio.create_task(s.write(_insert(i))) for i in range(50)]
    await asyncio.sleep(0)
    await s.close()
    assert [t.result() for t in tasks] == list(range(50))
    assert _outside(db_path) == set(range(50))


async def test_write_after_close_is_refused(db_path: Path) -> None:
    """A closed store says so instead of hanging."""
    s = SQLiteStore(db_path)
    await s.open()
    await s.close()
    await s.close()  # idempotent
    with pytest.raises(StoreClosed):
        await s.write(_create_scratch)
    with pytest.raises(StoreClosed):
        await s.read(_create_scratch)


async def test_cancelled_caller_does_not_break_the_writer(
    batching_store: SQLiteStore, db_path: Path
) -> None:
    """A caller that gives up before its op runs: the op is skipped, others go on."""
    waiting = asyncio.create_task(batching_store.write(_insert(1)))
    await asyncio.sleep(0)
    waiting.cancel()
    both = await asyncio.gather(batching_store.write(_insert(2)), batching_store.write(_insert(3)))
    assert list(both) == [2, 3]
    assert _outside(db_path) == {2, 3}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"max_batch_delay": -1.0}, "max_batch_delay"),
        ({"busy_timeout": 0.0}, "busy_timeout"),
        ({"readers": 0}, "readers"),
    ],
)
def test_bad_options_are_refused(db_path: Path, kwargs: dict[str, float], message: str) -> None:
    """Nonsense writer options fail at construction, naming the option."""
    with pytest.raises(ValueError, match=message):
        SQLiteStore(db_path, **kwargs)  # type: ignore[arg-type]
