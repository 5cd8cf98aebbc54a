"""The history sweep: deletions of older posts are found, whatever their age.

Live deletion updates (:mod:`monitor.intake`) and the revisit of each channel's
last 50 stored posts (:mod:`monitor.revisit`) miss the deletion of an older
post made while the monitor was down. The sweep walks each watched channel's
stored, not deleted posts from the newest down, ``monitor.sweep_batch`` at a
time, and asks Telegram about them by id, reading the answer by id exactly as
the revisit does (:func:`monitor.history_check.check_ids`,
:func:`monitor.revisit.settle`): a post the server says is gone is marked
deleted under the channel's authorization (none valid: nothing is recorded), a
later edit goes through the pipeline and its authorization gate; a post the
server did not account for is left for the next pass.

* **Rate-limited.** One Telegram request per ``monitor.sweep_interval`` for the
  whole account: a batch costs one ``channels.getMessages``, plus history pages
  when the server left ids out of its answer. A FloodWait pauses the sweep for
  its length.
* **One channel at a time.** A channel's pass runs to its end, then the channel
  swept least recently goes next, so every channel gets one pass per cycle
  however its size compares with the others'.
* **Resumable.** After every batch the channel's progress (pass number, the
  message id it continues under, counts) is written to the database (table
  ``history_sweep``); a restart continues the open pass.
* **Visible.** ``history_sweep_pass`` is logged when a channel's pass ends (with
  posts checked and deletions found); ``chanwatch sweep`` prints every channel's
  progress.

Bound: with S stored posts in C watched channels, one cycle (a pass over every
channel) takes at most ``(S / sweep_batch + 2 C) * sweep_interval`` when the
server answers as Telegram does; a deletion of any post is recorded within two
cycles of it being made (within one when the pass had not reached the post).
An unexpected answer or error for a channel is logged once and that channel
backs off (doubling, up to :data:`MAX_BACKOFF`) while the others carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog
from telethon import TelegramClient
from telethon.errors import FloodWaitError

from monitor.history_check import OnceLog, check_ids
from monitor.revisit import AuthorityOf, Sink, settle
from monitor.telegram.convert import FetcherFactory
from storage.api import Store
from storage.models import SweepProgress

log = structlog.get_logger(__name__)

#: Longest a channel whose sweep keeps failing waits before it is tried again.
MAX_BACKOFF = 600.0

Peers = Callable[[], dict[int, Any]]
LockOf = Callable[[int], asyncio.Lock | None]


def _now() -> datetime:
    return datetime.now(UTC)


class HistorySweep:
    """Sweeps the channels ``peers()`` names (those with a reconciler worker)."""

    def __init__(
        self,
        client: TelegramClient,
        store: Store,
        sink: Sink,
        *,
        account: str,
        peers: Peers,
        lock_of: LockOf,
        fetcher_factory: FetcherFactory | None = None,
        authority_of: AuthorityOf | None = None,
        batch: int = 100,
        interval: float = 5.0,
        once: OnceLog | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._sink = sink
        self._account = account
        self._peers = peers
        self._lock_of = lock_of
        self._fetchers = fetcher_factory
        self._authority_of = authority_of
        self._batch = batch
        self._interval = interval
        self._once = once or OnceLog()
        self._task: asyncio.Task[None] | None = None
        self._blocked: dict[int, float] = {}  # channel id -> loop time it may go again
        self._failures: dict[int, int] = {}
        #: Batches checked and passes ended by this process (for status and tests).
        self.batches = 0
        self.passes = 0

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> None:
        """Start sweeping in the background (a ``batch`` of 0 switches it off)."""
        if self._batch > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="history-sweep")
            log.info("history_sweep_started", batch=self._batch, interval_s=self._interval)

    @property
    def running(self) -> bool:
        """Whether the sweep runs (started, with a batch above 0)."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Sweep until cancelled, one request per interval."""
        while True:
            requests = 0
            try:
                requests = await self.step()
            except FloodWaitError as exc:  # the whole account waits
                log.warning("flood_wait", request="sweep", seconds=int(exc.seconds))
                await asyncio.sleep(int(exc.seconds))
            except Exception as exc:  # noqa: BLE001 - e.g. the store: logged once, tried again
                self._once.warning((0, "sweep"), "history_sweep_failed", exc_info=True,
                                   error=f"{type(exc).__name__}: {exc}", retry_in=MAX_BACKOFF)
                await asyncio.sleep(MAX_BACKOFF)
                continue
            self._once.clear((0, "sweep"))
            await asyncio.sleep(self._interval * max(requests, 1))

    # -- one step -------------------------------------------------------------
    async def step(self) -> int:
        """Check the next batch of the channel due; returns the requests it made."""
        peers = self._peers()
        progress = {p.channel_id: p for p in await self._store.list_sweep_progress()}
        channel_id = self._due(peers, progress)
        if channel_id is None:
            return 0
        try:
            requests = await self._sweep_batch(channel_id, peers[channel_id],
                                               progress.get(channel_id))
        except FloodWaitError:
            raise
        except Exception as exc:  # noqa: BLE001 - one channel's trouble, logged once
            failures = self._failures[channel_id] = self._failures.get(channel_id, 0) + 1
            wait = min(self._interval * 2 ** min(failures, 16), MAX_BACKOFF)
            self._blocked[channel_id] = asyncio.get_running_loop().time() + wait
            self._once.warning((channel_id, "sweep"), "history_sweep_failed", exc_info=True,
                               channel_id=channel_id, error=f"{type(exc).__name__}: {exc}",
                               retry_in=wait)
            return 1
        if self._failures.pop(channel_id, None) is not None:
            self._blocked.pop(channel_id, None)
            if self._once.clear((channel_id, "sweep")):
                log.info("history_sweep_recovered", channel_id=channel_id)
        return requests

    def _due(self, peers: dict[int, Any], progress: dict[int, SweepProgress]) -> int | None:
        """An open pass first; else the channel swept least recently (never: first)."""
        now = asyncio.get_running_loop().time()
        ready = sorted(c for c in peers if self._blocked.get(c, 0.0) <= now)
        if not ready:
            return None
        for cid in ready:
            p = progress.get(cid)
            if p is not None and p.below is not None:
                return cid
        oldest = datetime.min.replace(tzinfo=UTC)

        def last_swept(cid: int) -> tuple[datetime, int]:
            p = progress.get(cid)
            return (p.last_pass_at or oldest if p is not None else oldest, cid)

        return min(ready, key=last_swept)

    async def _sweep_batch(self, channel_id: int, peer: Any, prev: SweepProgress | None) -> int:
        now = _now()
        if prev is None or prev.below is None:  # a new pass
            prev = SweepProgress(
                channel_id=channel_id,
                pass_no=(prev.pass_no + 1) if prev is not None else 1,
                below=None, checked=0, deleted=0, pass_started_at=now, updated_at=now,
                last_pass_at=prev.last_pass_at if prev is not None else None,
                last_pass_checked=prev.last_pass_checked if prev is not None else None,
                last_pass_deleted=prev.last_pass_deleted if prev is not None else None,
            )
        posts = await self._store.posts_to_sweep(channel_id, prev.below, self._batch)
        requests, marked = 0, 0
        if posts:
            lock = self._lock_of(channel_id) or asyncio.Lock()
            async with lock:
                checked = await check_ids(self._client, peer, channel_id,
                                          [p["message_id"] for p in posts], once=self._once)
                outcome = await settle(
                    checked, posts, self._store, self._sink, channel_id=channel_id,
                    account=self._account, fetcher_factory=self._fetchers,
                    authority_of=self._authority_of,
                )
            requests, marked = checked.requests, outcome.marked or 0
            self.batches += 1
        progress = replace(
            prev,
            below=min(p["message_id"] for p in posts) if posts else prev.below,
            checked=prev.checked + len(posts),
            deleted=prev.deleted + marked,
        )
        if len(posts) < self._batch:  # nothing older is stored: the pass ends
            progress = self._end_pass(progress, _now())
        await self._store.save_sweep_progress(progress)
        return requests

    def _end_pass(self, p: SweepProgress, now: datetime) -> SweepProgress:
        took = round((now - p.pass_started_at).total_seconds(), 1)
        if p.checked:
            log.info("history_sweep_pass", channel_id=p.channel_id, pass_no=p.pass_no,
                     checked=p.checked, deleted=p.deleted, took_s=took)
        self.passes += 1
        return replace(p, below=None, last_pass_at=now, last_pass_checked=p.checked,
                       last_pass_deleted=p.deleted)
