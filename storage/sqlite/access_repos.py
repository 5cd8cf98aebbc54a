"""SQLite repositories of people and authority (:mod:`storage.repos.access`),
over the SQL of :mod:`storage.sqlite.access_sql`, ``authz_sql`` and
``accounts_sql``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.access_models import Account, Authorization, Case, User, WatchRequest
from storage.sqlite import access_sql, accounts_sql, authz_sql
from storage.sqlite.repo import Repo


class SQLiteUsers(Repo):
    async def count(self) -> int:
        return await access_sql.count_users(self._c)

    async def insert(
        self, username: str, password_hash: str, roles: Sequence[str], *, at: datetime,
        actor: str,
    ) -> User:
        return await access_sql.insert_user(
            self._c, username, password_hash, roles, at=at, actor=actor
        )

    async def get(self, username: str) -> User | None:
        return await access_sql.get_user(self._c, username)

    async def password_hash(self, username: str) -> str | None:
        return await access_sql.get_password_hash(self._c, username)

    async def list(self) -> list[User]:
        return await access_sql.list_users(self._c)

    async def with_role(self, role: str) -> builtins.list[str]:
        return await access_sql.usernames_with_role(self._c, role)

    async def set_active(self, user_id: int, active: bool, *, at: datetime) -> None:
        await access_sql.set_user_active(self._c, user_id, active, at=at)

    async def set_password_hash(self, user_id: int, password_hash: str, *, at: datetime) -> None:
        await access_sql.set_password_hash(self._c, user_id, password_hash, at=at)


class SQLiteTokens(Repo):
    async def insert(self, user_id: int, digest: str, label: str, *, at: datetime) -> int:
        return await access_sql.insert_token(self._c, user_id, digest, label, at=at)

    async def owner(self, digest: str) -> User | None:
        return await access_sql.user_by_token(self._c, digest)

    async def revoke_all(self, user_id: int, *, at: datetime) -> int:
        return await access_sql.revoke_tokens(self._c, user_id, at=at)


class SQLiteCases(Repo):
    async def insert(
        self, reference: str, title: str, investigator: str, supervisor: str, *,
        at: datetime, actor: str,
    ) -> Case:
        return await access_sql.insert_case(
            self._c, reference, title, investigator, supervisor, at=at, actor=actor
        )

    async def get(self, reference: str) -> Case | None:
        return await access_sql.get_case(self._c, reference)

    async def by_id(self, case_id: int) -> Case | None:
        return await access_sql.get_case_by_id(self._c, case_id)

    async def list(self) -> list[Case]:
        return await access_sql.list_cases(self._c)


class SQLiteAuthorizations(Repo):
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
    ) -> Authorization:
        return await authz_sql.insert_authorization(
            self._c, case_id=case_id, kind=kind, authority=authority, document_ref=document_ref,
            valid_from=valid_from, valid_until=valid_until, scope=scope, at=at, actor=actor,
        )

    async def get(self, authz_id: int) -> Authorization | None:
        return await authz_sql.get_authorization(self._c, authz_id)

    async def list(self, case_id: int | None = None) -> list[Authorization]:
        return await authz_sql.list_authorizations(self._c, case_id)

    async def update(self, authz_id: int, **fields: datetime | str | None) -> Authorization:
        return await authz_sql.update_authorization(self._c, authz_id, **fields)

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
    ) -> None:
        await authz_sql.insert_extension(
            self._c, authz_id, previous_until=previous_until, new_until=new_until,
            authority=authority, document_ref=document_ref, at=at, actor=actor,
        )

    async def extensions(self, authz_id: int) -> builtins.list[dict[str, Any]]:
        return await authz_sql.list_extensions(self._c, authz_id)


class SQLiteRequests(Repo):
    async def insert(
        self, *, case_id: int, target: str, channel_ref: str, reason: str, at: datetime,
        actor: str,
    ) -> WatchRequest:
        return await authz_sql.insert_request(
            self._c, case_id=case_id, target=target, channel_ref=channel_ref, reason=reason,
            at=at, actor=actor,
        )

    async def get(self, request_id: int) -> WatchRequest | None:
        return await authz_sql.get_request(self._c, request_id)

    async def list(
        self, *, case_id: int | None = None, state: str | None = None
    ) -> builtins.list[WatchRequest]:
        return await authz_sql.list_requests(self._c, case_id=case_id, state=state)

    async def decide(
        self, request_id: int, *, state: str, by: str, at: datetime, note: str | None
    ) -> WatchRequest:
        return await authz_sql.decide_request(
            self._c, request_id, state=state, by=by, at=at, note=note
        )

    async def link(self, request_id: int, watch_id: int) -> None:
        await authz_sql.link_request(self._c, request_id, watch_id)


class SQLiteAccounts(Repo):
    async def insert(self, name: str, session_path: str, *, at: datetime, actor: str) -> Account:
        return await accounts_sql.insert_account(self._c, name, session_path, at=at, actor=actor)

    async def get(self, name: str) -> Account | None:
        return await accounts_sql.get_account(self._c, name)

    async def list(self) -> list[Account]:
        return await accounts_sql.list_accounts(self._c)

    async def set_status(
        self, name: str, status: str, reason: str | None, *, at: datetime
    ) -> None:
        await accounts_sql.set_account_status(self._c, name, status, reason, at=at)

    async def set_flood_until(self, name: str, until: datetime | None, *, at: datetime) -> None:
        await accounts_sql.set_flood_until(self._c, name, until, at=at)

    async def set_channel_limit(self, name: str, limit: int | None, *, at: datetime) -> None:
        await accounts_sql.set_channel_limit(self._c, name, limit, at=at)

    async def record_join(self, account_id: int, watch_id: int | None, *, at: datetime) -> None:
        await accounts_sql.record_join(self._c, account_id, watch_id, at=at)

    async def joins_since(self, account_id: int, since: datetime) -> builtins.list[datetime]:
        return await accounts_sql.joins_since(self._c, account_id, since)

    async def last_join(self, account_id: int) -> datetime | None:
        return await accounts_sql.last_join(self._c, account_id)

    async def owned_counts(self, states: Sequence[str]) -> dict[str, int]:
        return await accounts_sql.count_owned(self._c, states)
