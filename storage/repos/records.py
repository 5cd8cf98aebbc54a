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
    """One ledger row: the canonical record bytes and the columns selection uses.

    ``case_ref``, ``authz`` and ``channel`` are the record's ``case``,
    ``authorization`` and ``channel`` fields as text (None when absent); a
    backend stores them as given and filters on them, it never parses
    ``record``."""

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
    """One stored ledger row as read back: ``record`` and ``leaf_hash`` are the
    exact bytes that were inserted (never re-encoded)."""

    seq: int
    type: str
    at: str
    actor: str
    record: bytes
    leaf_hash: bytes


#: A row of :meth:`LedgerRepo.for_case` and, when the row names neither a case
#: nor an authorization, its ``channel`` column (else None).
CaseRow = tuple[LedgerRow, str | None]


class LedgerRepo(Protocol):
    """The evidence ledger table: append-only, gapless, in commit order.

    What every backend must guarantee (the Merkle tree, the signed checkpoints
    and every exported proof rest on it):

    * **Gapless seq in commit order.** The backend allocates ``seq``: the
      first row ever is 0 and every committed row is exactly one more than the
      previous committed one. Allocation and insert are one step under the
      backend's write serialization (SQLite: the single writer's
      ``BEGIN IMMEDIATE`` transaction; PostgreSQL: a transaction-scoped
      advisory lock taken before reading ``max(seq)``, held to COMMIT), so two
      transactions never get the same seq and a transaction that commits later
      never gets a lower one. A rolled-back transaction leaves no row and its
      seqs are handed out again.
    * **The caller builds the row for its seq.** ``build(seq)`` returns the
      :class:`LedgerInsert` (the seq is inside the canonical record bytes), so
      the backend calls it after allocating and inserts what it returns, with
      ``row.seq == seq``. ``build`` may raise (a bad record): then nothing is
      inserted and the exception propagates.
    * **Append-only.** There is no update or delete method, and the schema
      refuses UPDATE, DELETE and an INSERT whose seq is not the next one
      (triggers in SQLite, the same in PostgreSQL), so not even hand-typed SQL
      rewrites history without first dropping them.
    * **Exact bytes.** ``record`` and ``leaf_hash`` are returned exactly as
      inserted.

    Reads see the transaction's snapshot; every list is in ascending ``seq``
    unless said otherwise. Results may hold a million rows: a backend builds
    them off the event loop when there are many.
    """

    async def append(self, build: Callable[[int], LedgerInsert]) -> int:
        """Insert ``build(seq)`` at the next seq; return that seq."""
        ...

    async def append_many(
        self, builds: Sequence[Callable[[int], LedgerInsert]]
    ) -> list[int]:
        """Insert ``builds[i](first + i)`` for consecutive seqs from the next
        one, all or none; return the seqs."""
        ...

    async def size(self) -> int:
        """How many rows there are (the next seq)."""
        ...

    async def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        """The stored leaf hashes of seqs ``0 .. size-1`` (default: all)."""
        ...

    async def rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        types: Sequence[str] | None = None,
        type_prefix: str | None = None,
        case_ref: str | None = None,
        without_case: bool = False,
        channel: str | None = None,
        contains: bytes | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[LedgerRow]:
        """The rows matching every filter given (None: no filter; an empty
        sequence matches nothing). ``type_prefix``: ``type`` starts with it
        (case-sensitive, no wildcards); ``case_ref`` / ``channel``: that
        column equals it; ``without_case``: the row names no case
        (``case_ref`` NULL); ``contains``: ``record`` holds those bytes.
        ``newest_first`` reverses the order; ``limit`` keeps the first rows of
        that order."""
        ...

    async def for_case(
        self,
        case_ref: str,
        *,
        authorizations: Sequence[str] = (),
        channels: Sequence[str] = (),
    ) -> list[CaseRow]:
        """The candidate rows of a case export (:mod:`storage.ledger.selection`
        decides which of them belong to the case): every row whose
        ``case_ref`` is ``case_ref``, or whose ``authz`` is one of
        ``authorizations``, or that names neither (``case_ref`` and ``authz``
        NULL) and whose ``channel`` is one of ``channels``. Each row comes
        with its ``channel`` when it names neither a case nor an
        authorization, else with None."""
        ...


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint of the ledger tree: ``note`` is the whole C2SP
    signed note over (``origin``, ``tree_size``, ``root``)."""

    id: int
    tree_size: int
    root: bytes
    origin: str
    key_id: str
    note: str
    signed_at: str


class CheckpointsRepo(Protocol):
    """The signed checkpoints: append-only like the ledger (the schema refuses
    UPDATE and DELETE). Ids grow in commit order."""

    async def insert(
        self, checkpoint: StoredCheckpoint, *, after: int | None
    ) -> StoredCheckpoint | None:
        """Store ``checkpoint`` (its ``id`` is ignored) only if the newest
        stored checkpoint is the one with id ``after`` (None: none is stored
        yet); return it with its new id, or None and store nothing when
        another checkpoint came first. The check and the insert are atomic
        against other transactions (SQLite: the single writer's transaction;
        PostgreSQL: the same advisory lock as the ledger's seq), so two
        signers never both append after the same checkpoint."""
        ...

    async def latest(self) -> StoredCheckpoint | None:
        """The checkpoint with the highest id."""
        ...

    async def list(self) -> list[StoredCheckpoint]:
        """Every checkpoint, by id."""
        ...


@dataclass(frozen=True, slots=True)
class WitnessAck:
    """A witness's answer to one checkpoint: its HTTP ``status`` (None when it
    could not be reached) and ``body`` (the cosignature or the error)."""

    checkpoint_id: int
    witness_url: str
    status: int | None
    body: str
    received_at: str


class WitnessAcksRepo(Protocol):
    """What witnesses answered: append-only (no update, no delete)."""

    async def insert(self, ack: WitnessAck) -> None: ...

    async def last_acked_size(self, witness_url: str) -> int:
        """The tree size of the checkpoint named by the newest ack (highest id)
        with status 200 from ``witness_url``; 0 when there is none."""
        ...

    async def list(self) -> list[WitnessAck]:
        """Every ack, in the order they were stored."""
        ...


@dataclass(frozen=True, slots=True)
class TimestampAttempt:
    """One attempt to get an RFC 3161 timestamp for a checkpoint: its token
    (``response``) or the reason it failed (``error``)."""

    checkpoint_id: int
    tsa_url: str
    attempted_at: str
    imprint: bytes
    response: bytes | None
    gen_time: str | None
    tsa_name: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class TimestampGap:
    """A checkpoint whose timestamping was tried and has not succeeded yet."""

    checkpoint_id: int
    tree_size: int
    signed_at: str
    attempts: int
    last_attempt: str
    last_error: str


class TimestampsRepo(Protocol):
    """Every timestamp attempt, append-only."""

    async def insert(self, attempt: TimestampAttempt) -> None: ...

    async def token_of(self, checkpoint_id: int) -> TimestampAttempt | None:
        """The first successful attempt for the checkpoint, or None."""
        ...

    async def gaps(self, limit: int = 100) -> list[TimestampGap]:
        """Checkpoints tried but never stamped, oldest first."""
        ...

    async def latest_token(self) -> TimestampAttempt | None:
        """The successful attempt of the newest stamped checkpoint, or None."""
        ...
