"""Repositories of the append-only records: the audit trail and the evidence
ledger. Neither has an update or a delete method: there is no code path that
changes a stored record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.models import AuditRecord


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit row to insert (values already in their stored JSON form)."""

    at: str  # canonical UTC time text
    actor: str
    action: str
    subject: str
    before_json: str | None
    after_json: str | None
    why: str | None


class AuditRepo(Protocol):
    async def insert(self, row: AuditRow) -> int: ...
    async def list(
        self,
        subject: str | None = None,
        limit: int = 100,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[AuditRecord]: ...


@dataclass(frozen=True, slots=True)
class LedgerInsert:
    """One ledger row: the canonical record bytes and the columns selection uses."""

    seq: int
    type: str
    at: str
    actor: str
    case_ref: str | None
    authz: str | None
    channel: str | None
    record: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class LedgerRow:
    seq: int
    type: str
    at: str
    actor: str
    record: bytes
    leaf_hash: bytes


class LedgerRepo(Protocol):
    """The ledger table. The backend allocates ``seq`` (gapless, in commit
    order: SQLite's single writer, PostgreSQL's advisory lock); the caller
    builds the row for the seq it is given (:mod:`storage.ledger.ledger`)."""

    async def append(self, build: Callable[[int], LedgerInsert]) -> int: ...
    async def append_many(
        self, builds: Sequence[Callable[[int], LedgerInsert]]
    ) -> list[int]: ...
    async def size(self) -> int: ...
    async def leaf_hashes(self, size: int | None = None) -> list[bytes]: ...
    async def rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        types: Sequence[str] | None = None,
        channel: str | None = None,
        contains: bytes | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[LedgerRow]: ...
