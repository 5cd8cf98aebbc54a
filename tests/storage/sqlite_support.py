"""Helpers shared by the SQLite store tests (imported by conftest and test files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.models import PostRecord

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock the test moves by hand (every stored timestamp comes from it)."""

    now: datetime = T0
    step: timedelta = field(default=timedelta(microseconds=1))

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta



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
