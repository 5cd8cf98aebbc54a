"""The changes the monitor makes, each with its audit row and ledger record,
written once for every backend: watches, posts, deletions, media, sightings,
alerts and their matches.

Each function runs inside ``store.transaction``; ``tx.now`` stamps the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from storage.changes import audited, require_actor
from storage.ledger import records
from storage.ledger.ledger import append_record
from storage.models import (
    Alert,
    Authority,
    Capture,
    MatchIn,
    MediaRecord,
    NewMedia,
    PostRecord,
    WatchRecord,
)
from storage.repos import Transaction


async def add_watch(
    tx: Transaction, target: str, actor: str, reason: str | None, state: str
) -> WatchRecord:
    require_actor(actor)
    if not target.strip():
        raise ValueError("a watch needs a target (@name, t.me/name or an invite link)")
    record = await tx.watches.insert(target.strip(), actor, reason, state, tx.now)
    await audited(tx, actor=actor, action="watch.add", subject=f"watch:{record.id}",
                  after=record, why=reason)
    return record


async def update_watch(
    tx: Transaction,
    watch_id: int,
    *,
    actor: str,
    state: str | None = None,
    channel_id: int | None = None,
    account: str | None = None,
    reason: str | None = None,
    wait_until: datetime | None = None,
) -> WatchRecord:
    """Change the given fields (None leaves a field as it is), audited when
    anything changed. A watch bound to a channel is never re-bound."""
    require_actor(actor)
    before, after = await tx.watches.update(
        watch_id, now=tx.now, state=state, channel_id=channel_id, account=account,
        reason=reason, wait_until=wait_until,
    )
    if after != before:
        await audited(tx, actor=actor, action="watch.update", subject=f"watch:{watch_id}",
                      before=before, after=after, why=reason)
    return after


async def record_post(tx: Transaction, post: PostRecord) -> bool:
    """Store a post (idempotent); True when new. ``post.captured`` for a new
    post, ``post.edited`` for a replay that brings a new text; a replay that
    changes no text records nothing."""
    outcome = await tx.posts.record(post, tx.now)
    if outcome.new:
        await records.post_captured(tx, post, tx.now)
    elif outcome.previous_text is not None:
        await records.post_edited(tx, post, outcome.previous_text, tx.now)
    return outcome.new


async def mark_deleted(
    tx: Transaction,
    channel_id: int,
    message_ids: Sequence[int],
    at: datetime,
    authority: Authority | None = None,
) -> int:
    """Mark posts deleted (once each); one ``post.deleted`` record per post."""
    marked = await tx.posts.mark_deleted(channel_id, message_ids, at)
    for message_id in marked:
        await records.post_deleted(tx, channel_id, message_id, authority, at)
    return len(marked)


async def add_media(tx: Transaction, new: NewMedia, capture: Capture | None = None) -> MediaRecord:
    """Idempotent on file id; ``media.hashed`` when created or upgraded."""
    if not new.file_id:
        raise ValueError("media needs a Telegram file id")
    record, changed = await tx.media.add(new, tx.now)
    if changed:
        await records.media_hashed(tx, record, capture, tx.now)
    return record


async def add_sighting(
    tx: Transaction,
    media_id: int,
    channel_id: int,
    message_id: int,
    authority: Authority | None = None,
) -> None:
    """A medium seen in a post (idempotent); ``media.seen`` for a new sighting."""
    medium = await tx.media.add_sighting(media_id, channel_id, message_id, tx.now)
    if medium is not None:
        await records.media_seen(tx, medium, channel_id, message_id, authority, tx.now)


def check_detail(detail: Mapping[str, str] | None) -> None:
    """A match's detail is a flat mapping of strings (the ledger has no numbers)."""
    if detail is None:
        return
    if not isinstance(detail, Mapping):
        raise ValueError(f"a match detail is a mapping of strings, not {type(detail).__name__}")
    for key, value in detail.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(
                f"a match detail holds only strings: {key!r}: {type(value).__name__}"
            )


async def raise_alert(
    tx: Transaction,
    channel_id: int,
    message_id: int,
    matches: Sequence[MatchIn],
    priority: int,
    due_at: datetime,
    actor: str,
    authority: Authority | None = None,
) -> Alert:
    """The post's alert (created ``open`` if it has none) with ``matches``
    attached: ``alert.raised`` (with the post, its authorization and case) for
    a new alert, and one ``match`` record per match new to it."""
    require_actor(actor)
    if not matches:
        raise ValueError("an alert needs at least one match")
    for match in matches:
        check_detail(match.detail)
    raised = await tx.alerts.attach(channel_id, message_id, matches, priority, due_at, tx.now)
    alert_id = raised.alert.id
    added = list(raised.added)
    origin = {"channel": channel_id, "message": message_id, "alert": alert_id,
              **records.authority_fields(authority)}
    if raised.created:
        await audited(
            tx, actor=actor, action="alert.raise", subject=f"alert:{alert_id}",
            after={"state": "open", "priority": priority, "due_at": due_at,
                   "channel_id": channel_id, "message_id": message_id, "matches": added},
            ledger=origin,
        )
    elif added:
        await audited(tx, actor=actor, action="alert.match", subject=f"alert:{alert_id}",
                      after={"matches": added})
    for m in added:
        entry = await tx.banks.entry(m.bank_entry_id)
        assert entry is not None  # attach checked the reference
        await append_record(tx, "match", actor, {
            **origin, "bank": entry.bank, "bank_entry": m.bank_entry_id,
            "bank_hash": entry.hash_value, "category": entry.category, "media": m.media_id,
            "hash_type": m.hash_type, "distance": m.distance,
            **({"detail": dict(m.detail)} if m.detail else {}),
        }, at=tx.now)
    return raised.alert
