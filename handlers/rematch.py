"""Re-matching recent media after a bank grew (an import, or the ``confirmed``
bank learning from an operator's decision).

Media with a sighting recorded within the window (setting
``matching.rematch_window``, default 7 days) are looked up again with all their
stored hashes (:func:`handlers.builtin.match.build_query`, one index call per
medium, in a worker thread). Hits in the banks that grew raise alerts for the
posts already recorded: a post without an alert gets one, an open or claimed
alert gets the new matches attached, a decided alert is left as decided. The
alert is raised under the authorization the post was captured under (from its
``post.captured`` ledger record), by ``system:rematch``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.builtin.alert import match_in
from handlers.builtin.match import Query, build_query, lookup
from handlers.context import BankIndex, Context, Hit

ACTOR = "system:rematch"
DECIDED = ("confirmed", "dismissed")


@dataclass(frozen=True, slots=True)
class RematchResult:
    """What one re-matching pass did."""

    media: int  # media looked up again
    matched: int  # of them, media with a hit in the grown banks
    alerts_raised: int  # posts that got their first alert
    alerts_extended: int  # open alerts that got new matches


def _lookup_all(index: BankIndex, queries: Sequence[Query]) -> list[list[Hit]]:
    return [lookup(index, q) for q in queries]


async def rematch_recent(
    ctx: Context, since: datetime, banks: Collection[str] | None = None
) -> RematchResult:
    """Look media seen since ``since`` up again; alert on hits in ``banks`` (all when None)."""
    media = await ctx.store.recent_media(since)
    if not media:
        return RematchResult(0, 0, 0, 0)
    stored = await ctx.store.get_media_hashes_many([m.id for m in media])
    queries = [
        build_query(m, None, stored.get(m.id), ctx.config.pdq_min_quality) for m in media
    ]
    results = await asyncio.to_thread(_lookup_all, ctx.index, queries)
    hits_of: dict[int, list[Hit]] = {}
    for m, hits in zip(media, results, strict=True):
        kept = [h for h in hits if banks is None or h.bank in banks]
        if kept:
            hits_of[m.id] = kept
    raised = extended = 0
    for sighting in await ctx.store.list_sightings(sorted(hits_of), since):
        if sighting.alert_state in DECIDED:
            continue
        hits = hits_of[sighting.media_id]
        before = await ctx.store.get_alert(sighting.alert_id) if sighting.alert_id else None
        authority = await ctx.store.capture_authority(sighting.channel_id, sighting.message_id)
        alert = await ctx.store.raise_alert(
            sighting.channel_id,
            sighting.message_id,
            [match_in(h, sighting.media_id) for h in hits],
            min(ctx.config.priority_of(h.category) for h in hits),
            ctx.clock() + ctx.config.alert_due,
            actor=ACTOR,
            authority=authority,
        )
        if before is None:
            raised += 1
        elif len(alert.matches) > len(before.matches):
            extended += 1
        ctx.log.warning(
            "alert_rematched",
            alert_id=alert.id,
            channel_id=sighting.channel_id,
            message_id=sighting.message_id,
            media_id=sighting.media_id,
            banks=sorted({h.bank for h in hits}),
            new=before is None,
        )
    result = RematchResult(len(media), len(hits_of), raised, extended)
    ctx.log.info(
        "rematch_done", media=result.media, matched=result.matched,
        alerts_raised=raised, alerts_extended=extended, banks=sorted(banks or ()),
    )
    return result
