"""Repositories of the review side: hash banks and their entries, alerts and
their matches, and the hotline's sent notices. Rows only: the alert state
machine and learning from decisions live in :mod:`hotline`, the import rules
in :mod:`handlers.banks`, the ledger records in :mod:`storage.ledger.records`."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.models import (
    Alert,
    AlertState,
    BankColumns,
    BankEntry,
    BankEntryIn,
    BankFeedback,
    BankInfo,
    MatchIn,
    MediaDisable,
)


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What one import did to a bank."""

    import_id: int
    added: int
    withdrawn: int
    absent: int


@dataclass(frozen=True, slots=True)
class EntryState:
    enabled: bool
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class EntryRef:
    """A bank entry as a match names it."""

    bank: str
    hash_value: str
    category: str | None


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """What attaching matches to a post's alert did."""

    alert: Alert
    created: bool
    added: tuple[MatchIn, ...]  # the matches new to the alert


class BanksRepo(Protocol):
    async def get(self, name: str) -> BankInfo | None: ...
    async def list(self) -> builtins.list[BankInfo]: ...
    async def create(self, name: str, threshold: int, actor: str, now: datetime) -> BankInfo: ...
    # Conflict when the name exists.
    async def import_entries(
        self,
        bank: str,
        rows: Sequence[tuple[str, str, BankEntryIn]],  # (hash_type, value, entry), validated
        actor: str,
        source: str,
        replace: bool,
        now: datetime,
    ) -> ImportCounts: ...
    async def disable_entry(self, entry_id: int, reason: str, now: datetime) -> EntryState: ...
    # the state before; NotFound for an unknown id
    async def entry(self, entry_id: int) -> EntryRef | None: ...
    def iter_entries(self, *, enabled_only: bool) -> AsyncIterator[BankEntry]: ...
    async def entries_by_source_ref(
        self, bank: str, refs: Sequence[str]
    ) -> builtins.list[BankEntry]: ...  # enabled or not
    def iter_columns(self, after_id: int = 0) -> AsyncIterator[BankColumns]: ...
    async def enabled_marks(self, upto_id: int) -> dict[str, tuple[int, int]]: ...
    async def disable_for_media(
        self, entry_id: int, media_id: int, alert_id: int, actor: str, reason: str | None,
        now: datetime,
    ) -> bool: ...  # True when new
    async def media_disables(self) -> builtins.list[MediaDisable]: ...
    async def feedback(self) -> builtins.list[BankFeedback]: ...


class AlertsRepo(Protocol):
    async def get(self, alert_id: int) -> Alert | None: ...
    async def list(self, state: AlertState | None = None) -> builtins.list[Alert]: ...
    async def attach(
        self,
        channel_id: int,
        message_id: int,
        matches: Sequence[MatchIn],
        priority: int,
        due_at: datetime,
        now: datetime,
    ) -> RaisedAlert: ...  # the post's alert, created open if it has none
    async def set_state(
        self,
        alert_id: int,
        to: AlertState,
        actor: str,
        note: str | None,
        now: datetime,
        expected: AlertState | None = None,
    ) -> Alert | None: ...
    # claimed: sets claimed_by/at; otherwise decided_by/at; no rule checks. With
    # ``expected``: compare-and-set, None when the alert was no longer in that state.


class NoticesRepo(Protocol):
    async def claim(self, wanted: Sequence[tuple[int, str]], now: datetime) -> list[
        tuple[int, str]
    ]: ...  # the (alert, kind) pairs this call recorded (each once, ever)
    async def sent_undecided(self) -> set[tuple[int, str]]: ...  # of open/claimed alerts

