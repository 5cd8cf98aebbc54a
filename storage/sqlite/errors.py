"""SQLite's errors about the database file itself, in the error vocabulary.

A damaged, foreign, read-only or full database, or one that cannot be opened,
becomes a :class:`~storage.errors.DatabaseError` whose one line names the file
and the next step. Errors about the data (a constraint, a trigger's refusal)
are the caller's business and stay as they are; so does everything else.
A Python integer too large for SQLite's INTEGER becomes
:class:`~storage.errors.InvalidInput`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.errors import (
    DatabaseError,
    DatabaseFull,
    DatabaseReadOnly,
    InvalidInput,
    setting_label,
)

#: SQLite's primary result codes (the low byte of an extended code).
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

_CHECK_PATH = f"check {setting_label('database.path')} and --config"
LARGEST_INTEGER = 2**63 - 1


def primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def database_error(
    exc: BaseException, path: Path | str, *, reading: bool = False
) -> Exception | None:
    """The vocabulary's error for ``exc`` (raised on database ``path``), or None
    when ``exc`` is not about the database file. ``reading``: ``exc`` came from a
    read-only (``query_only``) connection, where a refused write is a bug in the
    caller, not a read-only file."""
    if isinstance(exc, OverflowError) and "SQLite INTEGER" in str(exc):
        return InvalidInput(
            f"a number is out of range for the database: at most {LARGEST_INTEGER}"
        )
    if not isinstance(exc, sqlite3.Error):
        return None
    code = primary_code(exc)
    detail = str(exc)
    where = str(path)
    if code == SQLITE_NOTADB:
        return DatabaseError(
            f"database {where} is not a chanwatch database ({detail}): {_CHECK_PATH}", where
        )
    if code == SQLITE_CORRUPT:
        return DatabaseError(
            f"database {where} is damaged ({detail}): stop chanwatch, keep a copy of the "
            f"file, and restore the last backup (sqlite3 {where} 'PRAGMA integrity_check' "
            "shows the damage)",
            where,
        )
    if code in (SQLITE_READONLY, SQLITE_PERM):
        return None if reading else read_only(where, detail)
    if code == SQLITE_FULL:
        return DatabaseFull(
            f"database {where} is full ({detail}): nothing of this change was written; "
            "free space on its disk, then try again",
            where,
        )
    if code == SQLITE_CANTOPEN:
        return DatabaseError(
            f"cannot open database {where} ({detail}): the file or its directory cannot be "
            f"opened or created by this user; {_CHECK_PATH}",
            where,
        )
    if code == SQLITE_IOERR:
        return DatabaseError(
            f"database {where}: input/output error ({detail}): check its disk and the "
            "system log",
            where,
        )
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseError(
            f"database {where} is locked by another process ({detail}); try again when "
            "it has finished",
            where,
        )
    return None


def read_only(where: str, detail: str) -> DatabaseReadOnly:
    return DatabaseReadOnly(
        f"database {where} is read-only ({detail}): this command writes; make the file "
        "and its directory writable for this user, or use a command that only reads",
        where,
    )


def translated(exc: BaseException, path: Path | str, *, reading: bool = False) -> BaseException:
    """``exc`` in the vocabulary when it is about the database file, else ``exc``."""
    return database_error(exc, path, reading=reading) or exc
