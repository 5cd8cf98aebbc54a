"""The queue and the alert as the console shows them: filters and the page
cursor, time left as a colour and a countdown, and JSON-ready rows (the pages
render the same rows the API returns)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, get_args

from hotline.console.errors import Invalid
from hotline.queue import ACTIVE, QueueItem, bank_names, format_time_left, item_at
from storage.models import Alert, AlertState, AuditRecord
from storage.repos.console import QueueEntry, QueueFilter, QueueKey

STATES: Final[tuple[str, ...]] = get_args(AlertState)
#: ``state`` filter values besides the four states.
ACTIVE_VIEW = "active"
ALL_VIEW = "all"
#: Time left below which an alert is shown as urgent / soon.
URGENT = timedelta(hours=2)
SOON = timedelta(hours=6)
#: Post fields shown on the alert page (metadata; the text only after a click).
POST_FIELDS: Final = (
    "date", "edit_date", "deleted_at", "author_signature", "views", "forwards",
    "fwd_channel_id", "fwd_message_id", "fwd_from_name", "fwd_date", "reply_to",
    "grouped_id", "has_media", "captured_at", "captured_by",
)


@dataclass(frozen=True, slots=True)
class QueueQuery:
    state: str = ACTIVE_VIEW
    overdue: bool = False
    bank: str | None = None
    channel: int | None = None
    case: str | None = None
    after: str | None = None
    limit: int = 50

    def to_filter(self, now: datetime) -> QueueFilter:
        if self.state == ACTIVE_VIEW:
            states: tuple[AlertState, ...] = ACTIVE
        elif self.state == ALL_VIEW:
            states = get_args(AlertState)
        elif self.state in STATES:
            states = (self.state,)  # type: ignore[assignment]
        else:
            raise Invalid(
                f"unknown state {self.state!r}; one of: {ACTIVE_VIEW}, {ALL_VIEW}, "
                + ", ".join(STATES)
            )
        return QueueFilter(
            states=states, overdue_at=now if self.overdue else None, bank=self.bank or None,
            channel_id=self.channel, case=self.case or None,
        )

    def params(self, **change: Any) -> dict[str, Any]:
        """The query as URL parameters (for links to other pages of it)."""
        values = {"state": self.state, "overdue": "1" if self.overdue else None,
                  "bank": self.bank, "channel": self.channel, "case": self.case,
                  "after": self.after}
        values.update(change)
        return {k: v for k, v in values.items() if v not in (None, "")}


def encode_key(key: QueueKey) -> str:
    raw = json.dumps([int(key.decided), key.priority, key.due_at.isoformat(), key.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_key(text: str) -> QueueKey:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        decided, priority, due, alert_id = json.loads(raw)
        key = QueueKey(bool(decided), int(priority), datetime.fromisoformat(due), int(alert_id))
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise Invalid(f"'after' is not a cursor this queue gave out: {text[:40]!r}") from None
    if key.due_at.tzinfo is None:
        raise Invalid("'after' is not a cursor this queue gave out")
    return key


def urgency(item: QueueItem) -> str:
    """The colour class of the time left: overdue, urgent, soon, ok, decided."""
    if item.time_left is None:
        return "decided"
    if item.overdue:
        return "overdue"
    if item.time_left <= URGENT:
        return "urgent"
    return "soon" if item.time_left <= SOON else "ok"


def channel_label(channel_id: int, title: str | None, username: str | None) -> str:
    if username:
        return f"@{username}"
    return title or str(channel_id)


def categories(alert: Alert) -> list[str]:
    return sorted({str(m["category"]) for m in alert.matches if m.get("category")})


def alert_row(alert: Alert, now: datetime, channel: str | None = None) -> dict[str, Any]:
    item = item_at(alert, now)
    return {
        "id": alert.id,
        "state": alert.state,
        "priority": alert.priority,
        "channel_id": alert.channel_id,
        "channel": channel or str(alert.channel_id),
        "message_id": alert.message_id,
        "banks": bank_names(alert),
        "categories": categories(alert),
        "matches": len(alert.matches),
        "created_at": alert.created_at,
        "due_at": alert.due_at,
        "time_left_s": None if item.time_left is None else int(item.time_left.total_seconds()),
        "time_left": format_time_left(item),
        "overdue": item.overdue,
        "urgency": urgency(item),
        "claimed_by": alert.claimed_by,
        "decided_by": alert.decided_by,
        "decided_at": alert.decided_at,
        "note": alert.note,
    }


def entry_row(entry: QueueEntry, now: datetime) -> dict[str, Any]:
    label = channel_label(entry.alert.channel_id, entry.channel_title, entry.channel_username)
    return alert_row(entry.alert, now, label)


def match_row(match: dict[str, Any]) -> dict[str, Any]:
    """A match with its bank entry's provenance; a vPDQ match with its direction."""
    detail = match.get("detail") or {}
    return {
        "bank": match.get("bank"),
        "bank_entry_id": match.get("bank_entry_id"),
        "category": match.get("category"),
        "source_ref": match.get("source_ref"),
        "hash_type": match.get("hash_type"),
        "distance": match.get("distance"),
        "media_id": match.get("media_id"),
        "matched_at": match.get("matched_at"),
        "direction": detail.get("direction"),
        "banked_found": detail.get("banked_found"),
        "posted_found": detail.get("posted_found"),
    }


def post_meta(post: dict[str, Any] | None) -> dict[str, Any] | None:
    """The post's metadata, never its text (that needs a click, and is audited)."""
    if post is None:
        return None
    meta = {k: post.get(k) for k in POST_FIELDS}
    meta["links"] = list(post.get("links") or [])
    meta["mentions"] = list(post.get("mentions") or [])
    meta["edits"] = len(post.get("edits") or [])
    meta["text_length"] = len(str(post.get("text") or ""))
    return meta


def audit_row(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id, "at": record.at, "actor": record.actor, "action": record.action,
        "subject": record.subject, "why": record.why,
        "after": json.loads(record.after_json) if record.after_json else None,
    }


@dataclass(frozen=True, slots=True)
class Timeline:
    """A small SVG timeline of sightings: one dot per sighting on a time axis."""

    width: int
    height: int
    dots: tuple[tuple[float, float, str, str], ...]  # x, y, colour class, label
    start: str
    end: str


def timeline(sightings: list[dict[str, Any]], width: int = 640, height: int = 80) -> Timeline:
    points = []
    for s in sightings:
        when = s.get("post_date") or s.get("seen_at")
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if isinstance(when, datetime):
            points.append((when, str(s.get("channel") or s.get("channel_id")), s))
    if not points:
        return Timeline(width, height, (), "", "")
    points.sort(key=lambda p: p[0])
    first, last = points[0][0], points[-1][0]
    span = max((last - first).total_seconds(), 1.0)
    lanes = {name: i for i, name in enumerate(dict.fromkeys(p[1] for p in points))}
    lane_h = (height - 20) / max(len(lanes), 1)
    dots = tuple(
        (
            round(10 + (width - 20) * (when - first).total_seconds() / span, 1),
            round(10 + lane_h * (lanes[name] + 0.5), 1),
            f"lane{lanes[name] % 6}",
            f"{name} #{s.get('message_id')} {when:%Y-%m-%d %H:%M}Z",
        )
        for when, name, s in points
    )
    return Timeline(width, height, dots, f"{first:%Y-%m-%d %H:%M}Z", f"{last:%Y-%m-%d %H:%M}Z")
