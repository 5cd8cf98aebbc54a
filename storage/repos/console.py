"""Repositories of the web console (:mod:`hotline.console`): server-side
sessions and sign-in failures, the queue read page by page, and the counts
behind ``/metrics``. Rows only: the session and lockout rules, the queue's
rules and who may see what live in :mod:`hotline.console` and
:mod:`hotline.queue`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from storage.models import Alert, AlertState


@dataclass(frozen=True, slots=True)
class WebSession:
    digest: str  # SHA-256 (hex) of the session id the cookie holds
    username: str
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SigninFailures:
    """Wrong passwords for one username since its last successful sign-in."""

    username: str
    failures: int
    lockouts: int
    first_at: datetime
    last_at: datetime
    locked_until: datetime | None = None


class WebSessionsRepo(Protocol):
    async def create(self, session: WebSession) -> None: ...
    async def get(self, digest: str) -> WebSession | None: ...
    async def touch(self, digest: str, now: datetime) -> None: ...
    async def revoke(self, digest: str, now: datetime, reason: str) -> bool: ...
    # True when it was live
    async def revoke_user(self, username: str, now: datetime, reason: str) -> int: ...
    async def failures(self, username: str) -> SigninFailures | None: ...
    async def set_failures(self, state: SigninFailures) -> None: ...
    async def clear_failures(self, username: str) -> None: ...


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which alerts a queue page shows. ``overdue_at``: only undecided alerts
    due at or before that time; ``case``: alerts of channels watched under a
    request of that case."""

    states: tuple[AlertState, ...] = ("open", "claimed")
    overdue_at: datetime | None = None
    bank: str | None = None
    channel_id: int | None = None
    case: str | None = None


@dataclass(frozen=True, slots=True)
class QueueKey:
    """An alert's place in the urgency order (the keyset cursor of a page)."""

    decided: bool
    priority: int
    due_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class QueueEntry:
    alert: Alert
    channel_title: str | None
    channel_username: str | None

    @property
    def key(self) -> QueueKey:
        a = self.alert
        return QueueKey(a.state in ("confirmed", "dismissed"), a.priority, a.due_at, a.id)


class AlertPagesRepo(Protocol):
    async def page(
        self, where: QueueFilter, after: QueueKey | None, limit: int
    ) -> list[QueueEntry]: ...  # most urgent first, with matches
    async def count(self, where: QueueFilter) -> int: ...
    async def marker(self) -> tuple[int, int]: ...
    # (newest alert id, newest audit id): changes when an alert is raised or changed
    async def channels(self) -> list[tuple[int, str | None, str | None]]: ...
    # (id, title, username) of channels with alerts


@dataclass(frozen=True, slots=True)
class Counts:
    """What ``/metrics`` reads from the database, at one time."""

    posts: int
    media_by_status: dict[str, int] = field(default_factory=dict)
    matches: int = 0
    alerts_by_state: dict[str, int] = field(default_factory=dict)
    alerts_overdue: int = 0
    notices_by_kind: dict[str, int] = field(default_factory=dict)
    accounts_by_status: dict[str, int] = field(default_factory=dict)
    ledger_size: int = 0
    ledger_signed_size: int = 0
    cursor_age: Sequence[tuple[int, datetime]] = ()  # (channel id, cursor last moved)


class StatsRepo(Protocol):
    async def counts(self, now: datetime) -> Counts: ...
