"""The store's domain operations, written once on the contract for every
backend: each is one ``transaction`` (writes) or ``snapshot`` (reads) that
calls the repositories and the change functions of :mod:`storage.capture` and
:mod:`storage.bank_entries`. A backend provides ``transaction``, ``snapshot``
and ``streaming`` and inherits these."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypeVar

from storage import bank_entries
from storage import capture as changes
from storage.changes import audited
from storage.ledger import records
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


class StoreOperations(ABC):
    """Channels, watches, posts, cursors, media, banks, alerts and audit."""

    @abstractmethod
    async def transaction(self, fn: Callable[[Transaction], Awaitable[T]]) -> T: ...

    @abstractmethod
    async def snapshot(self, fn: Callable[[Transaction], Awaitable[T]]) -> T: ...

    @abstractmethod
    def streaming(self) -> AbstractAsyncContextManager[Transaction]: ...

    # ------------------------------------------------------- channels and watches

    async def upsert_channel(self, channel: ChannelRecord) -> None:
        await self.transaction(lambda tx: tx.channels.upsert(channel, tx.now))

    async def get_channel(self, channel_id: int) -> ChannelRecord | None:
        return await self.snapshot(lambda tx: tx.channels.get(channel_id))

    async def add_watch(
        self, target: str, actor: str, reason: str | None = None, *, state: str
    ) -> WatchRecord:
        """A new watch in ``state``, audited. There is no default: an approved
        watch comes from an approved request (access); a caller that inserts one
        directly (a test of the monitor or of the gate) says so."""
        return await self.transaction(
            lambda tx: changes.add_watch(tx, target, actor, reason, state)
        )

    async def list_watches(self, states: Sequence[str] | None = None) -> list[WatchRecord]:
        return await self.snapshot(lambda tx: tx.watches.list(states))

    async def get_watch(self, watch_id: int) -> WatchRecord | None:
        return await self.snapshot(lambda tx: tx.watches.get(watch_id))

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
    ) -> WatchRecord:
        return await self.transaction(
            lambda tx: changes.update_watch(
                tx, watch_id, actor=actor, state=state, channel_id=channel_id, account=account,
                reason=reason, wait_until=wait_until,
            )
        )

    async def watched_channel_ids(self) -> set[int]:
        return await self.snapshot(lambda tx: tx.watches.watched_channel_ids())

    # ---------------------------------------------------------------------- posts

    async def record_post(self, post: PostRecord) -> bool:
        return await self.transaction(lambda tx: changes.record_post(tx, post))

    async def mark_deleted(
        self,
        channel_id: int,
        message_ids: Sequence[int],
        at: datetime,
        authority: Authority | None = None,
    ) -> int:
        return await self.transaction(
            lambda tx: changes.mark_deleted(tx, channel_id, message_ids, at, authority)
        )

    async def get_post(self, channel_id: int, message_id: int) -> dict[str, Any] | None:
        return await self.snapshot(lambda tx: tx.posts.get(channel_id, message_id))

    async def list_posts(
        self, channel_id: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        return await self.snapshot(lambda tx: tx.posts.list(channel_id, limit))

    async def count_posts(self, channel_id: int | None = None) -> int:
        return await self.snapshot(lambda tx: tx.posts.count(channel_id))

    # -------------------------------------------------------------------- cursors

    async def get_cursor(self, channel_id: int) -> int:
        return await self.snapshot(lambda tx: tx.channels.get_cursor(channel_id))

    async def advance_cursor(self, channel_id: int, message_id: int) -> None:
        await self.transaction(
            lambda tx: tx.channels.advance_cursor(channel_id, message_id, tx.now)
        )

    # ---------------------------------------------------------------- the sweep

    async def posts_to_sweep(
        self, channel_id: int, below: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """Stored, not deleted posts of a channel under ``below`` (None: any),
        newest first: their ``message_id`` and ``edit_date``."""
        return await self.snapshot(lambda tx: tx.sweep.posts_to_check(channel_id, below, limit))

    async def sweep_progress(self, channel_id: int) -> SweepProgress | None:
        return await self.snapshot(lambda tx: tx.sweep.progress(channel_id))

    async def list_sweep_progress(self) -> list[SweepProgress]:
        return await self.snapshot(lambda tx: tx.sweep.list_progress())

    async def save_sweep_progress(self, progress: SweepProgress) -> SweepProgress:
        return await self.transaction(lambda tx: tx.sweep.save_progress(progress, tx.now))

    # ---------------------------------------------------------------------- media

    async def find_media(
        self, *, file_id: str | None = None, sha256: str | None = None
    ) -> MediaRecord | None:
        return await self.snapshot(lambda tx: tx.media.find(file_id=file_id, sha256=sha256))

    async def add_media(self, new: NewMedia, capture: Capture | None = None) -> MediaRecord:
        return await self.transaction(lambda tx: changes.add_media(tx, new, capture))

    async def add_sighting(
        self,
        media_id: int,
        channel_id: int,
        message_id: int,
        authority: Authority | None = None,
    ) -> None:
        await self.transaction(
            lambda tx: changes.add_sighting(tx, media_id, channel_id, message_id, authority)
        )

    async def get_media(self, media_id: int) -> MediaRecord | None:
        return await self.snapshot(lambda tx: tx.media.get(media_id))

    async def get_media_hashes(self, media_id: int) -> StoredHashes:
        """SHA-1, dihedral PDQ and vPDQ of a medium (empty when it has none)."""
        return await self.snapshot(lambda tx: tx.media.hashes(media_id))

    async def get_media_hashes_many(self, media_ids: Sequence[int]) -> dict[int, StoredHashes]:
        return await self.snapshot(lambda tx: tx.media.hashes_many(media_ids))

    async def recent_media(self, since: datetime) -> list[MediaRecord]:
        """Hashed media with a sighting recorded at or after ``since``."""
        return await self.snapshot(lambda tx: tx.media.recent(since))

    async def list_sightings(
        self, media_ids: Sequence[int], since: datetime | None = None
    ) -> list[Sighting]:
        """Sightings of the media with their posts, channels and alerts, oldest post first."""
        return await self.snapshot(lambda tx: tx.media.sightings(media_ids, since))

    async def media_sharing_hashes(self, sha256: str | None, md5: str | None) -> list[int]:
        return await self.snapshot(lambda tx: tx.media.sharing_hashes(sha256, md5))

    async def media_pdq(self) -> list[tuple[int, str, int | None]]:
        """(media id, PDQ, quality) of every medium with a PDQ."""
        return await self.snapshot(lambda tx: tx.media.all_pdq())

    async def capture_authority(self, channel_id: int, message_id: int) -> Authority | None:
        """The authorization a recorded post was captured under (from the ledger)."""
        return await self.snapshot(
            lambda tx: records.capture_authority(tx, channel_id, message_id)
        )

    # ---------------------------------------------------------------------- banks

    async def create_bank(self, name: str, threshold: int, actor: str) -> BankInfo:
        return await self.transaction(
            lambda tx: bank_entries.create_bank(tx, name, threshold, actor)
        )

    async def get_bank(self, name: str) -> BankInfo | None:
        return await self.snapshot(lambda tx: tx.banks.get(name))

    async def list_banks(self) -> list[BankInfo]:
        return await self.snapshot(lambda tx: tx.banks.list())

    async def import_bank_entries(
        self,
        bank: str,
        entries: Sequence[BankEntryIn],
        actor: str,
        source: str,
        *,
        replace: bool = False,
    ) -> int:
        """Import atomically (:func:`storage.bank_entries.import_entries`)."""
        return await self.transaction(
            lambda tx: bank_entries.import_entries(
                tx, bank, entries, actor, source, replace=replace
            )
        )

    async def disable_bank_entry(self, entry_id: int, actor: str, reason: str) -> None:
        """Disable one entry by hand (audited); a re-import does not re-enable it."""
        await self.transaction(lambda tx: bank_entries.disable_entry(tx, entry_id, actor, reason))

    async def iter_bank_entries(self, enabled_only: bool = True) -> AsyncIterator[BankEntry]:
        """Every entry (of every bank), streamed in chunks from one snapshot."""
        async with self.streaming() as tx:
            async for entry in tx.banks.iter_entries(enabled_only=enabled_only):
                yield entry

    async def iter_bank_columns(self, after_id: int = 0) -> AsyncIterator[BankColumns]:
        """Enabled entries as column chunks per bank and hash type, from one
        snapshot; only those with an id above ``after_id``."""
        async with self.streaming() as tx:
            async for chunk in tx.banks.iter_columns(after_id):
                yield chunk

    async def bank_marks(self, upto_id: int) -> dict[str, tuple[int, int]]:
        """Per bank: (count, sum of ids) of enabled entries with an id up to ``upto_id``."""
        return await self.snapshot(lambda tx: tx.banks.enabled_marks(upto_id))

    async def media_disables(self) -> list[MediaDisable]:
        """Bank entries disabled for one medium (dismissed false positives)."""
        return await self.snapshot(lambda tx: tx.banks.media_disables())

    async def bank_feedback(self) -> list[BankFeedback]:
        """Confirmed and dismissed alerts, and per-media disables, per bank."""
        return await self.snapshot(lambda tx: tx.banks.feedback())

    # ----------------------------------------------------------- matches, alerts

    async def raise_alert(
        self,
        channel_id: int,
        message_id: int,
        matches: Sequence[MatchIn],
        priority: int,
        due_at: datetime,
        actor: str = "system:matcher",
        authority: Authority | None = None,
    ) -> Alert:
        return await self.transaction(
            lambda tx: changes.raise_alert(
                tx, channel_id, message_id, matches, priority, due_at, actor, authority
            )
        )

    async def list_alerts(self, state: AlertState | None = None) -> list[Alert]:
        return await self.snapshot(lambda tx: tx.alerts.list(state))

    async def get_alert(self, alert_id: int) -> Alert | None:
        return await self.snapshot(lambda tx: tx.alerts.get(alert_id))

    # ---------------------------------------------------------------------- audit

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str,
        before: Any = None,
        after: Any = None,
        why: str | None = None,
    ) -> None:
        await self.transaction(
            lambda tx: audited(tx, actor=actor, action=action, subject=subject,
                               before=before, after=after, why=why)
        )

    async def list_audit(self, subject: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """Audit rows, newest first, optionally for one subject (``"alert:12"``)."""
        return await self.snapshot(lambda tx: tx.audit.list(subject, limit))
