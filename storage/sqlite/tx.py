"""The SQLite :class:`storage.repos.Transaction`: every repository bound to one
connection inside one transaction (the writer's batch savepoint, or a
reader's snapshot), each made on first use."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import aiosqlite

from storage.sqlite.access_repos import (
    SQLiteAccounts,
    SQLiteAuthorizations,
    SQLiteCases,
    SQLiteRequests,
    SQLiteTokens,
    SQLiteUsers,
)
from storage.sqlite.capture_repos import SQLiteChannels, SQLiteMedia, SQLitePosts, SQLiteWatches
from storage.sqlite.console_repos import SQLiteAlertPages, SQLiteStats, SQLiteWebSessions
from storage.sqlite.detection_repos import SQLiteDetections
from storage.sqlite.ledger_checkpoints import SQLiteCheckpoints, SQLiteWitnessAcks
from storage.sqlite.ledger_rows import SQLiteLedger
from storage.sqlite.ledger_timestamps import SQLiteTimestamps
from storage.sqlite.repo import Repo
from storage.sqlite.review_repos import SQLiteAlerts, SQLiteAudit, SQLiteBanks, SQLiteNotices
from storage.sqlite.sweep import SQLiteSweep

R = TypeVar("R", bound=Repo)


class _Lazy(Generic[R]):
    """A repository made on first use and kept for the rest of the transaction
    (most transactions touch two or three of the roles)."""

    def __init__(self, cls: type[R]) -> None:
        self._cls = cls
        self._slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, tx: SQLiteTransaction, owner: type | None = None) -> R:
        repo: R | None = getattr(tx, self._slot, None)
        if repo is None:
            repo = self._cls(tx._conn)
            setattr(tx, self._slot, repo)
        return repo


class SQLiteTransaction:
    __slots__ = (
        "_accounts",
        "_alert_pages",
        "_alerts",
        "_audit",
        "_authorizations",
        "_banks",
        "_cases",
        "_channels",
        "_checkpoints",
        "_conn",
        "_detections",
        "_ledger",
        "_media",
        "_notices",
        "_now",
        "_posts",
        "_read_only",
        "_requests",
        "_stats",
        "_sweep",
        "_timestamps",
        "_tokens",
        "_users",
        "_watches",
        "_web_sessions",
        "_witness_acks",
    )

    channels = _Lazy(SQLiteChannels)
    watches = _Lazy(SQLiteWatches)
    posts = _Lazy(SQLitePosts)
    media = _Lazy(SQLiteMedia)
    sweep = _Lazy(SQLiteSweep)
    banks = _Lazy(SQLiteBanks)
    alerts = _Lazy(SQLiteAlerts)
    notices = _Lazy(SQLiteNotices)
    detections = _Lazy(SQLiteDetections)
    audit = _Lazy(SQLiteAudit)
    ledger = _Lazy(SQLiteLedger)
    users = _Lazy(SQLiteUsers)
    tokens = _Lazy(SQLiteTokens)
    cases = _Lazy(SQLiteCases)
    authorizations = _Lazy(SQLiteAuthorizations)
    requests = _Lazy(SQLiteRequests)
    accounts = _Lazy(SQLiteAccounts)
    checkpoints = _Lazy(SQLiteCheckpoints)
    witness_acks = _Lazy(SQLiteWitnessAcks)
    timestamps = _Lazy(SQLiteTimestamps)
    web_sessions = _Lazy(SQLiteWebSessions)
    alert_pages = _Lazy(SQLiteAlertPages)
    stats = _Lazy(SQLiteStats)

    def __init__(self, conn: aiosqlite.Connection, now: datetime, *, read_only: bool) -> None:
        self._conn = conn
        self._now = now
        self._read_only = read_only

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def read_only(self) -> bool:
        return self._read_only
