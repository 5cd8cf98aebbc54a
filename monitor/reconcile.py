"""History reconciliation: the source of truth for what a channel posted.

Telegram's updates are hints. Each watched channel has a worker that, when
woken (at start, after a reconnect, every few minutes, and shortly after a live
post), walks the channel's history upwards from its cursor
(``iter_messages(min_id=cursor, reverse=True)``) and runs every post it has not
yet seen in this run through the pipeline. The cursor advances only over posts
the pipeline committed, in message-id order, so a crash at any point never
skips a post: the next run starts again from the last committed cursor and the
store's idempotent ``record_post`` absorbs the replays.

A FloodWait blocks only the channel that met it: its worker sleeps for the wait
(logged with its length) and tries again; the other workers go on. A failure is
logged once (a warning) and again only after the channel recovered; an error
the worker did not expect (an answer it cannot read) backs off exponentially
from ``retry_delay`` up to :data:`MAX_BACKOFF`. A failed revisit of recent posts
(:mod:`monitor.revisit`) waits for the next revisit and never holds up history.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from telethon import TelegramClient
from telethon.errors import (
    AuthKeyError,
    ChannelInvalidError,
    ChannelPrivateError,
    FloodWaitError,
    RPCError,
    UnauthorizedError,
)

from handlers.post import Post
from monitor.history_check import OnceLog
from monitor.metrics import FLOOD_WAIT_SECONDS, RECONCILED_AT
from monitor.revisit import AuthorityOf, revisit
from monitor.telegram.convert import FetcherFactory, is_post, to_post
from storage.api import Store
from storage.errors import ChanwatchError

log = structlog.get_logger(__name__)

#: How many committed posts between two cursor writes (a crash replays at most these).
CURSOR_EVERY = 25
#: Posts of one channel's history in the pipeline at once (downloads and hashing
#: overlap, commits batch); the cursor still only passes committed posts in order.
CONCURRENCY = 8
#: A post whose media download failed is retried this many times in all before
#: the cursor passes it (its metadata is stored; the media row says "failed").
MEDIA_ATTEMPTS = 3
#: Wait before retrying a channel whose reconciliation failed.
RETRY_DELAY = 5.0
#: Longest wait between retries of a channel that keeps failing unexpectedly.
MAX_BACKOFF = 300.0


class Outcome(Protocol):
    @property
    def committed(self) -> bool: ...


class PostSink(Protocol):
    """What reconciliation and intake hand posts to (:class:`handlers.pipeline.Pipeline`)."""

    async def process(self, post: Post) -> Outcome: ...


LostHook = Callable[[int, str], Awaitable[None]]
#: Called with Telethon's error class name when the account's session is gone.
AccountLostHook = Callable[[str], Awaitable[None]]


@dataclass
class _Channel:
    peer: Any
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Message ids above the cursor already committed in this run (live events).
    done: set[int] = field(default_factory=set)
    blocked_until: float = 0.0
    task: asyncio.Task[None] | None = None
    passes: int = 0
    revisited_at: float = float("-inf")
    #: Message id -> failed media downloads so far (retried up to MEDIA_ATTEMPTS).
    media_failures: dict[int, int] = field(default_factory=dict)
    #: Unexpected failures in a row (exponential backoff).
    crashes: int = 0


@dataclass
class _Walk:
    """Progress of one pass over a channel's history."""

    start: int
    pending: int = 0  # highest message id passed (committed or skipped) so far
    written: int = 0  # the cursor as last written
    processed: int = 0
    since_write: int = 0

    def __post_init__(self) -> None:
        self.pending = self.written = self.start

    def pending_count(self) -> int:
        self.since_write += 1
        return self.since_write

    def wrote(self) -> None:
        self.written, self.since_write = self.pending, 0


def _media_failed(outcome: Outcome) -> bool:
    """The pipeline committed the post but its media handler failed (download)."""
    return "media" in getattr(outcome, "failed", ())


class NotCommitted(ChanwatchError):
    """The pipeline did not commit a post: the cursor must not pass it."""


class Reconciler:
    """One worker per watched channel; see the module docstring."""

    def __init__(
        self,
        client: TelegramClient,
        store: Store,
        sink: PostSink,
        *,
        account: str,
        fetcher_factory: FetcherFactory | None = None,
        on_lost: LostHook | None = None,
        on_account_lost: AccountLostHook | None = None,
        page_size: int = 100,
        retry_delay: float = RETRY_DELAY,
        concurrency: int = CONCURRENCY,
        revisit_every: float = 300.0,
        authority_of: AuthorityOf | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._sink = sink
        self._account = account
        self._fetchers = fetcher_factory
        self._on_lost = on_lost
        self._on_account_lost = on_account_lost
        self._page = page_size
        self._retry_delay = retry_delay
        self._concurrency = max(1, concurrency)
        self._revisit_every = revisit_every
        #: Asked before deletions are recorded (None: unrestricted run).
        self.authority_of = authority_of
        self._channels: dict[int, _Channel] = {}
        self._idle = asyncio.Condition()
        #: Each channel's failures are logged once until it recovers.
        self.once = OnceLog()

    # -- which channels ---------------------------------------------------
    def set_channels(self, peers: dict[int, Any]) -> None:
        """Start workers for new channels (and wake them), stop removed ones."""
        for cid in set(self._channels) - set(peers):
            ch = self._channels.pop(cid)
            if ch.task is not None:
                ch.task.cancel()
        for cid, peer in peers.items():
            if cid not in self._channels:
                ch = _Channel(peer=peer)
                self._channels[cid] = ch
                ch.task = asyncio.get_running_loop().create_task(
                    self._worker(cid, ch), name=f"reconcile-{cid}"
                )
                ch.wake.set()

    def channel_ids(self) -> set[int]:
        return set(self._channels)

    def peers(self) -> dict[int, Any]:
        """Channel id -> input peer of every channel with a worker."""
        return {cid: ch.peer for cid, ch in self._channels.items()}

    def lock_of(self, channel_id: int) -> asyncio.Lock | None:
        """The lock held while a channel's posts are processed (None: not watched)."""
        ch = self._channels.get(channel_id)
        return ch.lock if ch is not None else None

    def request(self, channel_id: int) -> None:
        """Ask for a reconciliation of one channel soon (coalesced)."""
        ch = self._channels.get(channel_id)
        if ch is not None:
            ch.wake.set()

    def request_all(self) -> None:
        for ch in self._channels.values():
            ch.wake.set()

    async def reconnected(self) -> None:
        """Reconnect hook: updates may have been missed, look at history."""
        log.info("reconcile_requested", why="reconnect", channels=len(self._channels))
        self.request_all()

    async def stop(self) -> None:
        tasks = [ch.task for ch in self._channels.values() if ch.task is not None]
        self._channels.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- live posts ---------------------------------------------------------
    async def process_live(self, message: Any) -> None:
        """A post that came as an update: record it now, advance the cursor later."""
        post = to_post(message, account=self._account, fetcher_factory=self._fetchers)
        ch = self._channels.get(post.channel_id)
        if ch is None:
            return
        async with ch.lock:
            outcome = await self._sink.process(post)
            if outcome.committed and not _media_failed(outcome):
                ch.done.add(post.message_id)
        self.request(post.channel_id)

    async def process_edit(self, message: Any) -> None:
        """An edited post: the pipeline keeps the previous text in ``edits``."""
        post = to_post(message, account=self._account, fetcher_factory=self._fetchers)
        ch = self._channels.get(post.channel_id)
        if ch is None:
            return
        async with ch.lock:
            await self._sink.process(post)

    # -- reconciliation -------------------------------------------------------
    async def reconcile(self, channel_id: int) -> int:
        """Walk one channel's history from its cursor; returns posts processed.

        Raises FloodWaitError, NotCommitted, RPC and connection errors to the
        caller (the worker), with the cursor left at the last committed post.
        """
        ch = self._channels.get(channel_id)
        if ch is None:
            return 0
        async with ch.lock:
            start = await self._store.get_cursor(channel_id)
            processed = 0
            cursor = start
            while True:
                # Until a pass finds nothing new: some Telethon releases (1.36)
                # end a reverse iteration from id 0 after the first page.
                walk = await self._pass(channel_id, ch, cursor)
                processed += walk.processed
                if walk.pending == cursor:
                    break
                cursor = walk.pending
            ch.done = {m for m in ch.done if m > cursor}
            if processed or cursor != start:
                log.info(
                    "channel_reconciled", channel_id=channel_id, posts=processed, cursor=cursor
                )
            return processed

    async def _pass(self, channel_id: int, ch: _Channel, cursor: int) -> _Walk:
        walk = _Walk(cursor)
        batch: list[Any] = []
        try:
            async for message in self._client.iter_messages(
                ch.peer, min_id=walk.start, reverse=True, wait_time=0
            ):
                if int(message.id) <= walk.start:
                    continue
                batch.append(message)
                if len(batch) >= self._concurrency:
                    await self._run_batch(channel_id, ch, batch, walk)
                    batch = []
            if batch:
                await self._run_batch(channel_id, ch, batch, walk)
        finally:
            if walk.pending > walk.written:
                await self._store.advance_cursor(channel_id, walk.pending)
        return walk

    async def _run_batch(
        self, channel_id: int, ch: _Channel, batch: list[Any], walk: _Walk
    ) -> None:
        """Run a batch of history messages through the pipeline concurrently, then
        advance over them in message-id order, stopping at the first failure."""
        todo: dict[int, Post] = {
            int(m.id): to_post(m, account=self._account, fetcher_factory=self._fetchers)
            for m in batch
            if int(m.id) not in ch.done and is_post(m)
        }
        results = await asyncio.gather(
            *(self._sink.process(post) for post in todo.values()), return_exceptions=True
        )
        outcomes = dict(zip(todo, results, strict=True))
        for message in batch:
            mid = int(message.id)
            if mid in outcomes:
                outcome = outcomes[mid]
                if isinstance(outcome, BaseException):
                    raise outcome
                if not outcome.committed:
                    raise NotCommitted(f"post {channel_id}/{mid} was not committed")
                if _media_failed(outcome):
                    tries = ch.media_failures[mid] = ch.media_failures.get(mid, 0) + 1
                    if tries < MEDIA_ATTEMPTS:
                        raise NotCommitted(
                            f"media of post {channel_id}/{mid} failed (attempt {tries}); "
                            "retried before the cursor passes it"
                        )
                    log.error("media_given_up", channel_id=channel_id, message_id=mid,
                              attempts=tries)
                ch.media_failures.pop(mid, None)
                walk.processed += 1
            ch.done.discard(mid)
            walk.pending = mid
            if walk.pending_count() >= CURSOR_EVERY:
                await self._store.advance_cursor(channel_id, walk.pending)
                walk.wrote()

    async def _worker(self, channel_id: int, ch: _Channel) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await ch.wake.wait()
            delay = ch.blocked_until - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            ch.wake.clear()
            try:
                await self.reconcile(channel_id)
                RECONCILED_AT.labels(str(channel_id)).set_to_current_time()
                if loop.time() - ch.revisited_at >= self._revisit_every:
                    await self._revisit(channel_id, ch)
                self._recovered(channel_id, ch)
            except FloodWaitError as exc:
                seconds = int(exc.seconds)
                FLOOD_WAIT_SECONDS.labels("history").inc(seconds)
                log.warning(
                    "flood_wait", request="history", channel_id=channel_id, seconds=seconds
                )
                ch.blocked_until = loop.time() + seconds
                ch.wake.set()
            except (UnauthorizedError, AuthKeyError) as exc:  # banned, deactivated, logged out
                log.error("account_lost", channel_id=channel_id, error=type(exc).__name__)
                if self._on_account_lost is not None:
                    await self._on_account_lost(type(exc).__name__)
                    return
                ch.blocked_until = loop.time() + self._retry_delay
                ch.wake.set()
            except (ChannelPrivateError, ChannelInvalidError) as exc:
                log.error("channel_lost", channel_id=channel_id, error=exc.message)
                if self._on_lost is not None:
                    await self._on_lost(channel_id, f"channel unreachable: {exc.message}")
                return
            except (TimeoutError, NotCommitted, RPCError, ConnectionError, OSError) as exc:
                self.once.warning(
                    (channel_id, "reconcile"), "reconcile_failed", channel_id=channel_id,
                    error=f"{type(exc).__name__}: {exc}", retry_in=self._retry_delay,
                )
                ch.blocked_until = loop.time() + self._retry_delay
                ch.wake.set()
            except Exception as exc:  # noqa: BLE001 - survives what it did not expect, backs off
                ch.crashes += 1
                wait = min(self._retry_delay * 2 ** min(ch.crashes - 1, 16), MAX_BACKOFF)
                self.once.warning((channel_id, "reconcile"), "reconcile_crashed", exc_info=True,
                                  channel_id=channel_id, retry_in=wait,
                                  error=f"{type(exc).__name__}: {exc}")
                ch.blocked_until = loop.time() + wait
                ch.wake.set()
            ch.passes += 1
            async with self._idle:
                self._idle.notify_all()

    def _recovered(self, channel_id: int, ch: _Channel) -> None:
        if self.once.clear((channel_id, "reconcile")):
            log.info("reconcile_recovered", channel_id=channel_id)
        ch.crashes = 0

    async def _revisit(self, channel_id: int, ch: _Channel) -> None:
        """Revisit recent posts; a failure other than a FloodWait or a lost channel or
        account is logged once and waits for the next revisit."""
        async with ch.lock:
            try:
                await revisit(
                    self._client, self._store, self._sink, channel_id=channel_id,
                    peer=ch.peer, account=self._account, fetcher_factory=self._fetchers,
                    authority_of=self.authority_of, once=self.once,
                )
            except (FloodWaitError, UnauthorizedError, AuthKeyError, ChannelPrivateError,
                    ChannelInvalidError):
                raise
            except Exception as exc:  # noqa: BLE001 - an answer it cannot use: logged once
                self.once.warning(
                    (channel_id, "revisit"), "revisit_failed", exc_info=True,
                    channel_id=channel_id, error=f"{type(exc).__name__}: {exc}",
                    retry_in=self._revisit_every,
                )
            else:
                if self.once.clear((channel_id, "revisit")):
                    log.info("revisit_recovered", channel_id=channel_id)
            ch.revisited_at = asyncio.get_running_loop().time()

    async def wait_idle(self, within: float) -> None:
        """Wait until every worker finished a pass with nothing left to do (tests, demo)."""
        async def _all_idle() -> None:
            async with self._idle:
                await self._idle.wait_for(
                    lambda: all(
                        not c.wake.is_set() and c.passes > 0 and not c.lock.locked()
                        for c in self._channels.values()
                    )
                )
        await asyncio.wait_for(_all_idle(), within)
