"""The one test clock and the one ``utc_now`` of the test suite."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

#: Each call of a ticking clock moves it on by this much, so every stored
#: timestamp of a test is distinct and ordered.
TICK = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TestClock:
    """A clock the test moves by hand; ``step`` is added on every read (0: it
    only moves when the test says so)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    step: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def set(self, when: datetime) -> None:
        self.now = when
