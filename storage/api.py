"""The store's contract: what ``access``, ``hotline``, ``handlers`` and
``monitor`` may ask of storage.

The core is :meth:`Store.transaction` / :meth:`Store.snapshot`: ``fn(tx)`` sees
only the repositories of :mod:`storage.repos` and the models, never a driver.
The domain operations below are written once on them
(:mod:`storage.operations`); the SQLite store (:mod:`storage.sqlite`)
implements the core with its single writer and group commit. Methods are
coroutines and never block the event loop. Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from storage.models import (
    Alert,
    AlertState,
    AuditRecord,
    Authority,
    BankColumns,
    BankEntry,
    BankEntryIn,
    BankFeedback,
    BankInfo,
    Capture,
    ChannelRecord,
    MatchIn,
    MediaDisable,
    MediaRecord,
    NewMedia,
    PostRecord,
    Sighting,
    StoredHashes,
    SweepProgress,
    WatchRecord,
)
from storage.repos import Transaction

T = TypeVar("T")


class Store(Protocol):
    # lifecycle
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # the contract: transaction(fn) runs fn(tx) in one write transaction and
    # returns its result after the COMMIT (fn must not commit or roll back; if it
    # raises, its changes are rolled back and the exception propagates).
    # snapshot(fn) runs fn(tx) read-only in one consistent snapshot; streaming()
    # holds one for a long read.
    async def transaction(self, fn: Callable[[Transaction], Awaitable[T]]) -> T: ...
    async def snapshot(self, fn: Callable[[Transaction], Awaitable[T]]) -> T: ...
    def streaming(self) -> AbstractAsyncContextManager[Transaction]: ...

    # channels and watches
    async def upsert_channel(self, channel: ChannelRecord) -> None: ...
    async def get_channel(self, channel_id: int) -> ChannelRecord | None: ...
    async def add_watch(
        self, target: str, actor: str, reason: str | None = None, *, state: str
    ) -> WatchRecord: ...  # audited; no default state: a caller says which one it records
    async def list_watches(self, states: Sequence[str] | None = None) -> list[WatchRecord]: ...
    async def get_watch(self, watch_id: int) -> WatchRecord | None: ...
    async def update_watch(
        self,
        watch_id: int,
        *,
        actor: str,
        state: str | None = None,
        channel_id: int | None = None,
        account: str | None = None,
        reason: str | None = None,
        wait_until: datetime | None = None,
    ) -> WatchRecord: ...
    async def watched_channel_ids(self) -> set[int]: ...

    # Every change below appends its evidence-ledger record in its own transaction
    # (storage.ledger.records); ``authority`` / ``capture`` say under which
    # authorization (and case) a capture was made.

    # posts: (channel_id, message_id) is unique; record_post is idempotent.
    # Returns True when the post is new. When the stored post's text differs and
    # the new one has a later edit date, the previous text goes to `edits`.
    async def record_post(self, post: PostRecord) -> bool: ...
    async def mark_deleted(
        self,
        channel_id: int,
        message_ids: Sequence[int],
        at: datetime,
        authority: Authority | None = None,
    ) -> int: ...
    async def get_post(self, channel_id: int, message_id: int) -> dict[str, Any] | None: ...
    async def list_posts(
        self, channel_id: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...
    async def count_posts(self, channel_id: int | None = None) -> int: ...

    # cursors: advance only after the post is committed; never go backwards.
    async def get_cursor(self, channel_id: int) -> int: ...
    async def advance_cursor(self, channel_id: int, message_id: int) -> None: ...

    # media and sightings
    async def find_media(
        self, *, file_id: str | None = None, sha256: str | None = None
    ) -> MediaRecord | None: ...
    async def add_media(
        self, media: NewMedia, capture: Capture | None = None
    ) -> MediaRecord: ...  # idempotent on file_id
    async def add_sighting(
        self, media_id: int, channel_id: int, message_id: int, authority: Authority | None = None
    ) -> None: ...

    # banks
    async def create_bank(self, name: str, threshold: int, actor: str) -> BankInfo: ...
    async def import_bank_entries(
        self,
        bank: str,
        entries: Sequence[BankEntryIn],
        actor: str,
        source: str,
        *,
        replace: bool = False,
    ) -> int: ...  # atomic: all or nothing; returns entries new to the bank; replace=True
    # disables (never deletes) entries absent from this import, withdrawn entries are disabled
    async def list_banks(self) -> list[BankInfo]: ...
    async def get_bank(self, name: str) -> BankInfo | None: ...
    async def disable_bank_entry(self, entry_id: int, actor: str, reason: str) -> None: ...
    def iter_bank_entries(self, enabled_only: bool = True) -> AsyncIterator[BankEntry]: ...

    # matches and alerts
    async def raise_alert(
        self,
        channel_id: int,
        message_id: int,
        matches: Sequence[MatchIn],
        priority: int,
        due_at: datetime,
        actor: str = "system:matcher",
        authority: Authority | None = None,
    ) -> Alert: ...  # one alert per post: later matches attach to the same alert
    async def list_alerts(self, state: AlertState | None = None) -> list[Alert]: ...
    async def get_alert(self, alert_id: int) -> Alert | None: ...
    # decisions on alerts are hotline.decisions.transition (state machine, audit,
    # learning), run in a transaction by hotline.queue.

    # matching: a medium's other hashes, recent media for re-matching, spread,
    # per-media disables, decisions per bank, bank entries as column chunks.
    async def get_media(self, media_id: int) -> MediaRecord | None: ...
    async def get_media_hashes(self, media_id: int) -> StoredHashes: ...
    async def get_media_hashes_many(
        self, media_ids: Sequence[int]
    ) -> dict[int, StoredHashes]: ...
    async def recent_media(self, since: datetime) -> list[MediaRecord]: ...
    async def list_sightings(
        self, media_ids: Sequence[int], since: datetime | None = None
    ) -> list[Sighting]: ...
    async def media_sharing_hashes(self, sha256: str | None, md5: str | None) -> list[int]: ...
    async def media_pdq(self) -> list[tuple[int, str, int | None]]: ...
    async def capture_authority(self, channel_id: int, message_id: int) -> Authority | None: ...
    async def media_disables(self) -> list[MediaDisable]: ...
    async def bank_feedback(self) -> list[BankFeedback]: ...
    def iter_bank_columns(self, after_id: int = 0) -> AsyncIterator[BankColumns]: ...
    async def bank_marks(self, upto_id: int) -> dict[str, tuple[int, int]]: ...

    # the history sweep (storage.sqlite.sweep): stored, not deleted posts under a
    # message id, newest first (message_id, edit_date); each channel's progress
    async def posts_to_sweep(
        self, channel_id: int, below: int | None, limit: int
    ) -> list[dict[str, Any]]: ...
    async def sweep_progress(self, channel_id: int) -> SweepProgress | None: ...
    async def list_sweep_progress(self) -> list[SweepProgress]: ...
    async def save_sweep_progress(self, progress: SweepProgress) -> SweepProgress: ...

    # audit: append-only
    async def audit(
        self,
        actor: str,
        action: str,
        subject: str,
        before: Any = None,
        after: Any = None,
        why: str | None = None,
    ) -> None: ...
    async def list_audit(
        self, subject: str | None = None, limit: int = 100
    ) -> list[AuditRecord]: ...
