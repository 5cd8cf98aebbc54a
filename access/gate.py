"""The authorization gate the monitor asks before joining and before recording.

* :meth:`AuthorizationGate.may_join` - before a watch is taken up (resolve and
  join): is an approved request of this watch covered by an authorization
  valid now? A refusal is audited once per watch and state.
* :meth:`AuthorizationGate.may_record` - before a post is recorded: is the
  channel covered now? Call it once per post: a ``None`` answer means the post
  is dropped, and the gate counts it. Counts (never content) go to the audit
  trail as ``record.refused`` rows when :meth:`flush_refusals` runs (the
  enforcement job calls it every minute, the monitor once more when it stops).

What the gate guarantees:

* **Never stale in the refusing direction.** Every "no" (from ``may_join``,
  ``may_record`` and ``covering``) comes from a read of the authorization
  tables that started after the question was asked. A cached view is only ever
  used to say "yes"; a cache miss or a refusal from the cache reads again
  before refusing (questions arriving together share one read).
* **A cached "yes" is short-lived.** It is served from a view at most ``ttl``
  old by the gate's clock (default :data:`ALLOW_TTL`, 500 ms). Validity itself
  is computed against ``now`` on every call, so an authorization's end is
  honoured to the second.
* **Changes in this process take effect at once**: the enforcement job ending
  or activating watches and the watch lifecycle giving a watch its channel id
  call :meth:`invalidate`. A change made by another process (a revocation from
  the CLI or the web console) is honoured for every post asked about ``ttl``
  or more after it was committed: the revocation bound is ``ttl``.
* **The audit trail states only refusals that stood.** A refused post that is
  offered again (the reconciler retries it) and then recorded is taken off the
  count. :meth:`flush_refusals` writes a channel's refusals only when a fresh
  read shows the channel still uncovered (its watch is being ended, so the
  posts will not be recorded); otherwise they wait for the retry.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from access import coverage
from access.clock import Clock, SystemClock
from access.coverage import AuthorizationRef, Coverage
from access.policy import Limits
from access.roles import SERVICE_ACTOR
from access.store import Store
from storage.changes import audited
from storage.repos import Transaction

log = structlog.get_logger(__name__)

#: How long a cached "yes" may be served: the bound on a revocation made by
#: another process (same process: at once, through :meth:`invalidate`).
ALLOW_TTL = timedelta(milliseconds=500)


@dataclass(slots=True)
class _Refusals:
    """The refused, not (yet) recorded posts of one channel: key -> (first, last)
    refusal time. Keys are message ids; a refusal without one gets its own
    negative key."""

    posts: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)

    def add(self, key: int, at: datetime) -> None:
        first, last = self.posts.get(key, (at, at))
        self.posts[key] = (min(first, at), max(last, at))

    def span(self) -> tuple[datetime, datetime]:
        return min(f for f, _ in self.posts.values()), max(la for _, la in self.posts.values())


class AuthorizationGate:
    def __init__(
        self,
        store: Store,
        limits: Limits,
        clock: Clock | None = None,
        *,
        ttl: timedelta = ALLOW_TTL,
    ) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock or SystemClock()
        self._ttl = ttl
        self._view: Coverage | None = None
        self._loaded_at: datetime | None = None
        self._generation = 0  # bumped by invalidate()
        self._view_generation = -1
        self._reads = 0  # reads started so far
        self._view_read = 0  # the number of the read the view came from
        self._lock = asyncio.Lock()
        self._refused: dict[int, _Refusals] = {}
        self._reported: dict[int, set[int]] = {}  # message ids already in a refusal row
        self._anonymous = itertools.count(-1, -1)
        self._join_refusals_audited: set[tuple[int, str]] = set()

    def now(self) -> datetime:
        return self._clock.now()

    @property
    def ttl(self) -> timedelta:
        """How long a cached "yes" is served (the bound on another process's revocation)."""
        return self._ttl

    def invalidate(self) -> None:
        """Forget the snapshot: the next question reads the tables again. Called
        whenever this process changes what is covered (a watch joined and given
        its channel id, watches ended or activated by the enforcement job)."""
        self._generation += 1
        self._view = None

    async def view(self, *, fresh: bool = False) -> Coverage:
        """The coverage view: cached while younger than ``ttl``; with ``fresh``
        one whose read started after this call (a read already started later
        by another caller is shared)."""
        ticket = self._reads
        async with self._lock:
            now = self._clock.now()
            if self._view is not None:
                if fresh and self._view_read > ticket:
                    return self._view  # its read started after the question was asked
                if not fresh and self._cached_ok(now):
                    return self._view
            self._reads += 1
            number, generation = self._reads, self._generation
            view = await self._store.snapshot(lambda tx: coverage.load(tx, self._limits))
            self._view, self._loaded_at = view, now
            self._view_read, self._view_generation = number, generation
            return view

    def _cached_ok(self, now: datetime) -> bool:
        return (
            self._view_generation == self._generation
            and self._loaded_at is not None
            and self._loaded_at <= now < self._loaded_at + self._ttl
        )

    async def may_join(self, watch_id: int, now: datetime | None = None) -> AuthorizationRef | None:
        """The authorization a join of this watch would be made under, or None."""
        at = now or self._clock.now()
        view = await self.view()
        ref = view.best_ref(watch_id, at)
        if ref is None:  # the snapshot may predate an approval: look again before refusing
            view = await self.view(fresh=True)
            ref = view.best_ref(watch_id, at)
        if ref is None:
            state, why = view.end_reason(watch_id, at)
            key = (watch_id, state + why)
            if key not in self._join_refusals_audited:
                self._join_refusals_audited.add(key)
                log.warning("join_refused", watch_id=watch_id, why=why)
                await self._store.transaction(
                    lambda tx: audited(
                        tx,
                        at=at,
                        actor=SERVICE_ACTOR,
                        action="watch.join_refused",
                        subject=f"watch:{watch_id}",
                        why=why,
                    )
                )
        return ref

    @staticmethod
    def _covering_in(view: Coverage, channel_id: int, at: datetime) -> AuthorizationRef | None:
        for watch_id in view.watches_of_channel(channel_id):
            ref = view.best_ref(watch_id, at)
            if ref is not None:
                return ref
        return None

    async def covering(
        self, channel_id: int, now: datetime | None = None
    ) -> AuthorizationRef | None:
        """The authorization covering the channel now, or None (nothing counted:
        for events that are not posts, such as deletions). A "no" is read fresh."""
        at = now or self._clock.now()
        ref = self._covering_in(await self.view(), channel_id, at)
        if ref is None:  # never refuse from a snapshot: read again
            ref = self._covering_in(await self.view(fresh=True), channel_id, at)
        return ref

    async def may_record(
        self, channel_id: int, now: datetime | None = None, *, message_id: int | None = None
    ) -> AuthorizationRef | None:
        """The authorization a post of this channel is recorded under, or None.

        A refusal is counted; with ``message_id`` a post offered again (a retry)
        is counted once, and taken off the count when it is then recorded.
        """
        at = now or self._clock.now()
        ref = await self.covering(channel_id, at)
        if ref is not None:
            if message_id is not None:
                self._recorded(channel_id, message_id)
            return ref
        if message_id is not None and message_id in self._reported.get(channel_id, ()):
            return None  # already in a refusal row
        seen = self._refused.get(channel_id)
        if seen is None:
            seen = self._refused[channel_id] = _Refusals()
            log.warning("recording_refused", channel_id=channel_id, why="no valid authorization")
        seen.add(next(self._anonymous) if message_id is None else message_id, at)
        return None

    def _recorded(self, channel_id: int, message_id: int) -> None:
        """A post refused before is recorded now: its refusal did not stand."""
        seen = self._refused.get(channel_id)
        if seen is None or seen.posts.pop(message_id, None) is None:
            return
        log.info("refusal_withdrawn", channel_id=channel_id, message_id=message_id)
        if not seen.posts:
            del self._refused[channel_id]

    def pending_refusals(self) -> dict[int, int]:
        """Channel id -> posts refused and not recorded since the last flush."""
        return {cid: len(r.posts) for cid, r in self._refused.items()}

    async def flush_refusals(self) -> int:
        """Write one audit row per channel whose refused posts stand (count and
        time span); returns the number of posts written.

        A channel a fresh read shows covered again keeps its refusals pending:
        its posts are retried and, once recorded, taken off the count.
        """
        if not self._refused:
            return 0
        view = await self.view(fresh=True)
        now = self._clock.now()
        batch = {
            cid: r
            for cid, r in self._refused.items()
            if self._covering_in(view, cid, now) is None
        }
        if not batch:
            return 0
        for cid in batch:
            del self._refused[cid]

        async def op(tx: Transaction) -> None:
            for channel_id, r in sorted(batch.items()):
                first, last = r.span()
                await audited(
                    tx,
                    at=now,
                    actor=SERVICE_ACTOR,
                    action="record.refused",
                    subject=f"channel:{channel_id}",
                    after={"count": len(r.posts), "first_at": first, "last_at": last},
                    why="posts arrived for a channel without a valid authorization; not recorded",
                )

        try:
            await self._store.transaction(op)
        except BaseException:
            for channel_id, r in batch.items():  # keep them for the next flush
                mine = self._refused.setdefault(channel_id, _Refusals())
                for key, (first, last) in r.posts.items():
                    mine.add(key, first)
                    mine.add(key, last)
            raise
        for channel_id, r in batch.items():
            self._reported.setdefault(channel_id, set()).update(k for k in r.posts if k > 0)
        return sum(len(r.posts) for r in batch.values())
