"""``SQLiteStore``: the default implementation of :class:`storage.api.Store`.

* One writer task owns the only write connection and commits in small batches
  (:mod:`storage.sqlite.writer`); a write call returns only after its batch has
  committed, so the monitor may advance a cursor as soon as ``record_post``
  returns.
* Reads use a small pool of read-only connections (:mod:`storage.sqlite.readers`).
* ``open()`` switches the file to WAL and applies pending migrations
  (:mod:`storage.sqlite.migrate`); ``close()`` flushes the writer.
* A database this process may not write (its file or directory read-only, a
  read-only file system) is opened for reading only: reads work, a write raises
  :class:`~storage.errors.DatabaseReadOnly`. Errors about the file (damaged,
  not a database, full) name it and the next step (:mod:`storage.sqlite.errors`).
* Other modules (ledger, access control) run their own SQL in the writer's
  transaction with :meth:`SQLiteStore.write` and on a reader with
  :meth:`SQLiteStore.read`.

Several processes may open the same file: SQLite's lock serializes their
writers and ``busy_timeout`` makes the second one wait instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from importlib.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

import aiosqlite
import structlog

from storage.codec import utc_now
from storage.errors import StoreClosed
from storage.operations import StoreOperations
from storage.repos import Transaction
from storage.sqlite.connect import FileMode, Synchronous, connect, enable_wal
from storage.sqlite.errors import read_only as read_only_error
from storage.sqlite.errors import translated
from storage.sqlite.migrate import (
    Migration,
    apply_migrations,
    load_migrations,
    refuse_foreign,
)
from storage.sqlite.read_only import check_read_only_schema, read_only_mode, unwritable
from storage.sqlite.readers import ReaderPool
from storage.sqlite.tx import SQLiteTransaction
from storage.sqlite.writer import Writer

log = structlog.get_logger(__name__)

T = TypeVar("T")


class SQLiteStore(StoreOperations):
    """The store on one SQLite file.

    ``batch_size``: most write operations committed together. ``max_batch_delay``
    (seconds): how long the writer may wait for more operations before it commits
    a batch that is not full (0: commit what is queued at once; batches still form
    under load while the previous commit syncs). ``synchronous``: FULL for
    evidence (the default); NORMAL exists for the benchmark. ``clock``: the time
    source for every stored timestamp (tests pass a fake one).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = 64,
        max_batch_delay: float = 0.0,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 30.0,
        readers: int = 4,
        clock: Callable[[], datetime] = utc_now,
        migrations: Traversable | Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if max_batch_delay < 0:
            raise ValueError(f"max_batch_delay must not be negative, not {max_batch_delay}")
        if busy_timeout <= 0:
            raise ValueError(f"busy_timeout must be positive, not {busy_timeout}")
        if readers < 1:
            raise ValueError(f"readers must be at least 1, not {readers}")
        self.path = Path(path)
        self._batch_size = batch_size
        self._max_batch_delay = max_batch_delay
        self._synchronous: Synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._readers_size = readers
        self.clock = clock
        self._migrations_source = migrations
        self._writer: Writer | None = None
        self._write_conn: aiosqlite.Connection | None = None
        self._readers: ReaderPool | None = None
        self._file_mode: FileMode = "rw"
        #: Why the database is open for reading only (None: it is writable).
        self.read_only: str | None = None

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Open the write connection, switch to WAL, migrate, start the writer."""
        if self._writer is not None or self._readers is not None:
            return
        migrations = load_migrations(self._migrations_source)
        reason = unwritable(self.path)
        if reason is not None:
            await self._open_read_only(migrations, reason)
            return
        conn = await connect(
            self.path, busy_timeout=self._busy_timeout, synchronous=self._synchronous
        )
        try:
            await refuse_foreign(conn, self.path)  # before WAL: leave another's file alone
            await enable_wal(conn, self.path)
            applied = await apply_migrations(conn, migrations, self.clock, self.path)
        except sqlite3.Error as exc:
            await conn.close()
            raise translated(exc, self.path) from exc
        except BaseException:
            await conn.close()
            raise
        self._write_conn = conn
        self._writer = Writer(
            conn,
            batch_size=self._batch_size,
            max_batch_delay=self._max_batch_delay,
            path=self.path,
        )
        self._writer.start()
        self._readers = ReaderPool(self._open_reader, self._readers_size)
        log.info(
            "store opened",
            path=str(self.path),
            migrations_applied=applied,
            synchronous=self._synchronous,
            batch_size=self._batch_size,
        )

    async def _open_reader(self) -> aiosqlite.Connection:
        return await connect(
            self.path,
            busy_timeout=self._busy_timeout,
            synchronous=self._synchronous,
            read_only=True,
            file_mode=self._file_mode,
        )

    async def _open_read_only(self, migrations: list[Migration], reason: str) -> None:
        """Readers only, on a database that is complete: a write raises DatabaseReadOnly."""
        self._file_mode = read_only_mode(self.path)
        self.read_only = reason
        self._readers = ReaderPool(self._open_reader, self._readers_size)
        try:
            await self.read(lambda conn: check_read_only_schema(conn, migrations, self.path))
        except BaseException:
            readers, self._readers = self._readers, None
            self.read_only = None
            await readers.close()
            raise
        log.info("store opened read-only", path=str(self.path), reason=reason)

    async def close(self) -> None:
        """Commit everything queued, then close all connections. Idempotent."""
        writer, self._writer = self._writer, None
        readers, self._readers = self._readers, None
        conn, self._write_conn = self._write_conn, None
        if writer is not None:
            await writer.close()
        if readers is not None:
            await readers.close()
        self.read_only = None
        self._file_mode = "rw"
        if conn is not None:
            await conn.close()
            log.info("store closed", path=str(self.path))

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------- the contract

    async def transaction(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` in the single writer's batch transaction; its result
        once the batch has COMMITTED. If ``fn`` raises, its own changes are rolled
        back (savepoint) and the exception is raised here, while the other
        operations of the batch still commit. ``fn`` must not call
        ``store.transaction`` itself: while it runs it holds the write lock."""

        async def run(conn: aiosqlite.Connection) -> T:
            return await fn(SQLiteTransaction(conn, self.clock(), read_only=False))

        return await self.write(run)

    async def snapshot(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` on a read-only connection, in one committed snapshot."""

        async def run(conn: aiosqlite.Connection) -> T:
            return await fn(SQLiteTransaction(conn, self.clock(), read_only=True))

        return await self.read(run)

    def streaming(self) -> AbstractAsyncContextManager[Transaction]:
        """``async with store.streaming() as tx``: a read-only transaction held
        for a longer read (streaming bank entries), in one committed snapshot."""
        return self._streaming()

    @asynccontextmanager
    async def _streaming(self) -> AsyncIterator[Transaction]:
        async with self.reading() as conn:
            yield SQLiteTransaction(conn, self.clock(), read_only=True)

    # ------------------------------------------------------------ escape hatches

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``fn(conn)`` inside the writer's batch transaction.

        Returns ``fn``'s result once the batch has COMMITTED; if ``fn`` raises, its
        own changes are rolled back (savepoint) and the exception is raised here,
        while the other operations of the batch still commit. ``fn`` must not
        BEGIN, COMMIT or ROLLBACK, nor call ``store.write`` itself, and should only
        run SQL: while it runs it holds the database's write lock.
        """
        if self._writer is None:
            if self.read_only is not None:
                raise read_only_error(str(self.path), self.read_only)
            raise StoreClosed(f"store {self.path} is not open")
        try:
            return await self._writer.submit(fn)
        except (sqlite3.Error, OverflowError) as exc:
            raise translated(exc, self.path) from exc

    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``fn(conn)`` on a read-only connection, in one committed snapshot."""
        if self._readers is None:
            raise StoreClosed(f"store {self.path} is not open")
        try:
            return await self._readers.run(fn)
        except (sqlite3.Error, OverflowError) as exc:
            raise translated(exc, self.path, reading=True) from exc

    def reading(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """``async with store.reading() as conn``: a reader held for a longer read
        (streaming), in one committed snapshot."""
        if self._readers is None:
            raise StoreClosed(f"store {self.path} is not open")
        return self._translating(self._readers)

    @asynccontextmanager
    async def _translating(self, readers: ReaderPool) -> AsyncIterator[aiosqlite.Connection]:
        try:
            async with readers.connection() as conn:
                yield conn
        except (sqlite3.Error, OverflowError) as exc:
            raise translated(exc, self.path, reading=True) from exc

    @property
    def writer_stats(self) -> tuple[int, int]:
        """(committed batches, operations run) since open, for benchmarks."""
        w = self._writer
        return (0, 0) if w is None else (w.batches, w.operations)
