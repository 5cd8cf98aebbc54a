"""Alerts: one per post, matches attached, a strict audited state machine."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from backends import DatabaseRefused, RawDB
from sqlite_support import T0, make_post

from hotline.decisions import transition_alert
from storage.api import Store
from storage.errors import IllegalTransition, NotFound
from storage.models import AlertState, BankEntryIn, MatchIn, NewMedia

DUE = T0 + timedelta(hours=24)


async def _fixture(store: Store, message_id: int = 1) -> tuple[int, list[int]]:
    """A recorded post with a photo and a bank with two entries: (media id, entry ids)."""
    await store.record_post(make_post(message_id=message_id, has_media=True))
    media = await store.add_media(
        NewMedia(
            f"photo:{message_id}", "photo", 10, "image/jpeg", 8, 8, None,
            "ab" * 32, None, "00" * 32, 100, "hashed",
        )
    )  # fmt: skip
    if await store.get_bank("demo") is None:
        await store.create_bank("demo", 31, actor="admin")
        await store.import_bank_entries(
            "demo",
            [BankEntryIn("pdq", "00" * 32, category="A1"), BankEntryIn("sha256", "ab" * 32)],
            actor="admin",
            source="t",
        )
    ids = [e.id async for e in store.iter_bank_entries()]
    return media.id, ids


async def test_one_alert_per_post(store: Store) -> None:
    """Raising twice for a post returns the same alert with both matches attached."""
    media_id, (pdq_entry, sha_entry) = await _fixture(store)
    first = await store.raise_alert(100, 1, [MatchIn(pdq_entry, media_id, "pdq", 3)], 2, DUE)
    assert (first.state, first.priority, first.due_at) == ("open", 2, DUE)
    second = await store.raise_alert(
        100, 1, [MatchIn(sha_entry, media_id, "sha256", 0), MatchIn(pdq_entry, media_id, "pdq", 3)],
        2, DUE,
    )  # fmt: skip
    assert second.id == first.id
    assert [(m["bank"], m["hash_type"], m["distance"]) for m in second.matches] == [
        ("demo", "pdq", 3),
        ("demo", "sha256", 0),
    ]
    assert second.matches[0]["category"] == "A1"
    assert len(await store.list_alerts()) == 1
    actions = [r.action for r in await store.list_audit(subject=f"alert:{first.id}")]
    assert actions == ["alert.match", "alert.raise"]


async def test_alert_needs_recorded_post_and_known_refs(store: Store) -> None:
    """No alert for an unrecorded post, without matches, or with unknown entries."""
    media_id, (entry, _) = await _fixture(store)
    with pytest.raises(NotFound, match="post 100/9"):
        await store.raise_alert(100, 9, [MatchIn(entry, media_id, "pdq", 0)], 1, DUE)
    with pytest.raises(ValueError, match="at least one match"):
        await store.raise_alert(100, 1, [], 1, DUE)
    with pytest.raises(NotFound, match="bank entry 999"):
        await store.raise_alert(100, 1, [MatchIn(999, media_id, "pdq", 0)], 1, DUE)
    with pytest.raises(NotFound, match="media 999"):
        await store.raise_alert(100, 1, [MatchIn(entry, 999, "pdq", 0)], 1, DUE)
    assert await store.list_alerts() == []


@pytest.mark.parametrize(
    "path",
    [("claimed", "confirmed"), ("claimed", "dismissed"), ("confirmed",), ("dismissed",)],
)
async def test_legal_transitions(store: Store, path: tuple[AlertState, ...]) -> None:
    """open -> claimed -> confirmed|dismissed and open -> confirmed|dismissed work and
    each step is audited with before, after, who and why."""
    media_id, (entry, _) = await _fixture(store)
    alert = await store.raise_alert(100, 1, [MatchIn(entry, media_id, "pdq", 0)], 1, DUE)
    for step in path:
        alert = await transition_alert(store, alert.id, step, actor="op1", note=f"to {step}")
    assert alert.state == path[-1]
    if path[0] == "claimed":
        assert alert.claimed_by == "op1"
    assert alert.decided_by == "op1" and alert.decided_at is not None
    assert alert.note == f"to {path[-1]}"
    rows = await store.list_audit(subject=f"alert:{alert.id}")
    assert len(rows) == len(path) + 1
    last = rows[0]
    assert last.actor == "op1" and last.why == f"to {path[-1]}"
    assert json.loads(last.after_json or "")["state"] == path[-1]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((), "open"),
        (("claimed",), "claimed"),
        (("claimed",), "open"),
        (("confirmed",), "dismissed"),
        (("dismissed",), "open"),
        (("claimed", "confirmed"), "claimed"),
    ],
)
async def test_illegal_transitions_raise(
    store: Store, path: tuple[AlertState, ...], illegal: AlertState
) -> None:
    """Anything outside the state machine is refused with a message that says where
    the alert is and what is allowed; the alert and the audit are unchanged."""
    media_id, (entry, _) = await _fixture(store)
    alert = await store.raise_alert(100, 1, [MatchIn(entry, media_id, "pdq", 0)], 1, DUE)
    for step in path:
        alert = await transition_alert(store, alert.id, step, actor="op1")
    audit_before = await store.list_audit(subject=f"alert:{alert.id}")
    with pytest.raises(IllegalTransition, match=f"alert {alert.id} is {alert.state}"):
        await transition_alert(store, alert.id, illegal, actor="op2")
    assert await store.get_alert(alert.id) == alert
    assert await store.list_audit(subject=f"alert:{alert.id}") == audit_before


async def test_bad_transition_requests(store: Store) -> None:
    """Unknown alerts, unknown states and missing actors are refused clearly."""
    media_id, (entry, _) = await _fixture(store)
    alert = await store.raise_alert(100, 1, [MatchIn(entry, media_id, "pdq", 0)], 1, DUE)
    with pytest.raises(NotFound, match="no alert with id 999"):
        await transition_alert(store, 999, "claimed", actor="op")
    with pytest.raises(ValueError, match="unknown alert state"):
        await transition_alert(store, alert.id, "closed", actor="op")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="actor"):
        await transition_alert(store, alert.id, "claimed", actor="")


async def test_database_refuses_illegal_transition(store: Store, raw: RawDB) -> None:
    """Even raw SQL cannot take a decided alert back to open (trigger)."""
    media_id, (entry, _) = await _fixture(store)
    alert = await store.raise_alert(100, 1, [MatchIn(entry, media_id, "pdq", 0)], 1, DUE)
    await transition_alert(store, alert.id, "dismissed", actor="op")
    with pytest.raises(DatabaseRefused, match="illegal"):
        raw.execute("UPDATE alerts SET state = 'open' WHERE id = ?", (alert.id,))


async def test_list_alerts_by_state(store: Store) -> None:
    """Listing filters by state, oldest due first."""
    for message_id in (1, 2, 3):
        media_id, (entry, _) = await _fixture(store, message_id)
        due = DUE - timedelta(hours=message_id)
        await store.raise_alert(100, message_id, [MatchIn(entry, media_id, "pdq", 0)], 1, due)
    alerts = await store.list_alerts()
    assert [a.message_id for a in alerts] == [3, 2, 1]
    await transition_alert(store, alerts[0].id, "claimed", actor="op")
    assert [a.message_id for a in await store.list_alerts("open")] == [2, 1]
    assert [a.message_id for a in await store.list_alerts("claimed")] == [3]
    with pytest.raises(ValueError, match="unknown alert state"):
        await store.list_alerts("nope")  # type: ignore[arg-type]
