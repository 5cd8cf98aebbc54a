"""The domain operations of :class:`storage.api.Store`, written once on top of
``write``, ``read`` and ``reading`` (which :class:`storage.sqlite.SQLiteStore`
provides). Each method hands one function of :mod:`storage.sqlite.channels`,
``posts``, ``media``, ``banks``, ``alerts`` or ``audit`` to the writer or a
reader; every write returns after its batch committed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import aiosqlite

from storage.models import (
    Alert,
    AlertState,
    AuditRecord,
    Authority,
    BankEntry,
    BankEntryIn,
    BankInfo,
    Capture,
    ChannelRecord,
    MatchIn,
    MediaRecord,
    NewMedia,
    PostRecord,
    WatchRecord,
)
from storage.sqlite import alerts, audit, banks, channels, media, posts

T = TypeVar("T")


class StoreOperations(ABC):
    """Channels, watches, posts, cursors, media, banks, alerts and audit."""

    clock: Callable[[], datetime]

    @abstractmethod
    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...

    @abstractmethod
    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...

    @abstractmethod
    def reading(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    # ------------------------------------------------------- channels and watches

    async def upsert_channel(self, channel: ChannelRecord) -> None:
        await self.write(partial(channels.upsert_channel, channel=channel, now=self.clock()))

    async def get_channel(self, channel_id: int) -> ChannelRecord | None:
        return await self.read(partial(channels.get_channel, channel_id=channel_id))

    async def add_watch(
        self, target: str, actor: str, reason: str | None = None, *, state: str
    ) -> WatchRecord:
        """A new watch in ``state``, audited. There is no default: an approved
        watch comes from an approved request (monitor.access); a caller that
        inserts one directly (a test of the monitor or of the gate) says so."""
        return await self.write(
            partial(
                channels.add_watch,
                target=target,
                actor=actor,
                reason=reason,
                state=state,
                now=self.clock(),
            )
        )

    async def list_watches(self, states: Sequence[str] | None = None) -> list[WatchRecord]:
        return await self.read(partial(channels.list_watches, states=states))

    async def get_watch(self, watch_id: int) -> WatchRecord | None:
        return await self.read(partial(channels.get_watch, watch_id=watch_id))

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
        return await self.write(
            partial(
                channels.update_watch,
                watch_id=watch_id,
                actor=actor,
                now=self.clock(),
                state=state,
                channel_id=channel_id,
                account=account,
                reason=reason,
                wait_until=wait_until,
            )
        )

    async def watched_channel_ids(self) -> set[int]:
        return await self.read(channels.watched_channel_ids)

    # ---------------------------------------------------------------------- posts

    async def record_post(self, post: PostRecord) -> bool:
        return await self.write(partial(posts.record_post, post=post, now=self.clock()))

    async def mark_deleted(
        self,
        channel_id: int,
        message_ids: Sequence[int],
        at: datetime,
        authority: Authority | None = None,
    ) -> int:
        return await self.write(
            partial(
                posts.mark_deleted,
                channel_id=channel_id,
                message_ids=message_ids,
                at=at,
                authority=authority,
            )
        )

    async def get_post(self, channel_id: int, message_id: int) -> dict[str, Any] | None:
        return await self.read(
            partial(posts.get_post, channel_id=channel_id, message_id=message_id)
        )

    async def list_posts(
        self, channel_id: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        return await self.read(partial(posts.list_posts, channel_id=channel_id, limit=limit))

    async def count_posts(self, channel_id: int | None = None) -> int:
        return await self.read(partial(posts.count_posts, channel_id=channel_id))

    # -------------------------------------------------------------------- cursors

    async def get_cursor(self, channel_id: int) -> int:
        return await self.read(partial(channels.get_cursor, channel_id=channel_id))

    async def advance_cursor(self, channel_id: int, message_id: int) -> None:
        await self.write(
            partial(
                channels.advance_cursor,
                channel_id=channel_id,
                message_id=message_id,
                now=self.clock(),
            )
        )

    # ------------------------------------------------------------------ media

    async def find_media(
        self, *, file_id: str | None = None, sha256: str | None = None
    ) -> MediaRecord | None:
        return await self.read(partial(media.find_media, file_id=file_id, sha256=sha256))

    async def add_media(self, new: NewMedia, capture: Capture | None = None) -> MediaRecord:
        return await self.write(
            partial(media.add_media, media=new, now=self.clock(), capture=capture)
        )

    async def add_sighting(
        self,
        media_id: int,
        channel_id: int,
        message_id: int,
        authority: Authority | None = None,
    ) -> None:
        await self.write(
            partial(
                media.add_sighting,
                media_id=media_id,
                channel_id=channel_id,
                message_id=message_id,
                now=self.clock(),
                authority=authority,
            )
        )

    # ------------------------------------------------------------------- banks

    async def create_bank(self, name: str, threshold: int, actor: str) -> BankInfo:
        return await self.write(
            partial(
                banks.create_bank, name=name, threshold=threshold, actor=actor, now=self.clock()
            )
        )

    async def get_bank(self, name: str) -> BankInfo | None:
        return await self.read(partial(banks.get_bank, name=name))

    async def import_bank_entries(
        self,
        bank: str,
        entries: Sequence[BankEntryIn],
        actor: str,
        source: str,
        *,
        replace: bool = False,
    ) -> int:
        """Import atomically; returns how many entries are new to the bank.

        Entries already in the bank are updated (and re-enabled unless a person
        disabled them); ``withdrawn`` entries are disabled, never deleted. With
        ``replace=True`` the file is the bank's full list: entries absent from it
        are disabled too.
        """
        return await self.write(
            partial(
                banks.import_entries,
                bank=bank,
                entries=entries,
                actor=actor,
                source=source,
                replace=replace,
                now=self.clock(),
            )
        )

    async def disable_bank_entry(self, entry_id: int, actor: str, reason: str) -> None:
        """Disable one entry by hand (audited); a re-import does not re-enable it."""
        await self.write(
            partial(
                banks.disable_entry,
                entry_id=entry_id,
                actor=actor,
                reason=reason,
                now=self.clock(),
            )
        )

    async def list_banks(self) -> list[BankInfo]:
        return await self.read(banks.list_banks)

    async def iter_bank_entries(self, enabled_only: bool = True) -> AsyncIterator[BankEntry]:
        """Every entry (of every bank), streamed in chunks from one snapshot."""
        async with self.reading() as conn:
            async for entry in banks.iter_entries(conn, enabled_only=enabled_only):
                yield entry

    # ---------------------------------------------------------- matches, alerts

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
        return await self.write(
            partial(
                alerts.raise_alert,
                channel_id=channel_id,
                message_id=message_id,
                matches=matches,
                priority=priority,
                due_at=due_at,
                actor=actor,
                now=self.clock(),
                authority=authority,
            )
        )

    async def list_alerts(self, state: AlertState | None = None) -> list[Alert]:
        return await self.read(partial(alerts.list_alerts, state=state))

    async def get_alert(self, alert_id: int) -> Alert | None:
        return await self.read(partial(alerts.get_alert, alert_id=alert_id))

    async def transition_alert(
        self, alert_id: int, to: AlertState, actor: str, note: str | None = None
    ) -> Alert:
        return await self.write(
            partial(
                alerts.transition_alert,
                alert_id=alert_id,
                to=to,
                actor=actor,
                note=note,
                now=self.clock(),
            )
        )

    # ------------------------------------------------------------------- audit

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str,
        before: Any = None,
        after: Any = None,
        why: str | None = None,
    ) -> None:
        await self.write(
            partial(
                audit.append,
                at=self.clock(),
                actor=actor,
                action=action,
                subject=subject,
                before=before,
                after=after,
                why=why,
            )
        )

    async def list_audit(self, subject: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """Audit rows, newest first, optionally for one subject (``"alert:12"``)."""
        return await self.read(partial(audit.list_rows, subject=subject, limit=limit))
