"""The backends the contract suite runs on, and raw SQL access to each (to
show that the database itself, not only the code, refuses what it must).

Issue 11 adds PostgreSQL here: a throwaway database per test on the server at
127.0.0.1:5432. Statements use ``?`` placeholders; a backend translates them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Protocol

#: Backend names the ``store`` fixture is parametrized over.
BACKENDS: tuple[str, ...] = ("sqlite",)


class DatabaseRefused(Exception):
    """The database refused a raw statement (constraint or trigger); the message
    is the database's."""


class RawDB(Protocol):
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None: ...


class SQLiteRaw:
    def __init__(self, path: Path) -> None:
        self._path = path

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self._path) as conn:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        conn = sqlite3.connect(self._path)
        try:
            with conn:
                conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise DatabaseRefused(str(exc)) from exc
        finally:
            conn.close()


def raw_for(store: object) -> RawDB:
    """Raw SQL on the database ``store`` (a test's store) uses."""
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return SQLiteRaw(path)
    raise TypeError(f"no raw access to a {type(store).__name__}")
