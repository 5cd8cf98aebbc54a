"""Opening a connection with the pragmas every chanwatch connection needs."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import aiosqlite

from storage.errors import StoreError
from storage.sqlite.errors import database_error, translated

Synchronous = Literal["FULL", "NORMAL", "EXTRA", "OFF"]
FileMode = Literal["rw", "ro", "immutable"]
_SYNC_LEVELS = ("FULL", "NORMAL", "EXTRA", "OFF")


async def connect(
    path: Path,
    *,
    busy_timeout: float,
    synchronous: Synchronous = "FULL",
    read_only: bool = False,
    file_mode: FileMode = "rw",
) -> aiosqlite.Connection:
    """Open ``path`` in autocommit mode: the caller issues BEGIN/COMMIT itself.

    Every connection gets ``busy_timeout`` (a second process waits instead of
    failing), ``foreign_keys=ON`` and the given ``synchronous`` level. Readers are
    ``query_only``: a read that tries to write fails loudly. ``file_mode`` ``ro``
    opens a file this process may not write; ``immutable`` one on a read-only
    file system without a write-ahead log (SQLite then takes no locks). Errors
    about the file are :mod:`storage.sqlite.errors`' (its path and what to do).
    """
    if synchronous not in _SYNC_LEVELS:
        raise ValueError(
            f"synchronous must be one of {', '.join(_SYNC_LEVELS)}, not {synchronous!r}"
        )
    if not path.parent.is_dir():
        raise StoreError(f"cannot open database {path}: directory {path.parent} does not exist")
    try:
        if file_mode == "rw":
            _create_private(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        else:
            uri = f"file:{quote(str(path))}?{'mode=ro' if file_mode == 'ro' else 'immutable=1'}"
            conn = await aiosqlite.connect(uri, isolation_level=None, uri=True)
    except sqlite3.Error as exc:
        raise (
            database_error(exc, path) or StoreError(f"cannot open database {path}: {exc}")
        ) from exc
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA synchronous = {synchronous}")
        if read_only:
            await conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        await conn.close()
        raise translated(exc, path) from exc
    except BaseException:
        await conn.close()
        raise
    return conn


def _create_private(path: Path) -> None:
    """Create a new database file with mode 0600 before SQLite opens it: SQLite
    gives its -wal and -shm files the database file's mode, so all three are
    readable by their owner only (case data, post texts)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror or exc}") from exc
    os.close(fd)


async def enable_wal(conn: aiosqlite.Connection, path: Path) -> None:
    """Switch the database to WAL (persistent; a no-op when it already is)."""
    try:
        async with conn.execute("PRAGMA journal_mode = WAL") as cur:
            row = await cur.fetchone()
    except sqlite3.Error as exc:
        raise (
            database_error(exc, path) or StoreError(f"cannot switch {path} to WAL: {exc}")
        ) from exc
    mode = str(row[0]).lower() if row is not None else "?"
    if mode != "wal":
        raise StoreError(f"database {path} is in journal mode {mode!r}, WAL is required")


# Each await on an aiosqlite connection is a round trip to its thread; these
# helpers make one round trip per statement (no separate fetch or close).


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> aiosqlite.Row | None:
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[aiosqlite.Row]:
    return list(await conn.execute_fetchall(sql, params))


async def execute(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> tuple[int, int | None]:
    """Run one statement; return (rowcount, lastrowid)."""
    cur = await conn.execute(sql, params)
    return cur.rowcount, cur.lastrowid
