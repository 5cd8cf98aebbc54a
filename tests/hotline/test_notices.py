"""hotline.notices: a new alert, due soon and overdue are each told once, to the
right people, never after a decision, never again after a restart (real SQLite,
a manual clock: no sleeps)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from clocks import TestClock
from hotline_support import Notified, make_alert
from structlog.testing import capture_logs

from hotline.notices import AlertNotices
from hotline.queue import AlertQueue
from storage.sqlite import SQLiteStore

OPERATORS = ["olga", "otto"]


@pytest.fixture
def notified() -> Notified:
    return Notified()


@pytest.fixture
def notices(store: SQLiteStore, notified: Notified, clock: TestClock) -> AlertNotices:
    return AlertNotices(store, notified, warning=timedelta(hours=2), clock=clock)


async def test_new_alert_told_once_to_the_operators(
    store: SQLiteStore, notices: AlertNotices, notified: Notified
) -> None:
    """announce(): the operators get the alert's metadata once; a second call sends nothing."""
    alert = await make_alert(store, 1, priority=1)
    assert await notices.announce(alert.id) is True
    assert await notices.announce(alert.id) is False
    ((to, subject, details),) = notified.calls
    assert to == OPERATORS
    assert subject.startswith(f"new alert {alert.id}: priority 1, due ")
    assert details["notice"] == "raised" and details["banks"] == ["ncmec"]
    assert details["matches"] == 1 and details["channel_id"] == 777
    assert "secret post text" not in repr(notified.calls)


async def test_due_soon_once_then_overdue_once(
    store: SQLiteStore, notices: AlertNotices, notified: Notified, clock: TestClock
) -> None:
    """The due job: a warning once inside the window, one overdue notice (also to the
    supervisors) past the due time, then silence."""
    alert = await make_alert(store, 1, due_in=timedelta(hours=5))
    await notices.announce(alert.id)
    assert await notices.check_due() == []
    clock.advance(timedelta(hours=3, minutes=30))  # 1h30 left
    assert await notices.check_due() == [(alert.id, "due_soon")]
    assert await notices.check_due() == []
    clock.advance(timedelta(minutes=45))
    assert await notices.check_due() == []
    clock.advance(timedelta(minutes=45))  # past due
    assert await notices.check_due() == [(alert.id, "overdue")]
    clock.advance(timedelta(hours=3))
    assert await notices.check_due() == []
    assert notified.kinds() == [(alert.id, "raised"), (alert.id, "due_soon"),
                                (alert.id, "overdue")]
    overdue_to, overdue_subject, _ = notified.calls[-1]
    assert overdue_to == ["olga", "otto", "sam"] and "OVERDUE" in overdue_subject
    assert notified.calls[1][0] == OPERATORS and "due in 1h30m" in notified.calls[1][1]


async def test_nothing_after_a_decision(
    store: SQLiteStore, notices: AlertNotices, notified: Notified, clock: TestClock
) -> None:
    """A claimed alert still gets due notices; a decided one gets none."""
    claimed = await make_alert(store, 1, due_in=timedelta(hours=1))
    decided = await make_alert(store, 2, due_in=timedelta(hours=1))
    queue = AlertQueue(store, clock=clock)
    await queue.claim(claimed.id, "otto")
    await queue.dismiss(decided.id, "olga", "false positive")
    sent = await notices.check_due()
    assert sorted(sent) == [(claimed.id, "due_soon"), (claimed.id, "raised")]
    clock.advance(timedelta(hours=2))
    assert await notices.check_due() == [(claimed.id, "overdue")]
    assert {a for a, _ in notified.kinds()} == {claimed.id}
    assert notified.calls[-1][2]["claimed_by"] == "otto"


async def test_overdue_without_warning_when_already_past(
    store: SQLiteStore, notices: AlertNotices, clock: TestClock
) -> None:
    """An alert found already past due (monitor was down) gets the overdue notice only."""
    alert = await make_alert(store, 1, due_in=timedelta(hours=1))
    await notices.announce(alert.id)
    clock.advance(timedelta(hours=2))
    assert await notices.check_due() == [(alert.id, "overdue")]


async def test_not_resent_after_restart(
    tmp_path: Path, store: SQLiteStore, notices: AlertNotices, notified: Notified,
    clock: TestClock,
) -> None:
    """What was sent is in the database: a new store and job on the same file send nothing
    again, only what became due since."""
    first = await make_alert(store, 1, due_in=timedelta(hours=1))
    second = await make_alert(store, 2, due_in=timedelta(hours=4))
    await notices.check_due()
    assert sorted(notified.kinds()) == [(first.id, "due_soon"), (first.id, "raised"),
                                        (second.id, "raised")]
    await store.close()

    again = Notified()
    reopened = SQLiteStore(tmp_path / "hotline.db", clock=clock)
    await reopened.open()
    try:
        restarted = AlertNotices(reopened, again, warning=timedelta(hours=2), clock=clock)
        assert await restarted.check_due() == []
        assert await restarted.announce(first.id) is False
        clock.advance(timedelta(hours=2, minutes=30))
        assert sorted(await restarted.check_due()) == [(first.id, "overdue"),
                                                       (second.id, "due_soon")]
    finally:
        await reopened.close()
    assert sorted(again.kinds()) == [(first.id, "overdue"), (second.id, "due_soon")]


async def test_warning_zero_switches_the_warning_off(
    store: SQLiteStore, notified: Notified, clock: TestClock
) -> None:
    """due_warning 0: no due_soon notice, the overdue one still comes."""
    notices = AlertNotices(store, notified, warning=timedelta(0), clock=clock)
    alert = await make_alert(store, 1, due_in=timedelta(minutes=10))
    assert await notices.check_due() == [(alert.id, "raised")]
    clock.advance(timedelta(minutes=10))
    assert await notices.check_due() == [(alert.id, "overdue")]
    with pytest.raises(ValueError, match="must not be negative"):
        AlertNotices(store, notified, warning=timedelta(hours=-1))


async def test_announce_soon_runs_in_the_background(
    store: SQLiteStore, notices: AlertNotices, notified: Notified
) -> None:
    """announce_soon() returns at once; drain() waits for the notice; a bad id is logged."""
    alert = await make_alert(store, 1)
    notices.announce_soon(alert.id)
    with capture_logs() as logs:
        notices.announce_soon(12345)  # no such alert: the notice row's foreign key refuses it
        await notices.drain()
    assert notified.kinds() == [(alert.id, "raised")]
    assert [e["alert_id"] for e in logs if e["event"] == "hotline.announce_failed"] == [12345]
