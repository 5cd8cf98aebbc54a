"""What the console calls: the access services (users, cases, watch requests,
accounts), the review queue, media spread and bank import, handed in by
``monitor``'s wiring.

This is the ONE module that names the access layer. Until the access package
(issue 16) lands, the services are described here as Protocols that
``monitor.access``'s classes satisfy (mypy checks that where ``monitor`` builds
:class:`ConsoleServices`); afterwards they become ``access.services.Services``
and only this module changes. Likewise :data:`ConsoleServices.refused` names
the access layer's refusal exceptions for :mod:`.errors` until the one error
vocabulary (``storage.errors``) gives them a category.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hotline.queue import AlertQueue
from storage.access_models import Account, Authorization, Case, User, WatchRequest
from storage.api import Store


class UsersService(Protocol):
    async def all(self) -> list[User]: ...
    async def get(self, username: str) -> User | None: ...
    async def by_token(self, token: str) -> User: ...
    async def by_password(self, username: str, password: str) -> User: ...
    async def logged_in(self, username: str, method: str, command: str) -> None: ...
    async def refuse(self, actor: str, command: str, reason: str) -> None: ...
    async def add(
        self, actor: str, username: str, roles: Sequence[str], password: str, why: str | None
    ) -> User: ...
    async def set_active(
        self, actor: str, username: str, active: bool, why: str | None
    ) -> User: ...


class CasesService(Protocol):
    async def all(self) -> list[Case]: ...
    async def get(self, reference: str) -> Case | None: ...
    async def authorizations(self, reference: str | None = None) -> list[Authorization]: ...
    def status(self, authz: Authorization) -> str: ...
    async def open(
        self, actor: str, reference: str, title: str, supervisor: str, why: str | None = None
    ) -> Case: ...
    async def authorize(
        self, actor: str, reference: str, *, kind: str, authority: str, document: str,
        valid_from: datetime, valid_until: datetime, scope: Sequence[str],
        why: str | None = None,
    ) -> Authorization: ...
    async def revoke(self, actor: str, authz_id: int, why: str) -> Authorization: ...


class RequestsService(Protocol):
    async def list(
        self, reference: str | None = None, state: str | None = None
    ) -> list[WatchRequest]: ...
    async def request_watch(
        self, actor: str, reference: str, target: str, reason: str
    ) -> WatchRequest: ...
    async def decide(
        self, actor: str, request_id: int, *, approve: bool, note: str | None = None
    ) -> WatchRequest: ...


class AccountViewLike(Protocol):
    @property
    def account(self) -> Account: ...
    @property
    def owned(self) -> int: ...
    @property
    def joins_24h(self) -> int: ...
    @property
    def next_join_at(self) -> datetime: ...


class AccountsService(Protocol):
    async def views(self) -> Sequence[AccountViewLike]: ...


#: ``spread(media_id)``: the medium's spread as one JSON-ready object (``media
#: spread --json``); raises LookupError for an unknown medium.
SpreadFn = Callable[[int], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What a bank import through the console did (as ``bank import`` says it)."""

    format: str
    entries: int
    added: int
    withdrawn: int
    duplicates: int
    errors: tuple[str, ...]  # "line N: what is wrong", as the CLI reports them
    imported: bool
    enabled_entries: int = 0
    total_entries: int = 0
    threshold: int | None = None


#: ``bank_import(actor, bank, data, fmt, skip_invalid, threshold, replace, progress)``:
#: parse and import a bank file with the CLI's own flow; ``progress(phase)`` is
#: called as it goes. Invalid lines without ``skip_invalid``: nothing imported.
BankImportFn = Callable[
    [str, str, bytes, str, bool, int | None, bool, Callable[[str], None]],
    Awaitable[ImportOutcome],
]


@dataclass(frozen=True, slots=True)
class ConsoleServices:
    store: Store
    queue: AlertQueue
    users: UsersService
    cases: CasesService
    requests: RequestsService
    accounts: AccountsService
    spread: SpreadFn
    bank_import: BankImportFn
    #: The access layer's refusal exceptions: (role or identity refused, policy refused).
    refused: tuple[type[Exception], ...] = ()
    policy: tuple[type[Exception], ...] = ()
    bank_formats: tuple[str, ...] = field(default=())
    clock: Callable[[], datetime] | None = None
