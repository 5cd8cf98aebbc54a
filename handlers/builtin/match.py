"""The ``match`` handler: look the post's media hashes up in the bank index.

Exact hashes (SHA-256, MD5, SHA-1) by index; PDQ by Hamming distance within
each bank's threshold, only for hashes of quality >= ``pdq_min_quality``, for
the image and its 8 rotations and flips; vPDQ for videos. Media that was seen
before is looked up again (SHA-256, MD5, PDQ as stored): a repost of known
content in another channel needs its own alert. Lookups are CPU work and run
in a thread; each entry is reported once, at its closest distance.
"""

from __future__ import annotations

import asyncio

from handlers.hashing import MediaHashes, encode_frames
from handlers.pipeline import BankIndex, Context, Hit
from handlers.post import Post
from storage.models import HashType, MediaRecord


def queries(
    media: MediaRecord, hashes: MediaHashes | None, pdq_min_quality: int
) -> list[tuple[HashType, str]]:
    """The (hash type, value) pairs worth looking up, without repeats.

    ``hashes`` (media hashed for this very post) adds SHA-1, the PDQ dihedral
    variants and vPDQ frames; a reused media row has SHA-256, MD5 and PDQ.
    """
    out: list[tuple[HashType, str]] = []
    if media.sha256:
        out.append(("sha256", media.sha256))
    if media.md5:
        out.append(("md5", media.md5))
    if hashes is not None and hashes.sha1:
        out.append(("sha1", hashes.sha1))
    if media.pdq and media.pdq_quality is not None and media.pdq_quality >= pdq_min_quality:
        out.append(("pdq", media.pdq))
        variants = hashes.pdq_dihedral if hashes is not None else None
        out.extend(("pdq", v) for v in variants or () if v != media.pdq)
    if hashes is not None and hashes.vpdq:
        out.append(("vpdq", encode_frames(hashes.vpdq)))
    return list(dict.fromkeys(out))


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
    pairs = queries(media, ctx.state.hashes, ctx.config.pdq_min_quality)
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
