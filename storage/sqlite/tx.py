"""The SQLite :class:`storage.repos.Transaction`: every repository bound to one
connection inside one transaction (the writer's batch savepoint, or a
reader's snapshot)."""

from __future__ import annotations

from datetime import datetime

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
from storage.sqlite.review_repos import SQLiteAlerts, SQLiteAudit, SQLiteBanks, SQLiteNotices
from storage.sqlite.sweep import SQLiteSweep


class SQLiteTransaction:
    __slots__ = (
        "_conn", "_now", "_read_only", "accounts", "alert_pages", "alerts", "audit",
        "authorizations", "banks", "cases", "channels", "checkpoints", "detections", "ledger",
        "media", "notices", "posts", "requests", "stats", "sweep", "timestamps", "tokens",
        "users", "watches", "web_sessions", "witness_acks",
    )

    def __init__(self, conn: aiosqlite.Connection, now: datetime, *, read_only: bool) -> None:
        self._conn = conn
        self._now = now
        self._read_only = read_only
        self.channels = SQLiteChannels(conn)
        self.watches = SQLiteWatches(conn)
        self.posts = SQLitePosts(conn)
        self.media = SQLiteMedia(conn)
        self.sweep = SQLiteSweep(conn)
        self.banks = SQLiteBanks(conn)
        self.alerts = SQLiteAlerts(conn)
        self.notices = SQLiteNotices(conn)
        self.detections = SQLiteDetections(conn)
        self.audit = SQLiteAudit(conn)
        self.ledger = SQLiteLedger(conn)
        self.users = SQLiteUsers(conn)
        self.tokens = SQLiteTokens(conn)
        self.cases = SQLiteCases(conn)
        self.authorizations = SQLiteAuthorizations(conn)
        self.requests = SQLiteRequests(conn)
        self.accounts = SQLiteAccounts(conn)
        self.checkpoints = SQLiteCheckpoints(conn)
        self.witness_acks = SQLiteWitnessAcks(conn)
        self.timestamps = SQLiteTimestamps(conn)
        self.web_sessions = SQLiteWebSessions(conn)
        self.alert_pages = SQLiteAlertPages(conn)
        self.stats = SQLiteStats(conn)

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def read_only(self) -> bool:
        return self._read_only
