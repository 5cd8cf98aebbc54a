"""Join pacing rules (access.pacing), pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from access.pacing import Pacing, has_room, next_join_at

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
P = Pacing(daily_limit=3, min_gap=timedelta(minutes=5), channel_limit=10)


def test_fresh_account_joins_now() -> None:
    """No joins and no flood wait: the next join is now."""
    assert next_join_at([], None, T0, P) == T0


def test_minimum_gap_between_joins() -> None:
    """After a join the account waits min_gap."""
    assert next_join_at([T0], None, T0 + timedelta(minutes=1), P) == T0 + timedelta(minutes=5)
    assert next_join_at([T0], None, T0 + timedelta(minutes=9), P) == T0 + timedelta(minutes=9)


def test_daily_limit_is_a_rolling_24_hours() -> None:
    """With the daily limit reached, the next join comes when the oldest ages out."""
    joins = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    now = T0 + timedelta(hours=3)
    assert next_join_at(joins, None, now, P) == T0 + timedelta(hours=24)
    later = T0 + timedelta(hours=24, minutes=1)
    assert next_join_at(joins, None, later, P) == later


def test_flood_wait_pushes_the_next_join() -> None:
    """A running flood wait delays the next join until it ends."""
    until = T0 + timedelta(minutes=30)
    assert next_join_at([], until, T0, P) == until
    assert next_join_at([], T0 - timedelta(minutes=1), T0, P) == T0


def test_channel_limit_room() -> None:
    """An account has room below its own limit and below the setting's."""
    assert has_room(9, None, P) and not has_room(10, None, P)
    assert not has_room(5, 5, P) and has_room(4, 5, P)
    assert not has_room(10, 50, P)
