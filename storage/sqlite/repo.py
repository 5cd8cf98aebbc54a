"""The base of every SQLite repository: a repository is the SQL of one role,
bound to the connection of one transaction."""

from __future__ import annotations

import aiosqlite


class Repo:
    __slots__ = ("_c",)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._c = conn
