"""SQLite repositories of the review side and the audit trail
(:mod:`storage.repos.review`, :mod:`storage.repos.records`)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from storage.codec import to_db
from storage.models import (
    Alert,
    AlertState,
    AuditRecord,
    BankColumns,
    BankEntry,
    BankEntryIn,
    BankFeedback,
    BankInfo,
    MatchIn,
    MediaDisable,
)
from storage.repos.records import AuditRow
from storage.repos.review import EntryRef, EntryState, ImportCounts, RaisedAlert
from storage.sqlite import alerts, audit, bank_columns, banks, feedback
from storage.sqlite.connect import execute, fetch_all
from storage.sqlite.repo import Repo


class SQLiteBanks(Repo):
    async def get(self, name: str) -> BankInfo | None:
        return await banks.get_bank(self._c, name)

    async def list(self) -> builtins.list[BankInfo]:
        return await banks.list_banks(self._c)

    async def create(self, name: str, threshold: int, actor: str, now: datetime) -> BankInfo:
        return await banks.create_bank(self._c, name, threshold, actor, now)

    async def import_entries(
        self,
        bank: str,
        rows: Sequence[tuple[str, str, BankEntryIn]],
        actor: str,
        source: str,
        replace: bool,
        now: datetime,
    ) -> ImportCounts:
        return await banks.import_entries(self._c, bank, rows, actor, source, replace, now)

    async def disable_entry(self, entry_id: int, reason: str, now: datetime) -> EntryState:
        return await banks.disable_entry(self._c, entry_id, reason, now)

    async def entry(self, entry_id: int) -> EntryRef | None:
        return await banks.entry_ref(self._c, entry_id)

    def iter_entries(self, *, enabled_only: bool) -> AsyncIterator[BankEntry]:
        return banks.iter_entries(self._c, enabled_only=enabled_only)

    async def entries_by_source_ref(
        self, bank: str, refs: Sequence[str]
    ) -> builtins.list[BankEntry]:
        return await banks.entries_by_source_ref(self._c, bank, refs)

    def iter_columns(self, after_id: int = 0) -> AsyncIterator[BankColumns]:
        return bank_columns.iter_columns(self._c, after_id=after_id)

    async def enabled_marks(self, upto_id: int) -> dict[str, tuple[int, int]]:
        return await bank_columns.enabled_marks(self._c, upto_id)

    async def disable_for_media(
        self, entry_id: int, media_id: int, alert_id: int, actor: str, reason: str | None,
        now: datetime,
    ) -> bool:
        return await feedback.disable_for_media(
            self._c, entry_id, media_id, alert_id, actor, reason, now
        )

    async def media_disables(self) -> builtins.list[MediaDisable]:
        return await feedback.media_disables(self._c)

    async def feedback(self) -> builtins.list[BankFeedback]:
        return await feedback.bank_feedback(self._c)


class SQLiteAlerts(Repo):
    async def get(self, alert_id: int) -> Alert | None:
        return await alerts.get_alert(self._c, alert_id)

    async def list(self, state: AlertState | None = None) -> builtins.list[Alert]:
        return await alerts.list_alerts(self._c, state)

    async def attach(
        self,
        channel_id: int,
        message_id: int,
        matches: Sequence[MatchIn],
        priority: int,
        due_at: datetime,
        now: datetime,
    ) -> RaisedAlert:
        return await alerts.attach(self._c, channel_id, message_id, matches, priority, due_at, now)

    async def set_state(
        self,
        alert_id: int,
        to: AlertState,
        actor: str,
        note: str | None,
        now: datetime,
        expected: AlertState | None = None,
    ) -> Alert | None:
        return await alerts.set_state(self._c, alert_id, to, actor, note, now, expected)


class SQLiteNotices(Repo):
    async def claim(
        self, wanted: Sequence[tuple[int, str]], now: datetime
    ) -> list[tuple[int, str]]:
        claimed = []
        for alert_id, kind in wanted:
            rowcount, _ = await execute(
                self._c,
                "INSERT INTO hotline_notices (alert_id, kind, sent_at) VALUES (?, ?, ?) "
                "ON CONFLICT (alert_id, kind) DO NOTHING",
                (alert_id, kind, to_db(now)),
            )
            if rowcount == 1:
                claimed.append((alert_id, kind))
        return claimed

    async def sent_undecided(self) -> set[tuple[int, str]]:
        rows = await fetch_all(
            self._c,
            "SELECT n.alert_id, n.kind FROM hotline_notices n JOIN alerts a "
            "ON a.id = n.alert_id WHERE a.state IN ('open', 'claimed')",
        )
        return {(int(r[0]), str(r[1])) for r in rows}


class SQLiteAudit(Repo):
    async def insert(self, row: AuditRow) -> int:
        return await audit.insert(self._c, row)

    async def list(
        self,
        subject: str | None = None,
        limit: int = 100,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> builtins.list[AuditRecord]:
        return await audit.list_rows(
            self._c, subject, limit, actor=actor, action=action, since=since, until=until
        )
