"""The ``match`` handler: look the post's media hashes up in the bank index.

Exact hashes (SHA-256, MD5) by index; PDQ by Hamming distance within each
bank's threshold, only for hashes of quality >= ``pdq_min_quality``. Media that
was seen before is looked up again: a repost of known content in another
channel needs its own alert. Lookups are CPU work and run in a thread.
"""

from __future__ import annotations

import asyncio

from handlers.pipeline import BankIndex, Context, Hit
from handlers.post import Post
from storage.models import HashType, MediaRecord


def queries(media: MediaRecord, pdq_min_quality: int) -> list[tuple[HashType, str]]:
    """The (hash type, value) pairs of ``media`` worth looking up."""
    out: list[tuple[HashType, str]] = []
    if media.sha256:
        out.append(("sha256", media.sha256))
    if media.md5:
        out.append(("md5", media.md5))
    if media.pdq and media.pdq_quality is not None and media.pdq_quality >= pdq_min_quality:
        out.append(("pdq", media.pdq))
    return out


def lookup_all(index: BankIndex, pairs: list[tuple[HashType, str]]) -> list[Hit]:
    """Every hit for ``pairs``, one per bank entry (the closest), closest first."""
    best: dict[int, Hit] = {}
    for hash_type, value in pairs:
        for hit in index.lookup(hash_type, value):
            known = best.get(hit.entry_id)
            if known is None or hit.distance < known.distance:
                best[hit.entry_id] = hit
    return sorted(best.values(), key=lambda h: (h.distance, h.entry_id))


async def handle_match(post: Post, ctx: Context) -> None:
    """Fill ``ctx.state.hits`` with the bank entries the media matches."""
    media = ctx.state.media
    if media is None:
        return
    pairs = queries(media, ctx.config.pdq_min_quality)
    if not pairs:
        return
    hits = await asyncio.to_thread(lookup_all, ctx.index, pairs)
    ctx.state.hits = hits
    if hits:
        ctx.log.info(
            "media_matched",
            media_id=media.id,
            hits=len(hits),
            banks=sorted({h.bank for h in hits}),
            best_distance=hits[0].distance,
        )
