"""Times and JSON as the store writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.codec import dumps, from_db, opt_from_db, opt_to_db, to_db


def test_times_are_fixed_width_utc_with_microseconds() -> None:
    """An aware time in any zone is stored as UTC 'YYYY-MM-DDTHH:MM:SS.ffffffZ'."""
    cet = timezone(timedelta(hours=1))
    assert to_db(datetime(2026, 3, 1, 1, 0, 0, tzinfo=cet)) == "2026-03-01T00:00:00.000000Z"
    assert to_db(datetime(2026, 3, 1, 0, 0, 0, 5, tzinfo=UTC)) == "2026-03-01T00:00:00.000005Z"


def test_times_round_trip() -> None:
    """What goes in comes back equal and aware."""
    t = datetime(2026, 11, 21, 22, 48, 8, 123456, tzinfo=UTC)
    back = from_db(to_db(t))
    assert back == t and back.tzinfo is not None
    assert opt_from_db(opt_to_db(None)) is None


def test_naive_times_are_refused() -> None:
    """A time without a zone is ambiguous evidence: refused with a clear error."""
    with pytest.raises(ValueError, match="naive datetime"):
        to_db(datetime(2026, 1, 1))


def test_stored_time_without_zone_is_refused() -> None:
    """A malformed stored time is not silently taken as local time."""
    with pytest.raises(ValueError, match="no zone"):
        from_db("2026-01-01T00:00:00")


def test_dumps_is_canonical() -> None:
    """Sorted keys, no spaces, UTF-8 kept; datetimes, tuples and dataclasses handled."""

    @dataclass(frozen=True)
    class Point:
        y: int
        x: str

    value = {"b": (1, 2), "a": datetime(2026, 1, 1, tzinfo=UTC), "c": Point(1, "é")}
    assert dumps(value) == ('{"a":"2026-01-01T00:00:00.000000Z","b":[1,2],"c":{"x":"é","y":1}}')
