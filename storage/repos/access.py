"""Repositories of people and authority: users and their roles, API tokens,
cases, authorizations (and their extensions), watch requests and the links
from watches to them, and the Telegram accounts. Policy (who may, within which
limits) lives in :mod:`access`; these store and read rows.

Times are timezone-aware UTC; ``at`` is the time a change is stamped with
(the caller's clock, which is also the time of its audit row).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from storage.access_models import Account, Authorization, Case, User, WatchRequest


class UsersRepo(Protocol):
    async def count(self) -> int: ...
    async def insert(
        self, username: str, password_hash: str, roles: Sequence[str], *, at: datetime,
        actor: str,
    ) -> User: ...
    async def get(self, username: str) -> User | None: ...
    async def password_hash(self, username: str) -> str | None: ...
    async def list(self) -> list[User]: ...
    async def with_role(self, role: str) -> builtins.list[str]: ...  # active users' names, sorted
    async def set_active(self, user_id: int, active: bool, *, at: datetime) -> None: ...
    async def set_password_hash(
        self, user_id: int, password_hash: str, *, at: datetime
    ) -> None: ...


class TokensRepo(Protocol):
    async def insert(self, user_id: int, digest: str, label: str, *, at: datetime) -> int: ...
    async def owner(self, digest: str) -> User | None: ...
    # the user owning a live (not revoked) token with this digest, active or not
    async def revoke_all(self, user_id: int, *, at: datetime) -> int: ...  # how many


class CasesRepo(Protocol):
    async def insert(
        self, reference: str, title: str, investigator: str, supervisor: str, *,
        at: datetime, actor: str,
    ) -> Case: ...
    async def get(self, reference: str) -> Case | None: ...
    async def by_id(self, case_id: int) -> Case | None: ...
    async def list(self) -> list[Case]: ...


class AuthorizationsRepo(Protocol):
    async def insert(
        self,
        *,
        case_id: int,
        kind: str,
        authority: str,
        document_ref: str,
        valid_from: datetime,
        valid_until: datetime,
        scope: Sequence[str],
        at: datetime,
        actor: str,
    ) -> Authorization: ...
    async def get(self, authz_id: int) -> Authorization | None: ...
    async def list(self, case_id: int | None = None) -> list[Authorization]: ...
    async def update(self, authz_id: int, **fields: datetime | str | None) -> Authorization: ...
    # the given columns (valid_until, confirmed_*, confirm_*, revoked_*,
    # revoke_reason, ended_noted_at, reminded_until); the row after the change
    async def add_extension(
        self,
        authz_id: int,
        *,
        previous_until: datetime,
        new_until: datetime,
        authority: str,
        document_ref: str,
        at: datetime,
        actor: str,
    ) -> None: ...
    async def extensions(self, authz_id: int) -> builtins.list[dict[str, Any]]: ...


class RequestsRepo(Protocol):
    async def insert(
        self, *, case_id: int, target: str, channel_ref: str, reason: str, at: datetime,
        actor: str,
    ) -> WatchRequest: ...
    async def get(self, request_id: int) -> WatchRequest | None: ...
    async def list(
        self, *, case_id: int | None = None, state: str | None = None
    ) -> builtins.list[WatchRequest]: ...
    async def decide(
        self, request_id: int, *, state: str, by: str, at: datetime, note: str | None
    ) -> WatchRequest: ...  # only a request still ``requested`` changes
    async def link(self, request_id: int, watch_id: int) -> None: ...


class AccountsRepo(Protocol):
    async def insert(
        self, name: str, session_path: str, *, at: datetime, actor: str
    ) -> Account: ...
    async def get(self, name: str) -> Account | None: ...
    async def list(self) -> list[Account]: ...
    async def set_status(
        self, name: str, status: str, reason: str | None, *, at: datetime
    ) -> None: ...
    async def set_flood_until(self, name: str, until: datetime | None, *, at: datetime) -> None: ...
    async def set_channel_limit(self, name: str, limit: int | None, *, at: datetime) -> None: ...
    async def record_join(self, account_id: int, watch_id: int | None, *, at: datetime) -> None: ...
    async def joins_since(self, account_id: int, since: datetime) -> builtins.list[datetime]: ...
    # oldest first
    async def last_join(self, account_id: int) -> datetime | None: ...
    async def owned_counts(self, states: Sequence[str]) -> dict[str, int]: ...
    # per account name, how many watches in ``states`` it owns
