"""Helpers shared by the SQLite store tests (imported by conftest and test files)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clocks import TestClock

from storage.models import PostRecord

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def make_post(channel_id: int = 100, message_id: int = 1, **overrides: Any) -> PostRecord:
    """A plain text post; keyword arguments override any field."""
    values: dict[str, Any] = {
        "channel_id": channel_id,
        "message_id": message_id,
        "date": T0,
        "text": f"post {message_id}",
        "edit_date": None,
        "author_signature": None,
        "views": 10,
        "forwards": 1,
        "fwd_channel_id": None,
        "fwd_message_id": None,
        "fwd_from_name": None,
        "fwd_date": None,
        "reply_to": None,
        "grouped_id": None,
        "entities_json": "[]",
        "links": (),
        "mentions": (),
        "captured_at": T0,
        "captured_by": "acct-1",
        "has_media": False,
    }
    values.update(overrides)
    return PostRecord(**values)


def ticking_clock() -> TestClock:
    """The store tests' clock: starts at :data:`T0`, one tick per read."""
    from clocks import TICK, TestClock  # tests/ is not on a child process's path

    return TestClock(T0, step=TICK)
