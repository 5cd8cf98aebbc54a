"""The single writer: one task owns the write connection and commits in batches.

Modelled on datasette's single write connection. Write operations are queued
callables ``fn(conn) -> Awaitable[T]``. The writer takes whatever is queued (up
to ``batch_size``, waiting at most ``max_batch_delay`` for more), runs each
operation inside ``BEGIN IMMEDIATE ... COMMIT`` under its own SAVEPOINT, and only
after the COMMIT hands every caller its result or its exception.

* A failing operation is rolled back to its savepoint; its neighbours in the
  batch are committed and their callers get their results.
* When the COMMIT itself fails, every operation of the batch gets the error
  (nothing of the batch was written).
* While one batch is being committed (fsync), new operations queue up and form
  the next batch: batching happens by itself under load.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import structlog

from storage.errors import DatabaseError, StoreClosed, StoreError
from storage.sqlite.errors import SQLITE_BUSY, SQLITE_LOCKED, database_error, primary_code

log = structlog.get_logger(__name__)

T = TypeVar("T")
WriteFn = Callable[[aiosqlite.Connection], Awaitable[T]]


@dataclass(slots=True)
class _Op:
    fn: WriteFn[Any]
    future: asyncio.Future[Any]


class Writer:
    """Owns ``conn`` (autocommit mode) once :meth:`start` is called."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        batch_size: int,
        max_batch_delay: float,
        path: Path | str = "the database",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if max_batch_delay < 0:
            raise ValueError(f"max_batch_delay must not be negative, not {max_batch_delay}")
        self._conn = conn
        self._path = path  # named in errors about the database file
        self._batch_size = batch_size
        self._max_delay = max_batch_delay
        self._queue: asyncio.Queue[_Op | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0  # committed batches, for tests and benchmarks
        self.operations = 0  # operations that ran (committed or rolled back to savepoint)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chanwatch-store-writer")

    async def submit(self, fn: WriteFn[T]) -> T:
        """Queue ``fn``; return its result once the batch holding it has committed."""
        if self._task is None or self._closing:
            raise StoreClosed("the store's writer is not running (store not open, or closed)")
        if asyncio.current_task() is self._task:
            raise StoreError(
                "a write operation called store.write() from inside the writer; "
                "use the connection the operation was given instead"
            )
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Op(fn, future))
        return await future

    async def close(self) -> None:
        """Run everything already queued, then stop. Idempotent."""
        if self._task is None:
            return
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(None)
        await asyncio.shield(self._task)

    async def _run(self) -> None:
        stop = False
        while not stop:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            stop = await self._collect(batch)
            try:
                await self._run_batch(batch)
            except BaseException as exc:
                # A bug or a cancellation: nobody may wait forever.
                failure = exc if isinstance(exc, Exception) else StoreClosed("writer stopped")
                self._fail(batch, failure)
                self._fail_queued(StoreClosed("the store's writer stopped"))
                raise
        log.debug("store writer stopped", batches=self.batches, operations=self.operations)

    async def _collect(self, batch: list[_Op]) -> bool:
        """Add queued operations to ``batch``; True when the close sentinel was seen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_delay
        while len(batch) < self._batch_size:
            try:
                op = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    op = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    return False
            if op is None:
                return True
            batch.append(op)
        return False

    async def _run_batch(self, batch: list[_Op]) -> None:
        ops = [op for op in batch if not op.future.done()]  # skip callers that gave up
        if not ops:
            return
        conn = self._conn
        try:
            await conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            log.error("store writer cannot begin a transaction", error=str(exc), ops=len(ops))
            busy = primary_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED)
            self._fail(
                ops,
                (None if busy else database_error(exc, self._path))
                or StoreError(f"cannot begin a write transaction on {self._path}: {exc}"),
            )
            return
        outcomes: list[tuple[_Op, bool, Any]] = []
        try:
            for op in ops:
                outcomes.append(await self._run_op(op))
            await conn.execute("COMMIT")
        except (sqlite3.Error, StoreError) as exc:
            log.error("store writer batch failed", error=str(exc), ops=len(ops))
            await self._rollback()
            self._fail(
                ops,
                exc if isinstance(exc, DatabaseError)
                else database_error(exc, self._path)
                or StoreError(f"write batch not committed: {exc}"),
            )
            return
        self.batches += 1
        self.operations += len(outcomes)
        for op, ok, value in outcomes:
            if op.future.done():
                continue
            if ok:
                op.future.set_result(value)
            else:
                op.future.set_exception(value)

    async def _run_op(self, op: _Op) -> tuple[_Op, bool, Any]:
        conn = self._conn
        await conn.execute("SAVEPOINT op")
        try:
            result = await op.fn(conn)
        except Exception as exc:
            if not conn.in_transaction:  # SQLite ended it: a full disk, an I/O error...
                raise (
                    database_error(exc, self._path)
                    or StoreError("a write operation ended the writer's transaction")
                ) from exc
            await conn.execute("ROLLBACK TO op")
            await conn.execute("RELEASE op")
            return op, False, exc
        if not conn.in_transaction:
            raise StoreError("a write operation committed or rolled back the writer's transaction")
        await conn.execute("RELEASE op")
        return op, True, result

    async def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                await self._conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.error("store writer rollback failed", error=str(exc))

    @staticmethod
    def _fail(ops: list[_Op], exc: BaseException) -> None:
        for op in ops:
            if not op.future.done():
                op.future.set_exception(exc)

    def _fail_queued(self, exc: BaseException) -> None:
        self._closing = True
        while True:
            try:
                op = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if op is not None and not op.future.done():
                op.future.set_exception(exc)
