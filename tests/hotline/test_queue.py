"""hotline.queue: urgency order, time left against the clock, the decision rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clocks import TestClock
from hotline_support import make_alert

from hotline.queue import AlertQueue, DecisionRefused, format_time_left, summary
from storage.errors import IllegalTransition, NotFound
from storage.sqlite import SQLiteStore


@pytest.fixture
def queue(store: SQLiteStore, clock: TestClock) -> AlertQueue:
    return AlertQueue(store, clock=clock)


async def test_most_urgent_first(store: SQLiteStore, queue: AlertQueue) -> None:
    """Undecided before decided, then priority, then due time."""
    late = await make_alert(store, 1, priority=2, due_in=timedelta(hours=20))
    soon = await make_alert(store, 2, priority=2, due_in=timedelta(hours=3))
    urgent = await make_alert(store, 3, priority=1, due_in=timedelta(hours=23))
    decided = await make_alert(store, 4, priority=1, due_in=timedelta(hours=1))
    await queue.dismiss(decided.id, "otto", "blank image")
    ids = [i.alert.id for i in await queue.items()]
    assert ids == [urgent.id, soon.id, late.id, decided.id]


async def test_time_left_and_overdue(
    store: SQLiteStore, queue: AlertQueue, clock: TestClock
) -> None:
    """time_left follows the queue's clock; past the due time the alert is overdue."""
    alert = await make_alert(store, 1, due_in=timedelta(hours=3, minutes=5))
    item = await queue.get(alert.id)
    assert item.time_left == timedelta(hours=3, minutes=5) and not item.overdue
    assert format_time_left(item) == "3h05m"
    clock.advance(timedelta(hours=3))
    assert format_time_left(await queue.get(alert.id)) == "5m"
    clock.advance(timedelta(minutes=5))
    item = await queue.get(alert.id)
    assert item.overdue and format_time_left(item) == "OVERDUE"
    assert [i.alert.id for i in await queue.items(overdue_only=True)] == [alert.id]


async def test_overdue_filter_skips_decided_and_future(
    store: SQLiteStore, queue: AlertQueue, clock: TestClock
) -> None:
    """--overdue lists undecided alerts past due only: not decided ones, not future ones."""
    past = await make_alert(store, 1, due_in=timedelta(hours=1))
    decided = await make_alert(store, 2, due_in=timedelta(hours=1))
    await make_alert(store, 3, due_in=timedelta(hours=5))
    await queue.confirm(decided.id, "otto", "known image")
    clock.advance(timedelta(hours=2))
    assert [i.alert.id for i in await queue.items(overdue_only=True)] == [past.id]
    decided_item = await queue.get(decided.id)
    assert decided_item.time_left is None and format_time_left(decided_item) == "-"
    assert [i.alert.id for i in await queue.items("confirmed")] == [decided.id]


async def test_decision_needs_a_note(store: SQLiteStore, queue: AlertQueue) -> None:
    """confirm and dismiss without a note (or a blank one) are refused; the alert stays open."""
    alert = await make_alert(store, 1)
    for note in (None, "   "):
        with pytest.raises(DecisionRefused, match="needs a note"):
            await queue.confirm(alert.id, "otto", note)
        with pytest.raises(DecisionRefused, match="needs a note"):
            await queue.dismiss(alert.id, "otto", note)
    assert (await queue.get(alert.id)).alert.state == "open"


async def test_claimed_alert_is_decided_by_its_claimant(
    store: SQLiteStore, queue: AlertQueue
) -> None:
    """Another operator cannot decide a claimed alert; the claimant can."""
    alert = await make_alert(store, 1)
    before, after = await queue.claim(alert.id, "otto")
    assert (before.state, after.state, after.claimed_by) == ("open", "claimed", "otto")
    with pytest.raises(DecisionRefused, match="claimed by otto"):
        await queue.confirm(alert.id, "olga", "looks bad")
    _, decided = await queue.confirm(alert.id, "otto", "the known image")
    assert (decided.state, decided.decided_by, decided.note) == (
        "confirmed", "otto", "the known image")


async def test_supervisor_overrules_a_claim(store: SQLiteStore, queue: AlertQueue) -> None:
    """A supervisor may decide an alert someone else claimed; it is audited as theirs."""
    alert = await make_alert(store, 1)
    await queue.claim(alert.id, "otto")
    _, after = await queue.dismiss(alert.id, "sam", "duplicate of alert 0")
    assert (after.state, after.claimed_by, after.decided_by) == ("dismissed", "otto", "sam")
    actions = [(r.action, r.actor) for r in await store.list_audit(subject=f"alert:{alert.id}")]
    assert ("alert.dismiss", "sam") in actions and ("alert.claim", "otto") in actions


async def test_state_machine_and_unknown_alert(store: SQLiteStore, queue: AlertQueue) -> None:
    """Decided alerts are final; an unknown id is NotFound; an unknown state a ValueError."""
    alert = await make_alert(store, 1)
    await queue.dismiss(alert.id, "otto", "false positive")
    with pytest.raises(IllegalTransition, match="cannot become confirmed"):
        await queue.confirm(alert.id, "otto", "changed my mind")
    with pytest.raises(IllegalTransition):
        await queue.claim(alert.id, "olga")
    with pytest.raises(NotFound, match="no alert with id 99"):
        await queue.get(99)
    with pytest.raises(NotFound, match="no alert with id 99"):
        await queue.claim(99, "otto")
    with pytest.raises(ValueError, match="unknown alert state"):
        await queue.items("pending")  # type: ignore[arg-type]


async def test_summary_is_metadata_only(store: SQLiteStore) -> None:
    """A notification's summary has ids, priority, due time, banks, match count, no text."""
    alert = await make_alert(store, 5, priority=1)
    info = summary(alert)
    assert info == {
        "alert_id": alert.id, "state": "open", "priority": 1, "due_at": alert.due_at,
        "channel_id": 777, "message_id": 5, "banks": ["ncmec"], "matches": 1,
        "claimed_by": None, "kind": "match", "detections": [],
    }
    assert "secret post text" not in repr(info)
