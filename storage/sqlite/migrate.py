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

import aiosqlite
import structlog

from storage.codec import to_db
from storage.errors import MigrationError
from storage.migrations import Migration, load_migrations

__all__ = ["Migration", "apply_migrations", "load_migrations"]

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
) -> list[int]:
    """Apply the pending ``migrations`` on ``conn`` (autocommit mode) in order.

    Returns the versions this call applied (another process may have applied
    some of them meanwhile; those are skipped).
    """
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
            raise MigrationError(f"migration {m.file} failed: {exc}") from exc
        log.info("migration applied", version=m.version, file=m.file)
        done.append(m.version)
    return done


async def _rollback(conn: aiosqlite.Connection) -> None:
    if conn.in_transaction:
        await conn.execute("ROLLBACK")
