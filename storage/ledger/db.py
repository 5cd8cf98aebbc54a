"""The read/write contract the ledger needs from a store, and a minimal
single-connection implementation of it.

The SQLite store's writer exposes ``await store.write(fn)`` (``fn`` runs inside
the writer's batch transaction) and ``await store.read(fn)``; anything with those
two methods is a :class:`TxRunner`. :class:`ConnectionRunner` is the small
stand-alone version used by offline CLI commands and tests: one connection,
one ``BEGIN IMMEDIATE`` transaction per ``write``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Protocol, TypeVar

import aiosqlite

T = TypeVar("T")

MIGRATION = "0002_ledger.sql"


class TxRunner(Protocol):
    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...
    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...


def migration_sql() -> str:
    return resources.files("storage.migrations").joinpath(MIGRATION).read_text("utf-8")


async def ensure_schema(conn: aiosqlite.Connection) -> None:
    """Create the ledger tables if missing (idempotent; the store's migration
    runner applies the same file)."""
    await conn.executescript(migration_sql())


class ConnectionRunner:
    """One SQLite connection; writes are serialized by a lock."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self, *, create: bool = True) -> None:
        if not create and not self._path.exists():
            raise FileNotFoundError(f"database {self._path} does not exist")
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
        if create:
            await ensure_schema(conn)
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("ConnectionRunner is not open")
        return self._conn

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                result = await fn(self.conn)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")
            return result

    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        async with self._lock:
            await self.conn.execute("BEGIN")
            try:
                return await fn(self.conn)
            finally:
                await self.conn.execute("COMMIT")
