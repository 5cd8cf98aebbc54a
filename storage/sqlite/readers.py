"""A small pool of read-only connections.

Each read runs inside its own deferred transaction, so every query of one read
sees the same committed snapshot; it never sees the writer's uncommitted batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import aiosqlite
import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")
ReadFn = Callable[[aiosqlite.Connection], Awaitable[T]]


class ReaderPool:
    def __init__(self, opener: Callable[[], Awaitable[aiosqlite.Connection]], size: int) -> None:
        if size < 1:
            raise ValueError(f"the reader pool needs at least 1 connection, not {size}")
        self._opener = opener
        self._slots = asyncio.Semaphore(size)
        self._idle: list[aiosqlite.Connection] = []
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection holding one snapshot for the duration of the block."""
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._opener()
            try:
                await conn.execute("BEGIN")
                yield conn
            finally:
                if await self._end(conn) and not self._closed:
                    self._idle.append(conn)
                else:
                    await conn.close()

    async def _end(self, conn: aiosqlite.Connection) -> bool:
        try:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("reader connection dropped", error=str(exc))
            return False
        return True

    async def run(self, fn: ReadFn[T]) -> T:
        async with self.connection() as conn:
            return await fn(conn)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()
