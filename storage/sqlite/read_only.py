"""Opening a database this process may only read.

A database on a read-only file system, or whose file or directory this user
may not write, still serves reads: :class:`~storage.sqlite.store.SQLiteStore`
opens it with readers only, after checking here that its schema is complete
(nothing can be migrated without writing) and that it is chanwatch's.
"""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite

from storage.errors import DatabaseError, DatabaseReadOnly, setting_label
from storage.sqlite.connect import FileMode
from storage.sqlite.migrate import Migration


def unwritable(path: Path) -> str | None:
    """Why an existing database at ``path`` cannot be written (None: it can, or it
    does not exist yet and will be created)."""
    if not path.exists():
        return None
    if not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"its directory {path.parent} is not writable"
    return None


def read_only_mode(path: Path) -> FileMode:
    """``ro`` where SQLite can still share the database with writers (it can make
    or open the ``-shm`` file), ``immutable`` where nothing can (a read-only
    directory: nobody writes it meanwhile)."""
    if os.access(path.parent, os.W_OK | os.X_OK):
        return "ro"
    shm = path.with_name(path.name + "-shm")
    return "ro" if shm.exists() else "immutable"


async def check_read_only_schema(
    conn: aiosqlite.Connection, migrations: list[Migration], path: Path
) -> None:
    """Refuse a read-only database that is not chanwatch's, has a write-ahead log
    that an immutable open would ignore, or lacks migrations."""
    where = str(path)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0 and not os.access(path.parent, os.W_OK):
        raise DatabaseReadOnly(
            f"database {where} is read-only and has unfinished writes in {wal.name}: "
            "make its directory writable once so that they are applied",
            where,
        )
    rows = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )
    if not list(rows):
        raise DatabaseError(
            f"database {where} is not a chanwatch database (no schema_migrations table; "
            f"it is read-only, so it cannot be set up): check {setting_label('database.path')}",
            where,
        )
    versions = await conn.execute_fetchall("SELECT version FROM schema_migrations")
    applied = {int(r[0]) for r in versions}
    pending = [m.file for m in migrations if m.version not in applied]
    if pending:
        raise DatabaseReadOnly(
            f"database {where} is read-only and needs schema migrations ({', '.join(pending)}): "
            "make it writable once so that chanwatch can apply them",
            where,
        )
