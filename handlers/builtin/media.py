"""The ``media`` handler: download once into memory, hash, record a sighting.

For a post with media:

1. Same Telegram file seen before (``store.find_media(file_id=...)``): no
   download, no hashing; the post becomes another sighting of that media.
2. Kind not in ``hash_kinds``: metadata recorded, status ``skipped``.
3. Larger than ``media_max_bytes`` (announced, or found while downloading:
   ``MediaRef.fetch`` raises ``MediaTooLarge``): metadata recorded, status
   ``too_large``.
4. Otherwise the bytes are fetched into memory (never written to disk) and
   their SHA-256 computed; the same bytes under another file id
   (``store.find_media(sha256=...)``) are not hashed again: another sighting.
5. New bytes are hashed by :func:`handlers.hashing.hash_media` (SHA-256, MD5,
   PDQ of images; undecodable images, truncated files and decompression bombs
   get a recorded reason) in a worker thread.

A download that fails (network, media gone) is recorded as status ``failed``
with the reason, the sighting is kept, and the error is raised again so the
pipeline logs it with the post's ids and reports ``media`` as failed. A media
row whose status is not final for the current settings (``failed``; ``skipped``
now that its kind is hashed; ``too_large`` under a raised cap) is tried again
when the file is seen again: the store upgrades such a row once hashed.
``ctx.state.media`` is the media row for ``match`` and ``alert``. When the
detector stage looks at this kind (``ctx.detectors``), the pictures for the
detectors are taken while hashing (``ctx.state.detect_input``, memory only).

Ledger: the store records ``media.hashed`` (with this post and its authority)
when a media row is created or upgraded, and ``media.seen`` for each new
sighting.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from handlers.context import Context, PipelineConfig
from handlers.detect.frames import MediaSampler
from handlers.hashing import MediaHashes, encode_frames, hash_media
from handlers.hashing.pdq import DEFAULT_MAX_PIXELS
from handlers.hashing.video import DEFAULT_MAX_FRAMES
from handlers.metrics import HASH_SECONDS
from handlers.post import MediaRef, MediaTooLarge, Post
from storage.errors import ChanwatchError
from storage.models import Capture, MediaRecord, NewMedia


class MediaDownloadFailed(ChanwatchError):
    """Carries the ``failed`` media row and the download's error out of the download."""

    def __init__(self, record: MediaRecord, error: Exception) -> None:
        super().__init__(str(error))
        self.record = record
        self.error = error


def is_final(record: MediaRecord, ref: MediaRef, config: PipelineConfig) -> bool:
    """True when ``record`` needs no new download under the current settings."""
    if record.status in ("hashed", "undecodable"):
        return True
    if record.status == "skipped":
        return ref.kind not in config.hash_kinds
    if record.status == "too_large":
        return record.size is None or record.size > config.media_max_bytes
    return False  # failed: try again


def metadata_only(ref: MediaRef, status: str, reason: str) -> NewMedia:
    """A media row for a file that is not downloaded."""
    return NewMedia(
        file_id=ref.file_id,
        kind=ref.kind,
        size=ref.size,
        mime=ref.mime,
        width=ref.width,
        height=ref.height,
        duration=ref.duration,
        sha256=None,
        md5=None,
        pdq=None,
        pdq_quality=None,
        status=status,
        reason=reason,
    )


def hashed(
    ref: MediaRef,
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    sampler: MediaSampler | None = None,
) -> tuple[NewMedia, MediaHashes]:
    """Hash ``data`` (CPU work: call it in a thread): the row to store, and every hash.

    Images get their 8 dihedral PDQ variants too, so ``match`` finds rotated or
    flipped reposts. With a ``sampler`` (detection on for this kind), the
    pictures for the detectors are taken in the same pass: a video's keyframes
    from vPDQ's own decoding (``sampler.result``).
    """
    result = hash_media(
        data, ref.kind, want_dihedral=True, max_pixels=max_pixels, max_frames=max_frames,
        on_video_frame=sampler.on_video_frame if sampler is not None else None,
    )
    if sampler is not None:
        sampler.finish(data, result)
    extra: dict[str, Any] = {"sha1": result.sha1}
    if result.vpdq:
        extra["vpdq"] = encode_frames(result.vpdq)
    if result.pdq_dihedral:
        extra["pdq_dihedral"] = list(result.pdq_dihedral)
    new = NewMedia(
        file_id=ref.file_id,
        kind=ref.kind,
        size=len(data),
        mime=ref.mime,
        width=ref.width if ref.width is not None else result.width,
        height=ref.height if ref.height is not None else result.height,
        duration=ref.duration if ref.duration is not None else result.duration,
        sha256=result.sha256,
        md5=result.md5,
        pdq=result.pdq,
        pdq_quality=result.pdq_quality,
        status=result.status,
        reason=result.reason,
        extra=extra,
    )
    return new, result


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _capture(post: Post) -> Capture:
    return Capture(post.channel_id, post.message_id, post.authority)


async def _download_and_hash(ref: MediaRef, post: Post, ctx: Context) -> MediaRecord:
    """Steps 3 to 5 for a file not seen before."""
    capture = _capture(post)
    cap = ctx.config.media_max_bytes
    too_large = f"larger than the media size cap of {cap} bytes"
    if ref.size is not None and ref.size > cap:
        return await ctx.store.add_media(metadata_only(ref, "too_large", too_large), capture)
    if ref.fetch is None:
        return await ctx.store.add_media(
            metadata_only(ref, "failed", "Telegram offers no download for this media"), capture
        )
    try:
        data = await ref.fetch(cap)
    except MediaTooLarge:
        return await ctx.store.add_media(metadata_only(ref, "too_large", too_large), capture)
    except Exception as err:
        failed = await ctx.store.add_media(
            metadata_only(ref, "failed", f"download failed: {type(err).__name__}: {err}"),
            capture,
        )
        raise MediaDownloadFailed(failed, err) from err
    sha256 = await asyncio.to_thread(_sha256, data)
    same = await ctx.store.find_media(sha256=sha256)
    if same is not None:
        ctx.state.media_reused = True
        ctx.log.debug("media_same_bytes", media_id=same.id, file_id=ref.file_id)
        return same
    sampler = ctx.detectors.sampler(ref.kind, ref.mime) if ctx.detectors is not None else None
    with HASH_SECONDS.time():
        new, hashes = await asyncio.to_thread(
            hashed,
            ref,
            data,
            max_pixels=ctx.config.media_max_pixels,
            max_frames=ctx.config.media_max_frames,
            sampler=sampler,
        )
    record = await ctx.store.add_media(new, capture)
    ctx.state.hashes = hashes
    ctx.state.detect_input = sampler.result if sampler is not None else None
    ctx.log.info(
        "media_hashed", media_id=record.id, kind=ref.kind, size=len(data), status=record.status
    )
    return record


async def handle_media(post: Post, ctx: Context) -> None:
    """Find or create the post's media row and record the sighting."""
    ref = post.media
    if ref is None:
        return
    record = await ctx.store.find_media(file_id=ref.file_id)
    if record is not None and is_final(record, ref, ctx.config):
        ctx.state.media_reused = True
    elif ref.kind not in ctx.config.hash_kinds:
        record = await ctx.store.add_media(
            metadata_only(ref, "skipped", f"media kind {ref.kind} is not in media.hash_kinds"),
            _capture(post),
        )
    else:
        try:
            record = await _download_and_hash(ref, post, ctx)
        except MediaDownloadFailed as failed:
            await ctx.store.add_sighting(
                failed.record.id, post.channel_id, post.message_id, post.authority
            )
            ctx.state.media = failed.record
            raise failed.error from None
    await ctx.store.add_sighting(record.id, post.channel_id, post.message_id, post.authority)
    ctx.state.media = record
