"""The authorization gate the monitor asks before joining and before recording.

* :meth:`AuthorizationGate.may_join` - before a watch is taken up (resolve and
  join): is an approved request of this watch covered by an authorization
  valid now? A refusal is audited once per watch and state.
* :meth:`AuthorizationGate.may_record` - before a post is recorded: is the
  channel covered now? Call it once per post: a ``None`` answer means the post
  is dropped, and the gate counts it. Counts (never content) go to the audit
  trail as ``record.refused`` rows when :meth:`flush_refusals` runs (the
  enforcement job calls it every minute).

``may_record`` answers from a snapshot of the authorization tables that is at
most ``ttl`` old (validity itself is computed against ``now`` on every call, so
an authorization's end is honoured to the second; a revocation made by another
process is seen within ``ttl``).
"""

from __future__ import annotations

import asyncio
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


@dataclass(slots=True)
class _Refusals:
    count: int
    first: datetime
    last: datetime
    messages: set[int] = field(default_factory=set)  # a retried post is counted once


class AuthorizationGate:
    def __init__(
        self,
        store: Store,
        limits: Limits,
        clock: Clock | None = None,
        *,
        ttl: timedelta = timedelta(seconds=5),
    ) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock or SystemClock()
        self._ttl = ttl
        self._view: Coverage | None = None
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._refused: dict[int, _Refusals] = {}
        self._join_refusals_audited: set[tuple[int, str]] = set()

    def now(self) -> datetime:
        return self._clock.now()

    def invalidate(self) -> None:
        """Forget the snapshot: the next question reads the tables again."""
        self._view = None

    async def view(self, *, fresh: bool = False) -> Coverage:
        async with self._lock:
            now = self._clock.now()
            stale = (
                self._view is None
                or self._loaded_at is None
                or now - self._loaded_at >= self._ttl
                or now < self._loaded_at
            )
            if fresh or stale:
                self._view = await self._store.snapshot(lambda tx: coverage.load(tx, self._limits))
                self._loaded_at = now
            assert self._view is not None
            return self._view

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

    async def covering(
        self, channel_id: int, now: datetime | None = None
    ) -> AuthorizationRef | None:
        """The authorization covering the channel now, or None (nothing counted:
        for events that are not posts, such as deletions)."""
        at = now or self._clock.now()
        view = await self.view()
        for watch_id in view.watches_of_channel(channel_id):
            ref = view.best_ref(watch_id, at)
            if ref is not None:
                return ref
        return None

    async def may_record(
        self, channel_id: int, now: datetime | None = None, *, message_id: int | None = None
    ) -> AuthorizationRef | None:
        """The authorization a post of this channel is recorded under, or None.

        A refusal is counted; with ``message_id`` a post offered again (a retry)
        is counted once.
        """
        at = now or self._clock.now()
        ref = await self.covering(channel_id, at)
        if ref is not None:
            return ref
        seen = self._refused.get(channel_id)
        if seen is None:
            seen = self._refused[channel_id] = _Refusals(0, at, at)
            log.warning("recording_refused", channel_id=channel_id, why="no valid authorization")
        if message_id is None or message_id not in seen.messages:
            seen.count += 1
            if message_id is not None:
                seen.messages.add(message_id)
        seen.last = max(seen.last, at)
        return None

    def pending_refusals(self) -> dict[int, int]:
        """Channel id -> posts refused since the last flush."""
        return {cid: r.count for cid, r in self._refused.items()}

    async def flush_refusals(self) -> int:
        """Write one audit row per channel with refused posts (count and time span)."""
        batch, self._refused = self._refused, {}
        if not batch:
            return 0
        now = self._clock.now()

        async def op(tx: Transaction) -> None:
            for channel_id, r in sorted(batch.items()):
                await audited(
                    tx,
                    at=now,
                    actor=SERVICE_ACTOR,
                    action="record.refused",
                    subject=f"channel:{channel_id}",
                    after={"count": r.count, "first_at": r.first, "last_at": r.last},
                    why="posts arrived for a channel without a valid authorization; not recorded",
                )

        try:
            await self._store.transaction(op)
        except BaseException:
            for channel_id, r in batch.items():  # keep the counts for the next flush
                mine = self._refused.setdefault(channel_id, _Refusals(0, r.first, r.last))
                mine.count += r.count
                mine.first, mine.last = min(mine.first, r.first), max(mine.last, r.last)
            raise
        return sum(r.count for r in batch.values())
