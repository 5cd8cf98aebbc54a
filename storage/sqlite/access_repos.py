"""SQLite repositories of people and authority (:mod:`storage.repos.access`)."""

from __future__ import annotations

import aiosqlite


class _Repo:
    __slots__ = ("_c",)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._c = conn


class SQLiteUsers(_Repo):
    pass


class SQLiteTokens(_Repo):
    pass


class SQLiteCases(_Repo):
    pass


class SQLiteAuthorizations(_Repo):
    pass


class SQLiteRequests(_Repo):
    pass


class SQLiteAccounts(_Repo):
    pass
