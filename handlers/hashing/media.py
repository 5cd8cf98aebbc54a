"""The one entry point the pipeline and ``chanwatch hash`` share: :func:`hash_media`.

It works on bytes in memory (never on disk), computes SHA-256, MD5 and SHA-1 of
every file, PDQ of images and vPDQ of videos and animations, and never raises
for bad content: a file that cannot be decoded gets ``status="undecodable"``
and a ``reason`` (decompression bombs say so), with its cryptographic hashes.

The work is CPU-bound and synchronous; coroutines call
:func:`hash_media_async`, which runs it in a worker thread so the event loop
never blocks.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import structlog

from handlers.hashing.pdq import (
    DEFAULT_MAX_PIXELS,
    ImageDecodeError,
    decode_luma,
    pdq_dihedral_from_array,
    pdq_from_array,
)
from handlers.hashing.video import DEFAULT_MAX_FRAMES, VideoDecodeError, vpdq_video
from handlers.hashing.vpdq import VpdqFrame

log = structlog.get_logger(__name__)

MediaType = Literal["image", "video"]
HashStatus = Literal["hashed", "undecodable"]

#: Telegram media kinds whose bytes are images / videos; documents are sniffed.
IMAGE_KINDS = frozenset({"photo", "image"})
VIDEO_KINDS = frozenset({"video", "animation", "round", "gif"})
SNIFF_KINDS = frozenset({"document", "sticker", "other", "file"})


@dataclass(frozen=True, slots=True)
class MediaHashes:
    """Everything hashing learned about one file."""

    sha256: str
    md5: str
    sha1: str
    size: int
    media_type: MediaType | None  # what the bytes were hashed as; None: bytes only
    status: HashStatus
    reason: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    #: The 8 dihedral PDQ hashes (see ``pdq.DIHEDRAL_NAMES``) when asked for.
    pdq_dihedral: tuple[str, ...] | None = None
    vpdq: list[VpdqFrame] | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None


def crypto_hashes(data: bytes) -> tuple[str, str, str]:
    """SHA-256, MD5 and SHA-1 of ``data`` as lower-case hex (MD5/SHA-1: bank lookups only)."""
    return (
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
    )


def sniff(data: bytes) -> MediaType | None:
    """Guess from magic bytes whether ``data`` is an image or a video, else None."""
    head = data[:32]
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*")):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "video"  # animations; a one-frame GIF still yields one vPDQ frame
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis", b"heic", b"heix", b"mif1"):
            return "image"
        return "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska / WebM
        return "video"
    return None


def _media_type(kind: str, data: bytes) -> MediaType | None:
    if kind in IMAGE_KINDS:
        return "image"
    if kind in VIDEO_KINDS:
        return "video"
    if kind in SNIFF_KINDS:
        return sniff(data)
    return None  # audio, voice: bytes hashes only


def hash_media(
    data: bytes,
    kind: str,
    *,
    want_pdq: bool = True,
    want_vpdq: bool = True,
    want_dihedral: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    on_video_frame: Callable[[VpdqFrame, Any], None] | None = None,
) -> MediaHashes:
    """Hash one file held in memory. ``kind`` is the Telegram media kind.
    ``on_video_frame``: passed to :func:`~handlers.hashing.video.vpdq_video`
    (each hashed frame and its decoded picture, for the detectors).

    Images (photo; documents and stickers sniffed as images) get PDQ and its
    quality; videos and animations get vPDQ frames, and ``pdq`` is then the
    first hashed frame's PDQ so a still from a video can match an image bank.
    Never raises for bad content (see the module doc).
    """
    sha256, md5, sha1 = crypto_hashes(data)
    base = MediaHashes(sha256, md5, sha1, len(data), media_type=None, status="hashed")
    mtype = _media_type(kind, data)
    if mtype == "image" and want_pdq:
        try:
            luma, width, height = decode_luma(data, max_pixels=max_pixels)
            if want_dihedral:
                variants, quality = pdq_dihedral_from_array(luma)
                hex_, dihedral = variants[0], tuple(variants)
            else:
                hex_, quality = pdq_from_array(luma)
                dihedral = None
        except ImageDecodeError as exc:
            log.info("image_undecodable", sha256=sha256, reason=exc.reason)
            return replace(base, media_type="image", status="undecodable", reason=exc.reason)
        return replace(
            base,
            media_type="image",
            status="hashed",
            pdq=hex_,
            pdq_quality=quality,
            pdq_dihedral=dihedral,
            width=width,
            height=height,
        )
    if mtype == "video" and want_vpdq:
        try:
            video = vpdq_video(data, max_pixels=max_pixels, max_frames=max_frames,
                               on_frame=on_video_frame)
        except VideoDecodeError as exc:
            log.info("video_undecodable", sha256=sha256, reason=exc.reason)
            return replace(base, media_type="video", status="undecodable", reason=exc.reason)
        first = video.frames[0]
        return replace(
            base,
            media_type="video",
            status="hashed",
            reason="vpdq truncated at max_frames" if video.truncated else None,
            pdq=first.hex,
            pdq_quality=first.quality,
            vpdq=video.frames,
            width=video.width,
            height=video.height,
            duration=video.duration,
        )
    return replace(base, media_type=None, status="hashed")


async def hash_media_async(
    data: bytes,
    kind: str,
    *,
    want_pdq: bool = True,
    want_vpdq: bool = True,
    want_dihedral: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = DEFAULT_MAX_FRAMES,
) -> MediaHashes:
    """:func:`hash_media` in a worker thread, for coroutines."""
    return await asyncio.to_thread(
        hash_media,
        data,
        kind,
        want_pdq=want_pdq,
        want_vpdq=want_vpdq,
        want_dihedral=want_dihedral,
        max_pixels=max_pixels,
        max_frames=max_frames,
    )
