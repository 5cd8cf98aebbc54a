"""The access layer as the running monitor uses it: one object that holds the
authorization gate, the account pool and the enforcement job.

``MonitorApp`` builds it at start (unless told to run unrestricted, which only
tests of the monitor's mechanics do):

* :meth:`AccessControl.watch_gate` is the watch manager's gate for one
  account: a watch is taken up (or kept) only under a valid authorization
  (:meth:`AuthorizationGate.may_join`) and only by the account the pool gives
  it to, at the pace the pool allows (:meth:`AccountPool.claim`);
* :meth:`AccessControl.sink` wraps the pipeline so that no post is recorded
  without a valid authorization (:class:`~monitor.access.sink.GatedSink`);
* :meth:`AccessControl.schedule` adds the enforcement job to the scheduler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler

from monitor.access.clock import Clock, SystemClock
from monitor.access.enforcement import Enforcer, OnChange, schedule
from monitor.access.gate import ALLOW_TTL, AuthorizationGate
from monitor.access.notify import LogNotifier, Notifier
from monitor.access.policy import Limits
from monitor.access.sink import GatedSink, PostSink
from monitor.access.store import TxRunner
from monitor.accounts.pacing import Pacing
from monitor.accounts.pool import AccountPool
from monitor.settings import Settings
from storage.models import WatchRecord

WatchGate = Callable[[WatchRecord], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class AccessOptions:
    """What a deployment or a test may change about the access layer."""

    clock: Clock | None = None
    notifier: Notifier | None = None
    #: How long the gate serves a cached "yes" (a "no" is always read fresh):
    #: the bound on a revocation made by another process.
    gate_ttl: timedelta = ALLOW_TTL


class AccessControl:
    def __init__(self, store: TxRunner, settings: Settings, options: AccessOptions) -> None:
        clock = options.clock or SystemClock()
        notifier = options.notifier or LogNotifier()
        self.clock = clock
        self.limits = Limits.from_settings(settings.access)
        self.gate = AuthorizationGate(store, self.limits, clock, ttl=options.gate_ttl)
        self.pool = AccountPool(
            store, Pacing.from_settings(settings.accounts), clock=clock, notifier=notifier
        )
        self.enforcer = Enforcer(store, self.limits, self.gate, clock=clock, notifier=notifier)
        self._interval = settings.access.enforce_interval

    def watch_gate(self, account: str) -> WatchGate:
        """The gate of ``account``'s watch manager: authorized, and this account's turn."""

        async def gate(watch: WatchRecord) -> bool:
            if await self.gate.may_join(watch.id) is None:
                return False
            return await self.pool.claim(account, watch.id)

        return gate

    def sink(self, inner: PostSink) -> GatedSink:
        return GatedSink(inner, self.gate)

    def schedule(self, scheduler: BaseScheduler, on_change: OnChange) -> None:
        """Run enforcement every ``access.enforce_interval`` and tell ``on_change``."""
        self.enforcer.set_on_change(on_change)
        schedule(scheduler, self.enforcer, self._interval)
