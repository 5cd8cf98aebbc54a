"""The access layer as the monitor wires it: the services from the settings
(:func:`services_from`, for the CLI and the running monitor alike), and one
object that holds the authorization gate, the account pool and the enforcement
job of a running monitor.

``MonitorApp`` builds :class:`AccessControl` at start, always: there is no
mode in which the monitor joins or records without an authorization.

* :meth:`AccessControl.watch_gate` is the watch manager's gate for one
  account: a watch is taken up (or kept) only under a valid authorization
  (:meth:`~access.gate.AuthorizationGate.may_join`) and only by the account the
  pool gives it to, at the pace the pool allows
  (:meth:`~access.accounts.AccountPool.claim`);
* :meth:`AccessControl.sink` wraps the pipeline so that no post is recorded
  without a valid authorization (:class:`~monitor.gated_sink.GatedSink`);
* :meth:`AccessControl.schedule` adds the enforcement job to the scheduler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler

from access.clock import Clock, SystemClock
from access.enforcement import Enforcer, OnChange, schedule
from access.gate import ALLOW_TTL, AuthorizationGate
from access.notify import LogNotifier, Notifier
from access.pacing import Pacing
from access.policy import Limits
from access.services import Services, build_services
from access.store import Store
from monitor.gated_sink import GatedSink, PostSink
from monitor.settings import AccessSettings, AccountSettings, Settings
from storage.models import WatchRecord

WatchGate = Callable[[WatchRecord], Awaitable[bool]]


def limits_from(access: AccessSettings) -> Limits:
    """The lawful limits of the ``[access]`` settings."""
    return Limits(
        max_months=access.max_months,
        extension_max_months=access.extension_max_months,
        total_max_months=access.total_max_months,
        emergency_window=access.emergency_window,
        reminder_before=access.reminder_before,
    )


def pacing_from(accounts: AccountSettings) -> Pacing:
    """The join pacing of the ``[accounts]`` settings."""
    return Pacing(accounts.join_daily_limit, accounts.join_min_gap, accounts.channel_limit)


def services_from(
    store: Store,
    settings: Settings,
    *,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
) -> Services:
    """The access services on ``store`` with the limits and pacing of ``settings``."""
    return build_services(
        store, limits_from(settings.access), pacing_from(settings.accounts),
        clock=clock, notifier=notifier,
    )


@dataclass(frozen=True, slots=True)
class AccessOptions:
    """What a deployment or a test may change about the access layer."""

    clock: Clock | None = None
    notifier: Notifier | None = None
    #: How long the gate serves a cached "yes" (a "no" is always read fresh):
    #: the bound on a revocation made by another process.
    gate_ttl: timedelta = ALLOW_TTL


class AccessControl:
    def __init__(self, store: Store, settings: Settings, options: AccessOptions) -> None:
        clock = options.clock or SystemClock()
        notifier = options.notifier or LogNotifier()
        services = services_from(store, settings, clock=clock, notifier=notifier)
        self.clock = clock
        self.limits = services.limits
        self.gate = AuthorizationGate(store, self.limits, clock, ttl=options.gate_ttl)
        self.pool = services.accounts
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
