"""``SQLiteStore``: the default implementation of :class:`storage.api.Store`.

* One writer task owns the only write connection and commits in small batches
  (:mod:`storage.sqlite.writer`); a write call returns only after its batch has
  committed, so the monitor may advance a cursor as soon as ``record_post``
  returns.
* Reads use a small pool of read-only connections (:mod:`storage.sqlite.readers`).
* ``open()`` switches the file to WAL and applies pending migrations
  (:mod:`storage.sqlite.migrate`); ``close()`` flushes the writer.
* Other modules (ledger, access control) run their own SQL in the writer's
  transaction with :meth:`SQLiteStore.write` and on a reader with
  :meth:`SQLiteStore.read`.

Several processes may open the same file: SQLite's lock serializes their
writers and ``busy_timeout`` makes the second one wait instead of failing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from importlib.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiosqlite
import structlog

from storage.errors import StoreClosed
from storage.models import (
    Alert,
    AlertState,
    AuditRecord,
    BankEntry,
    BankEntryIn,
    BankInfo,
    ChannelRecord,
    MatchIn,
    MediaRecord,
    NewMedia,
    PostRecord,
    WatchRecord,
)
from storage.sqlite import alerts, audit, banks, channels, media, posts
from storage.sqlite.codec import utc_now
from storage.sqlite.connect import Synchronous, connect, enable_wal
from storage.sqlite.migrate import apply_migrations, load_migrations
from storage.sqlite.readers import ReaderPool
from storage.sqlite.writer import Writer

log = structlog.get_logger(__name__)

T = TypeVar("T")


class SQLiteStore:
    """The store on one SQLite file.

    ``batch_size``: most write operations committed together. ``max_batch_delay``
    (seconds): how long the writer may wait for more operations before it commits
    a batch that is not full (0: commit what is queued at once; batches still form
    under load while the previous commit syncs). ``synchronous``: FULL for
    evidence (the default); NORMAL exists for the benchmark. ``clock``: the time
    source for every stored timestamp (tests pass a fake one).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = 64,
        max_batch_delay: float = 0.0,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 30.0,
        readers: int = 4,
        clock: Callable[[], datetime] = utc_now,
        migrations: Traversable | Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if max_batch_delay < 0:
            raise ValueError(f"max_batch_delay must not be negative, not {max_batch_delay}")
        if busy_timeout <= 0:
            raise ValueError(f"busy_timeout must be positive, not {busy_timeout}")
        if readers < 1:
            raise ValueError(f"readers must be at least 1, not {readers}")
        self.path = Path(path)
        self._batch_size = batch_size
        self._max_batch_delay = max_batch_delay
        self._synchronous: Synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._readers_size = readers
        self.clock = clock
        self._migrations_source = migrations
        self._writer: Writer | None = None
        self._write_conn: aiosqlite.Connection | None = None
        self._readers: ReaderPool | None = None

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Open the write connection, switch to WAL, migrate, start the writer."""
        if self._writer is not None:
            return
        migrations = load_migrations(self._migrations_source)
        conn = await connect(
            self.path, busy_timeout=self._busy_timeout, synchronous=self._synchronous
        )
        try:
            await enable_wal(conn, self.path)
            applied = await apply_migrations(conn, migrations, self.clock)
        except BaseException:
            await conn.close()
            raise
        self._write_conn = conn
        self._writer = Writer(
            conn, batch_size=self._batch_size, max_batch_delay=self._max_batch_delay
        )
        self._writer.start()
        self._readers = ReaderPool(self._open_reader, self._readers_size)
        log.info(
            "store opened",
            path=str(self.path),
            migrations_applied=applied,
            synchronous=self._synchronous,
            batch_size=self._batch_size,
        )

    async def _open_reader(self) -> aiosqlite.Connection:
        return await connect(
            self.path,
            busy_timeout=self._busy_timeout,
            synchronous=self._synchronous,
            read_only=True,
        )

    async def close(self) -> None:
        """Commit everything queued, then close all connections. Idempotent."""
        writer, self._writer = self._writer, None
        readers, self._readers = self._readers, None
        conn, self._write_conn = self._write_conn, None
        if writer is not None:
            await writer.close()
        if readers is not None:
            await readers.close()
        if conn is not None:
            await conn.close()
            log.info("store closed", path=str(self.path))

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------ escape hatches

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``fn(conn)`` inside the writer's batch transaction.

        Returns ``fn``'s result once the batch has COMMITTED; if ``fn`` raises, its
        own changes are rolled back (savepoint) and the exception is raised here,
        while the other operations of the batch still commit. ``fn`` must not
        BEGIN, COMMIT or ROLLBACK, nor call ``store.write`` itself.
        """
        if self._writer is None:
            raise StoreClosed(f"store {self.path} is not open")
        return await self._writer.submit(fn)

    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``fn(conn)`` on a read-only connection, in one committed snapshot."""
        if self._readers is None:
            raise StoreClosed(f"store {self.path} is not open")
        return await self._readers.run(fn)

    @property
    def writer_stats(self) -> tuple[int, int]:
        """(committed batches, operations run) since open, for benchmarks."""
        w = self._writer
        return (0, 0) if w is None else (w.batches, w.operations)

    # ------------------------------------------------------- channels and watches

    async def upsert_channel(self, channel: ChannelRecord) -> None:
        await self.write(partial(channels.upsert_channel, channel=channel, now=self.clock()))

    async def get_channel(self, channel_id: int) -> ChannelRecord | None:
        return await self.read(partial(channels.get_channel, channel_id=channel_id))

    async def add_watch(
        self, target: str, actor: str, reason: str | None = None, state: str = "approved"
    ) -> WatchRecord:
        """A new watch, ``approved`` unless ``state`` says otherwise (the
        authorization workflow creates them ``requested``). Audited."""
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

    async def mark_deleted(self, channel_id: int, message_ids: Sequence[int], at: datetime) -> int:
        return await self.write(
            partial(posts.mark_deleted, channel_id=channel_id, message_ids=message_ids, at=at)
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

    async def add_media(self, new: NewMedia) -> MediaRecord:
        return await self.write(partial(media.add_media, media=new, now=self.clock()))

    async def add_sighting(self, media_id: int, channel_id: int, message_id: int) -> None:
        await self.write(
            partial(
                media.add_sighting,
                media_id=media_id,
                channel_id=channel_id,
                message_id=message_id,
                now=self.clock(),
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
        if self._readers is None:
            raise StoreClosed(f"store {self.path} is not open")
        async with self._readers.connection() as conn:
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
