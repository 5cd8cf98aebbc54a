"""The SQLite migration runner: applies ``storage/migrations/sqlite/NNNN_name.sql``
files (read by :func:`storage.migrations.load_migrations`) in order, once each.

Applied versions are recorded in ``schema_migrations`` (version, name, SHA-256 of
the file, applied at). Each file runs in its own ``BEGIN IMMEDIATE`` transaction
together with its ``schema_migrations`` row, so a failing migration leaves
nothing behind, and two processes opening the same database at once apply each
file exactly once (the loser's INSERT hits the primary key and it moves on).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import aiosqlite
import structlog

from storage.codec import to_db
from storage.errors import DatabaseError, MigrationError, setting_label
from storage.migrations import Migration, load_migrations
from storage.sqlite.errors import database_error

__all__ = ["Migration", "apply_migrations", "load_migrations", "refuse_foreign"]

log = structlog.get_logger(__name__)

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""


async def _applied(conn: aiosqlite.Connection) -> dict[int, tuple[str, str]]:
    async with conn.execute("SELECT version, name, checksum FROM schema_migrations") as cur:
        return {int(r[0]): (str(r[1]), str(r[2])) for r in await cur.fetchall()}


def _check_known(applied: dict[int, tuple[str, str]], migrations: Iterable[Migration]) -> None:
    known = {m.version: m for m in migrations}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        newest = max(known, default=0)
        raise MigrationError(
            f"the database has schema migrations {', '.join(f'{v:04d}' for v in unknown)} "
            f"that this chanwatch does not know (it knows up to {newest:04d}): "
            "a newer version wrote this database"
        )
    for version, (name, checksum) in applied.items():
        if known[version].checksum != checksum:
            log.warning(
                "migration file changed after it was applied",
                version=version,
                name=name,
                file=known[version].file,
            )


async def apply_migrations(
    conn: aiosqlite.Connection,
    migrations: list[Migration],
    now: Callable[[], datetime],
    path: Path | str = "the database",
) -> list[int]:
    """Apply the pending ``migrations`` on ``conn`` (autocommit mode) in order.

    Returns the versions this call applied (another process may have applied
    some of them meanwhile; those are skipped). A database ``path`` that holds
    tables but no ``schema_migrations`` belongs to another program: refused.
    """
    await refuse_foreign(conn, path)
    await conn.execute(_CREATE_TABLE)
    applied = await _applied(conn)
    _check_known(applied, migrations)
    done: list[int] = []
    for m in migrations:
        if m.version in applied:
            continue
        # The schema_migrations row goes first: if another process applied the
        # file since we looked, the primary key refuses it before any DDL runs.
        script = (
            "BEGIN IMMEDIATE;\n"
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
            f"VALUES ({m.version}, '{m.name}', '{m.checksum}', '{to_db(now())}');\n"
            f"{m.sql}\n;\nCOMMIT;"
        )
        try:
            await conn.executescript(script)
        except sqlite3.IntegrityError as exc:
            await _rollback(conn)
            if "schema_migrations" in str(exc):
                log.info("migration applied by another process", version=m.version)
                continue
            raise MigrationError(f"migration {m.file} failed: {exc}") from exc
        except sqlite3.Error as exc:
            await _rollback(conn)
            about_file = database_error(exc, path)
            if about_file is not None:
                raise about_file from exc
            raise MigrationError(f"migration {m.file} failed: {exc}") from exc
        log.info("migration applied", version=m.version, file=m.file)
        done.append(m.version)
    return done


async def refuse_foreign(conn: aiosqlite.Connection, path: Path | str) -> None:
    """DatabaseError when the database holds tables but not ``schema_migrations``:
    it belongs to another program (checked before anything is written to it)."""
    rows = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
        "ORDER BY name"
    )
    tables = [str(r[0]) for r in rows]
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseError(
            f"database {path} is not a chanwatch database (it holds tables of another "
            f"program: {shown}): check {setting_label('database.path')} and --config",
            str(path),
        )


async def _rollback(conn: aiosqlite.Connection) -> None:
    if conn.in_transaction:
        await conn.execute("ROLLBACK")
