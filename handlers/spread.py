"""Spread: every sighting of the same media across channels and posts.

Starting from one medium, the related media are those with the same SHA-256 or
MD5 (the same file under another Telegram file id) and those whose PDQ is
within the PDQ threshold of any of the medium's 8 rotations and flips (a
recompressed, resized or flipped copy); both sides need a PDQ quality of at
least ``min_quality``. Related media are found from the starting medium (one
hop, so an unrelated picture cannot be chained in through a series of
near-duplicates). Every sighting of every related medium is listed with its
channel, post date and forward origin (Telegram's ``fwd_from``); forwards
become edges from the source post to the forwarding post, so an investigator
sees where a picture came from and where it went. The first sighting by post
date is the first seen.

The PDQ comparison scans the PDQ of every stored medium in a worker thread
(numpy, about 30 ms per million media).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from handlers.index.mih import hex_to_words
from storage.api import Store
from storage.errors import NotFound
from storage.models import MediaRecord, Sighting


class UnknownMedia(NotFound):
    """No media row with that id."""


@dataclass(frozen=True, slots=True)
class Related:
    """A medium related to the starting one, and how."""

    media_id: int
    relation: str  # "self" | "sha256" | "md5" | "pdq"
    distance: int  # PDQ Hamming distance (0 for self and exact hashes)


@dataclass(frozen=True, slots=True)
class Forward:
    """A post forwarded from another post (``to`` forwarded ``from``)."""

    from_channel_id: int
    from_message_id: int | None
    from_date: datetime | None
    to_channel_id: int
    to_message_id: int
    #: The source post is recorded too (its channel is watched).
    source_recorded: bool


@dataclass(frozen=True, slots=True)
class Spread:
    media: MediaRecord
    related: tuple[Related, ...]
    sightings: tuple[Sighting, ...]
    forwards: tuple[Forward, ...]

    @property
    def first_seen(self) -> Sighting | None:
        return self.sightings[0] if self.sightings else None

    @property
    def channels(self) -> tuple[int, ...]:
        """Channels the media was seen in, in order of first sighting."""
        return tuple(dict.fromkeys(s.channel_id for s in self.sightings))


def near_pdq(
    variants: Sequence[str],
    candidates: Sequence[tuple[int, str, int | None]],
    threshold: int,
    min_quality: int,
) -> dict[int, int]:
    """``media id -> distance`` of candidates within ``threshold`` of any variant."""
    usable = [(i, h) for i, h, q in candidates if q is None or q >= min_quality]
    if not variants or not usable:
        return {}
    query = hex_to_words([v.lower() for v in variants])  # (V, 4) uint64
    words = hex_to_words([h.lower() for _, h in usable])  # (N, 4)
    best = np.full(len(usable), 257, dtype=np.int64)
    for row in query:
        dist = np.bitwise_count(words ^ row).sum(axis=1, dtype=np.int64)
        np.minimum(best, dist, out=best)
    hits = np.nonzero(best <= threshold)[0]
    return {usable[int(k)][0]: int(best[k]) for k in hits}


def forwards_of(sightings: Sequence[Sighting]) -> tuple[Forward, ...]:
    """Forward edges among the sightings (source recorded or not), oldest first."""
    recorded = {(s.channel_id, s.message_id) for s in sightings}
    out = [
        Forward(
            from_channel_id=s.fwd_channel_id,
            from_message_id=s.fwd_message_id,
            from_date=s.fwd_date,
            to_channel_id=s.channel_id,
            to_message_id=s.message_id,
            source_recorded=(s.fwd_channel_id, s.fwd_message_id) in recorded,
        )
        for s in sightings
        if s.fwd_channel_id is not None
    ]
    return tuple(out)


async def media_spread(
    store: Store, media_id: int, *, pdq_threshold: int = 31, min_quality: int = 50
) -> Spread:
    """The spread of ``media_id``; :class:`UnknownMedia` when there is no such medium."""
    media = await store.get_media(media_id)
    if media is None:
        raise UnknownMedia(f"no media with id {media_id}")
    related: dict[int, Related] = {media.id: Related(media.id, "self", 0)}
    for other in await store.media_sharing_hashes(media.sha256, None):
        related.setdefault(other, Related(other, "sha256", 0))
    for other in await store.media_sharing_hashes(None, media.md5):
        related.setdefault(other, Related(other, "md5", 0))
    if media.pdq and (media.pdq_quality is None or media.pdq_quality >= min_quality):
        stored = await store.get_media_hashes(media.id)
        variants = list(dict.fromkeys([media.pdq, *stored.pdq_dihedral]))
        candidates = await store.media_pdq()
        near = await asyncio.to_thread(
            near_pdq, variants, candidates, pdq_threshold, min_quality
        )
        for other, dist in sorted(near.items()):
            related.setdefault(other, Related(other, "pdq", dist))
    sightings = await store.list_sightings(sorted(related))
    return Spread(
        media=media,
        related=tuple(sorted(related.values(), key=lambda r: (r.distance, r.media_id))),
        sightings=tuple(sightings),
        forwards=forwards_of(sightings),
    )
