"""The one factory of the access services: every interface (the CLI, the web
console, the running monitor) builds them here from a store and plain limits,
so each rule has one implementation and one wiring."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher

from access.accounts import AccountPool
from access.cases import Cases
from access.clock import Clock, SystemClock
from access.notify import Notifier
from access.pacing import Pacing
from access.policy import Limits
from access.requests import WatchRequests
from access.store import Store
from access.users import Users
from access.watches import Watches


@dataclass(frozen=True, slots=True)
class Services:
    users: Users
    cases: Cases
    requests: WatchRequests
    watches: Watches
    accounts: AccountPool
    limits: Limits
    clock: Clock


def build_services(
    store: Store,
    limits: Limits,
    pacing: Pacing,
    *,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    hasher: PasswordHasher | None = None,
) -> Services:
    """The services on ``store``. ``clock``: the time every rule is checked at
    (default the system's); ``notifier``: who hears of account problems (default:
    the log only); ``hasher``: the password hashing profile (tests pass a cheap one)."""
    the_clock = clock or SystemClock()
    return Services(
        users=Users(store, the_clock, hasher),
        cases=Cases(store, limits, the_clock),
        requests=WatchRequests(store, limits, the_clock),
        watches=Watches(store),
        accounts=AccountPool(store, pacing, clock=the_clock, notifier=notifier),
        limits=limits,
        clock=the_clock,
    )
