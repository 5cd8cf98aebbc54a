"""The alert review queue: listing by urgency, claim, confirm, dismiss.

An alert is ``open`` when raised; an operator claims it (it is theirs to
decide), then confirms it (the content is what the bank says: takedown and
evidence follow) or dismisses it (a false positive). Confirm and dismiss may
also be done straight from ``open``. The rules, checked here in the same write
transaction as the change (so two operators cannot race past them):

* a decision (confirm, dismiss) needs a note saying why;
* a claimed alert is decided by the operator who claimed it, or by a
  supervisor (who may overrule it);
* the state machine of :mod:`hotline.decisions` (decided alerts are final).

Listing is by urgency: undecided alerts first, then priority (1 is the most
urgent), then due time. ``time_left`` and ``overdue`` are computed against the
queue's clock (injectable for tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, get_args

from hotline import decisions
from storage.api import Store
from storage.codec import utc_now
from storage.errors import NotFound, Refused
from storage.models import Alert, AlertState
from storage.repos import Transaction

STATES: Final[tuple[str, ...]] = get_args(AlertState)
#: States still waiting for a decision (they have a due time that matters).
ACTIVE: Final[tuple[AlertState, ...]] = ("open", "claimed")
#: Decisions and the state each leads to.
DECISIONS: Final[dict[str, AlertState]] = {"confirm": "confirmed", "dismiss": "dismissed"}
#: The role that may decide an alert someone else claimed.
OVERRULING_ROLE: Final = "supervisor"


class DecisionRefused(Refused, ValueError):
    """A change the queue's rules refuse (no note, someone else's claim)."""



@dataclass(frozen=True, slots=True)
class QueueItem:
    """An alert as the queue shows it, at ``now``."""

    alert: Alert
    #: Due time minus now (negative when overdue); None once decided.
    time_left: timedelta | None

    @property
    def overdue(self) -> bool:
        return self.time_left is not None and self.time_left <= timedelta(0)


def urgency(alert: Alert) -> tuple[bool, int, datetime, int]:
    """Sort key: undecided first, then priority, due time, id."""
    return (alert.state not in ACTIVE, alert.priority, alert.due_at, alert.id)


def item_at(alert: Alert, now: datetime) -> QueueItem:
    return QueueItem(alert, alert.due_at - now if alert.state in ACTIVE else None)


def format_time_left(item: QueueItem) -> str:
    """``3h12m`` / ``45m`` / ``OVERDUE``, or ``-`` for a decided alert."""
    if item.time_left is None:
        return "-"
    if item.overdue:
        return "OVERDUE"
    minutes = int(item.time_left.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def bank_names(alert: Alert) -> list[str]:
    return sorted({str(m.get("bank")) for m in alert.matches})


def detection_labels(alert: Alert) -> list[str]:
    """Each detection as ``detector: label score`` (labels and scores, never the image)."""
    out = []
    for d in alert.detections:
        label, score = d.get("top_label"), d.get("top_score")
        shown = f"{label} {score:.4f}" if label is not None and score is not None else "-"
        out.append(f"{d.get('detector')}: {shown}")
    return out


def summary(alert: Alert) -> dict[str, Any]:
    """The alert's metadata for a notification: ids, priority, due time, banks,
    match count, kind, detections' labels and scores. Never media, never post text."""
    return {
        "alert_id": alert.id,
        "state": alert.state,
        "priority": alert.priority,
        "due_at": alert.due_at,
        "channel_id": alert.channel_id,
        "message_id": alert.message_id,
        "banks": bank_names(alert),
        "matches": len(alert.matches),
        "claimed_by": alert.claimed_by,
        "kind": alert.kind,
        "detections": detection_labels(alert),
    }


def _require_note(verb: str, note: str | None) -> str:
    if note is None or not note.strip():
        raise DecisionRefused(f"a decision needs a note: say why you {verb} it")
    return note.strip()


async def decide(
    tx: Transaction, alert_id: int, to: AlertState, actor: str, note: str | None
) -> tuple[Alert, Alert]:
    """(before, after) of one change, the queue's rules checked in this transaction."""
    before = await tx.alerts.get(alert_id)
    if before is None:
        raise NotFound(f"no alert with id {alert_id}")
    if to != "claimed" and before.state == "claimed" and before.claimed_by != actor:
        user = await tx.users.get(actor)
        if user is None or OVERRULING_ROLE not in user.roles:
            raise DecisionRefused(
                f"alert {alert_id} is claimed by {before.claimed_by}: only they or a "
                f"{OVERRULING_ROLE} may decide it"
            )
    after = await decisions.transition(tx, alert_id, to, actor, note, before=before)
    return before, after


class AlertQueue:
    """The review queue on ``store``; ``clock``: the time ``time_left`` is computed at."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    async def items(
        self, state: AlertState | None = None, *, overdue_only: bool = False
    ) -> list[QueueItem]:
        """Alerts, most urgent first; ``overdue_only``: undecided ones past their due time."""
        if state is not None and state not in STATES:
            raise ValueError(f"unknown alert state {state!r}; one of: {', '.join(STATES)}")
        alerts = await self.store.list_alerts(state)
        alerts.sort(key=urgency)
        now = self.clock()
        items = [item_at(a, now) for a in alerts]
        return [i for i in items if i.overdue] if overdue_only else items

    async def active(self) -> list[QueueItem]:
        """Undecided alerts (open and claimed), most urgent first."""
        return [i for i in await self.items() if i.time_left is not None]

    async def get(self, alert_id: int) -> QueueItem:
        alert = await self.store.get_alert(alert_id)
        if alert is None:
            raise NotFound(f"no alert with id {alert_id}")
        return item_at(alert, self.clock())

    async def claim(
        self, alert_id: int, actor: str, note: str | None = None
    ) -> tuple[Alert, Alert]:
        """Take an open alert to review it; (before, after)."""
        return await self._change(alert_id, "claimed", actor, note)

    async def confirm(self, alert_id: int, actor: str, note: str | None) -> tuple[Alert, Alert]:
        """The content is what the bank entry says; (before, after)."""
        return await self._change(alert_id, "confirmed", actor, _require_note("confirm", note))

    async def dismiss(self, alert_id: int, actor: str, note: str | None) -> tuple[Alert, Alert]:
        """A false positive; (before, after)."""
        return await self._change(alert_id, "dismissed", actor, _require_note("dismiss", note))

    async def _change(
        self, alert_id: int, to: AlertState, actor: str, note: str | None
    ) -> tuple[Alert, Alert]:
        return await self.store.transaction(lambda tx: decide(tx, alert_id, to, actor, note))

