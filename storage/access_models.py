"""Plain values of the access tables (migration 0003): users, cases,
authorizations, watch requests and Telegram accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    roles: tuple[str, ...]
    active: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    reference: str
    title: str
    investigator: str
    supervisor: str
    opened_at: datetime
    opened_by: str


@dataclass(frozen=True, slots=True)
class Authorization:
    id: int
    case_id: int
    case_reference: str
    kind: str  # court | prosecutor | emergency | public
    authority: str
    document_ref: str
    valid_from: datetime
    valid_until: datetime
    initial_until: datetime
    scope: tuple[str, ...]
    created_at: datetime
    created_by: str
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    ended_noted_at: datetime | None = None
    reminded_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class WatchRequest:
    id: int
    case_id: int
    case_reference: str
    target: str
    channel_ref: str
    reason: str
    state: str  # requested | approved | refused
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    watch_id: int | None = None


@dataclass(frozen=True, slots=True)
class WatchLink:
    """A watch together with what it needs to be checked against authorizations."""

    watch_id: int
    target: str
    state: str
    channel_id: int | None
    username: str | None
    account: str | None


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    session_path: str
    status: str  # active | disabled | banned | deactivated | logged_out
    status_reason: str | None
    channel_limit: int | None  # None: the setting's default
    flood_until: datetime | None
    created_at: datetime
    created_by: str
