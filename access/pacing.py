"""Join pacing rules per account, as pure functions of its recent joins.

An account joins at most ``daily_limit`` channels in any 24 hours, waits at
least ``min_gap`` between two joins, makes no join while a FloodWait runs, and
is never in more than ``channel_limit`` channels. The values are settings
(``CHANWATCH_ACCOUNTS_*``), turned into :class:`Pacing` by the monitor's wiring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

DAY: Final = timedelta(hours=24)

#: Watch states that hold (or are about to hold) a place in an account's channels.
OCCUPYING_STATES: Final = ("approved", "joining", "active", "waiting")


@dataclass(frozen=True, slots=True)
class Pacing:
    daily_limit: int = 20
    min_gap: timedelta = timedelta(minutes=3)
    channel_limit: int = 450

    def __post_init__(self) -> None:
        if self.daily_limit < 1 or self.channel_limit < 1:
            raise ValueError("daily_limit and channel_limit must be at least 1")
        if self.min_gap < timedelta(0):
            raise ValueError("min_gap must not be negative")


def next_join_at(
    joins: Sequence[datetime], flood_until: datetime | None, now: datetime, pacing: Pacing
) -> datetime:
    """The earliest time (>= now) the account may make its next join.

    ``joins`` are the account's join times, oldest first (those older than 24 h
    may be left out).
    """
    at = now
    if joins:
        at = max(at, joins[-1] + pacing.min_gap)
        recent = [j for j in joins if j > now - DAY]
        if len(recent) >= pacing.daily_limit:
            at = max(at, recent[len(recent) - pacing.daily_limit] + DAY)
    if flood_until is not None:
        at = max(at, flood_until)
    return at


def has_room(owned: int, limit: int | None, pacing: Pacing) -> bool:
    """True while the account owns fewer watches than its channel limit."""
    return owned < (pacing.channel_limit if limit is None else min(limit, pacing.channel_limit))
