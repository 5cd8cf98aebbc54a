"""The alert state machine and what a decision writes, for every caller (the
CLI's queue, the web console, any backend).

States: ``open -> claimed -> confirmed | dismissed`` and ``open -> confirmed |
dismissed``; decided alerts are final. A change is written compare-and-set on
the state it was checked against, so two operators racing for one alert cannot
both win: the loser gets :class:`storage.errors.IllegalTransition` naming the
state it found. Each change is audited (and so in the ledger) with the
authorization and case the alert was raised under, and a decision teaches the
banks (:mod:`hotline.learning`) in the same transaction.
"""

from __future__ import annotations

from typing import Final

from hotline import learning
from storage.api import Store
from storage.changes import audited, require_actor
from storage.errors import IllegalTransition, NotFound
from storage.ledger import records
from storage.models import Alert, AlertState
from storage.repos import Transaction

TRANSITIONS: Final[dict[str, tuple[AlertState, ...]]] = {
    "open": ("claimed", "confirmed", "dismissed"),
    "claimed": ("confirmed", "dismissed"),
    "confirmed": (),
    "dismissed": (),
}
#: The audit action of each change (the ledger type is its past tense).
ACTIONS: Final[dict[str, str]] = {
    "claimed": "alert.claim", "confirmed": "alert.confirm", "dismissed": "alert.dismiss",
}


def check_transition(alert: Alert, to: AlertState) -> None:
    allowed = TRANSITIONS[alert.state]
    if to not in allowed:
        options = ", ".join(allowed) if allowed else "none, it is final"
        raise IllegalTransition(
            f"alert {alert.id} is {alert.state}: it cannot become {to} (allowed: {options})"
        )


def _decision(alert: Alert) -> dict[str, object]:
    return {
        "state": alert.state,
        "claimed_by": alert.claimed_by,
        "decided_by": alert.decided_by,
        "decided_at": alert.decided_at,
        "note": alert.note,
    }


async def transition(
    tx: Transaction, alert_id: int, to: AlertState, actor: str, note: str | None = None,
    *, before: Alert | None = None,
) -> Alert:
    """Move one alert to ``to`` (the state machine checked), audited, learned
    from. ``before``: the alert as the caller already read it in ``tx``."""
    require_actor(actor)
    if to not in TRANSITIONS:
        raise ValueError(f"unknown alert state {to!r}; one of: {', '.join(TRANSITIONS)}")
    if before is None:
        before = await tx.alerts.get(alert_id)
        if before is None:
            raise NotFound(f"no alert with id {alert_id}")
    check_transition(before, to)
    after = await tx.alerts.set_state(alert_id, to, actor, note, tx.now, expected=before.state)
    if after is None:  # another change won the race since `before` was read
        now = await tx.alerts.get(alert_id)
        state = now.state if now is not None else "gone"
        raise IllegalTransition(
            f"alert {alert_id} changed meanwhile: it is {state} now, so it cannot become {to}"
        )
    origin = await records.alert_origin(tx, alert_id, before.channel_id)
    await audited(
        tx, actor=actor, action=ACTIONS[to], subject=f"alert:{alert_id}",
        before=_decision(before), after=_decision(after), why=note,
        ledger={"channel": before.channel_id, "message": before.message_id, "alert": alert_id,
                "note": note, **origin},
    )
    await learning.on_decision(tx, after, actor, note)
    return after


async def transition_alert(
    store: Store, alert_id: int, to: AlertState, actor: str, note: str | None = None
) -> Alert:
    """:func:`transition` in a transaction of its own, without the queue's rules
    (note required, claims): for the monitor's own changes and for tests."""
    return await store.transaction(lambda tx: transition(tx, alert_id, to, actor, note))
