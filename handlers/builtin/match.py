"""The ``match`` handler: look the post's media up in the bank index, once.

One ``lookup_values`` call per medium with every hash it has: SHA-256, MD5 and
SHA-1 (exact), the PDQ and its 8 rotations and flips (Hamming distance within
each bank's threshold, only for PDQ of quality >= ``pdq_min_quality``), and the
vPDQ frames of a video (vPDQ's rule). Media seen before (a re-sighting: no
download, no hashing) is looked up with all its stored hashes
(``store.get_media_hashes``), so a repost of a flipped picture or a video in
another channel gets its own alert. The medium's key (:func:`media_key`) goes
with the lookup, so bank entries an operator dismissed for this medium stay
quiet. Lookups are CPU work and run in a thread; each entry is reported once,
at its closest distance.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from handlers.context import BankIndex, Context, Hit
from handlers.hashing import MediaHashes, VpdqFrame, decode_frames
from handlers.metrics import LOOKUP_SECONDS
from handlers.post import Post
from storage.models import MediaRecord, StoredHashes


def media_key_of(sha256: str | None, media_id: int) -> str:
    """The key per-media disables use: the SHA-256 of the bytes, else the row id."""
    return sha256 or f"media:{media_id}"


def media_key(media: MediaRecord) -> str:
    """:func:`media_key_of` a media row."""
    return media_key_of(media.sha256, media.id)


@dataclass(frozen=True, slots=True)
class Query:
    """Every hash of one medium worth looking up."""

    media_key: str
    sha256: str | None = None
    md5: str | None = None
    sha1: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_variants: tuple[str, ...] = ()
    vpdq: tuple[VpdqFrame, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.sha256 or self.md5 or self.sha1 or self.pdq or self.vpdq)


def build_query(
    media: MediaRecord,
    hashes: MediaHashes | None,
    stored: StoredHashes | None,
    pdq_min_quality: int,
) -> Query:
    """The query for ``media``: ``hashes`` when it was hashed for this post, else
    ``stored`` (its ``media_hashes`` rows). PDQ below the quality floor is left
    out (the exact hashes still go)."""
    sha1: str | None = None
    variants: tuple[str, ...] = ()
    frames: tuple[VpdqFrame, ...] = ()
    if hashes is not None:
        sha1 = hashes.sha1
        variants = tuple(hashes.pdq_dihedral or ())
        frames = tuple(hashes.vpdq or ())
    elif stored is not None:
        sha1 = stored.sha1
        variants = stored.pdq_dihedral
        frames = tuple(decode_frames(stored.vpdq)) if stored.vpdq else ()
    good_pdq = (
        media.pdq is not None
        and media.pdq_quality is not None
        and media.pdq_quality >= pdq_min_quality
    )
    return Query(
        media_key=media_key(media),
        sha256=media.sha256,
        md5=media.md5,
        sha1=sha1,
        pdq=media.pdq if good_pdq else None,
        pdq_quality=media.pdq_quality if good_pdq else None,
        pdq_variants=variants if good_pdq else (),
        vpdq=frames,
    )


def lookup(index: BankIndex, query: Query) -> list[Hit]:
    """Every hit for ``query`` (one index call), one per bank entry (the
    closest), closest first."""
    if query.empty:
        return []
    variants = query.pdq_variants
    if query.pdq and variants and query.pdq not in variants:
        variants = (query.pdq, *variants)
    found = index.lookup_values(
        sha256=query.sha256,
        md5=query.md5,
        sha1=query.sha1,
        pdq=query.pdq,
        pdq_quality=query.pdq_quality,
        pdq_variants=variants or None,
        vpdq=list(query.vpdq) or None,
        media_key=query.media_key,
    )
    best: dict[int, Hit] = {}
    for hit in found:
        known = best.get(hit.entry_id)
        if known is None or hit.distance < known.distance:
            best[hit.entry_id] = hit
    return sorted(best.values(), key=lambda h: (h.distance, h.entry_id))


async def query_for(ctx: Context, media: MediaRecord) -> Query:
    """The query for the post's medium; a reused one's hashes come from the store."""
    hashes = ctx.state.hashes
    stored = None
    if hashes is None and media.status == "hashed":
        stored = await ctx.store.get_media_hashes(media.id)
    return build_query(media, hashes, stored, ctx.config.pdq_min_quality)


async def handle_match(post: Post, ctx: Context) -> None:
    """Fill ``ctx.state.hits`` with the bank entries the media matches."""
    media = ctx.state.media
    if media is None:
        return
    query = await query_for(ctx, media)
    if query.empty:
        return
    with LOOKUP_SECONDS.time():
        hits = await asyncio.to_thread(lookup, ctx.index, query)
    ctx.state.hits = hits
    if hits:
        ctx.log.info(
            "media_matched",
            media_id=media.id,
            hits=len(hits),
            banks=sorted({h.bank for h in hits}),
            best_distance=hits[0].distance,
            reused=ctx.state.media_reused,
        )
