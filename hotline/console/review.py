"""The review actions: the queue page, one alert, its text (audited), its
media's spread, and claim / confirm / dismiss. Each calls one service
(:mod:`hotline.queue`, the store, the spread the wiring gives) and returns
JSON-ready values that the pages render and the API returns."""

from __future__ import annotations

from typing import Any

from hotline.console.errors import Invalid, Missing
from hotline.console.signin import Principal
from hotline.console.state import Console
from hotline.console.views import (
    QueueQuery,
    alert_row,
    audit_row,
    channel_label,
    decode_key,
    encode_key,
    entry_row,
    match_row,
    post_meta,
)
from storage.changes import audited
from storage.ledger import records
from storage.repos import Transaction

DECISIONS = ("claim", "confirm", "dismiss")
#: Audit rows shown on the alert page.
TRAIL = 200


async def queue_page(c: Console, q: QueueQuery) -> dict[str, Any]:
    if not 1 <= q.limit <= c.config.page_max:
        raise Invalid(f"limit must be 1..{c.config.page_max}, not {q.limit}")
    now = c.clock()
    where = q.to_filter(now)
    after = decode_key(q.after) if q.after else None

    async def read(tx: Transaction) -> tuple[list[Any], int]:
        entries = await tx.alert_pages.page(where, after, q.limit + 1)
        return entries, await tx.alert_pages.count(where)

    entries, total = await c.services.store.snapshot(read)
    more = len(entries) > q.limit
    entries = entries[: q.limit]
    return {
        "items": [entry_row(e, now) for e in entries],
        "total": total,
        "next": encode_key(entries[-1].key) if more and entries else None,
        "now": now,
    }


async def queue_choices(c: Console) -> dict[str, Any]:
    """What the filters offer: banks, channels with alerts, cases."""

    async def read(tx: Transaction) -> tuple[list[Any], list[Any]]:
        return await tx.banks.list(), await tx.alert_pages.channels()

    banks, channels = await c.services.store.snapshot(read)
    cases = await c.services.cases.all()
    return {
        "banks": [b.name for b in banks],
        "channels": [(cid, channel_label(cid, t, u)) for cid, t, u in channels],
        "cases": [case.reference for case in cases],
    }


async def alert_detail(c: Console, alert_id: int) -> dict[str, Any]:
    """The alert's metadata, matches, decisions and audit trail; never the text."""
    alert = await c.services.store.get_alert(alert_id)
    if alert is None:
        raise Missing(f"no alert with id {alert_id}")
    store = c.services.store
    post = await store.get_post(alert.channel_id, alert.message_id)
    channel = await store.get_channel(alert.channel_id)
    trail = await store.list_audit(subject=f"alert:{alert_id}", limit=TRAIL)
    origin = await store.snapshot(
        lambda tx: records.alert_origin(tx, alert_id, alert.channel_id)
    )
    label = channel_label(alert.channel_id, channel.title if channel else None,
                          channel.username if channel else None)
    row = alert_row(alert, c.clock(), label)
    row.update(
        channel_title=channel.title if channel else None,
        post=post_meta(post),
        match_list=[match_row(m) for m in alert.matches],
        media_ids=sorted({int(m["media_id"]) for m in alert.matches}),
        case=origin.get("case"),
        authorization=origin.get("authorization"),
        trail=[audit_row(r) for r in trail],
    )
    return row


async def alert_text(c: Console, p: Principal, alert_id: int) -> dict[str, Any]:
    """The post's text, written to the audit trail and the ledger first: if that
    record cannot be written, the text is not shown."""
    store = c.services.store

    async def view(tx: Transaction) -> dict[str, Any]:
        alert = await tx.alerts.get(alert_id)
        if alert is None:
            raise Missing(f"no alert with id {alert_id}")
        post = await tx.posts.get(alert.channel_id, alert.message_id)
        text = "" if post is None else str(post.get("text") or "")
        origin = await records.alert_origin(tx, alert_id, alert.channel_id)
        await audited(
            tx, actor=p.name, action="alert.text_view", subject=f"alert:{alert_id}",
            after={"via": p.via, "length": len(text)}, why="shown in the console",
            ledger={"channel": alert.channel_id, "message": alert.message_id,
                    "alert": alert_id, "text_sha256": records.text_sha256(text), **origin},
        )
        return {"alert_id": alert_id, "text": text}

    return await store.transaction(view)


async def decide(
    c: Console, p: Principal, alert_id: int, verb: str, note: str | None
) -> dict[str, Any]:
    """claim / confirm / dismiss with the queue's rules (hotline.queue)."""
    queue = c.services.queue
    if verb == "claim":
        before, after = await queue.claim(alert_id, p.name, note or None)
    elif verb == "confirm":
        before, after = await queue.confirm(alert_id, p.name, note)
    elif verb == "dismiss":
        before, after = await queue.dismiss(alert_id, p.name, note)
    else:
        raise Invalid(f"unknown decision {verb!r}; one of: {', '.join(DECISIONS)}")
    return {"alert_id": after.id, "before": before.state, "state": after.state,
            "by": p.name, "alert": alert_row(after, c.clock())}


async def spread(c: Console, media_id: int) -> dict[str, Any]:
    return await c.services.spread(media_id)
