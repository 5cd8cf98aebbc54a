"""The ``alert`` handler: one alert per post that matched, on the review queue.

All the post's matches are attached to the one alert. Its priority is the most
urgent of the matched entries' categories (``category_priority``; 1 is the most
urgent), and it is due ``alert_due`` after it was raised (default 24 hours, the
statutory takedown window). Raising again for the same post (a replay, an
edit) attaches to the existing alert: the store keeps one alert per post.
A vPDQ match carries its verdict in the match's detail (:func:`match_in`): the
direction (contains / excerpt / both) and both percentages.
"""

from __future__ import annotations

from handlers.context import Context, Hit
from handlers.post import Post
from storage.models import MatchIn


def match_in(hit: Hit, media_id: int) -> MatchIn:
    """The stored match of ``hit`` for ``media_id`` (a vPDQ verdict as its detail)."""
    return MatchIn(
        bank_entry_id=hit.entry_id,
        media_id=media_id,
        hash_type=hit.hash_type,
        distance=hit.distance,
        detail=hit.vpdq.detail() if hit.vpdq is not None else None,
    )


async def handle_alert(post: Post, ctx: Context) -> None:
    """Raise (or extend) the post's alert when ``match`` found hits."""
    hits = ctx.state.hits
    media = ctx.state.media
    if not hits or media is None:
        return
    priority = min(ctx.config.priority_of(h.category) for h in hits)
    matches = [match_in(h, media.id) for h in hits]
    alert = await ctx.store.raise_alert(
        post.channel_id,
        post.message_id,
        matches,
        priority,
        ctx.clock() + ctx.config.alert_due,
        authority=post.authority,
    )
    ctx.state.alert = alert
    ctx.log.warning(
        "alert_raised",
        alert_id=alert.id,
        priority=alert.priority,
        matches=len(matches),
        due_at=alert.due_at.isoformat(),
    )
