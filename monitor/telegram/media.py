"""Download a post's media into memory, for ``MediaRef.fetch``.

Nothing is written to disk. Photos are fetched at their largest size. The
download stops as soon as more than ``max_bytes`` arrived
(:class:`handlers.post.MediaTooLarge`), whatever size Telegram announced. An
expired file reference (``FILE_REFERENCE_EXPIRED``) is refreshed by fetching
the message again (``channels.getMessages``) and the download starts over once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from telethon import TelegramClient
from telethon.errors import FileReferenceExpiredError, FloodWaitError
from telethon.tl import types

from handlers.post import Fetcher, MediaTooLarge
from monitor.metrics import FLOOD_WAIT_SECONDS
from monitor.telegram.convert import largest_photo_size, photo_size_bytes
from storage.errors import NotFound

log = structlog.get_logger(__name__)

#: Telegram serves files in parts of at most 1 MiB, aligned to 4 KiB.
PART_SIZE = 512 * 1024
#: A FloodWait on a download up to this long is waited out by that download
#: alone (only its channel waits); a longer one fails the download.
MAX_DOWNLOAD_WAIT = 60
MAX_FLOOD_RETRIES = 3


class MediaUnavailable(NotFound):
    """The message or its media is gone (deleted, or no longer downloadable)."""


def _location(obj: Any) -> tuple[Any, int | None, bytes | None]:
    """(input file location, announced size, inline bytes) for a Photo or Document."""
    if isinstance(obj, types.Photo):
        size = largest_photo_size(obj)
        if size is None:
            raise MediaUnavailable(f"photo {obj.id} has no downloadable size")
        if isinstance(size, types.PhotoCachedSize):
            return None, len(size.bytes), bytes(size.bytes)
        loc = types.InputPhotoFileLocation(
            id=obj.id,
            access_hash=obj.access_hash,
            file_reference=obj.file_reference,
            thumb_size=size.type,
        )
        return loc, photo_size_bytes(size), None
    if isinstance(obj, types.Document):
        loc = types.InputDocumentFileLocation(
            id=obj.id,
            access_hash=obj.access_hash,
            file_reference=obj.file_reference,
            thumb_size="",
        )
        return loc, int(obj.size), None
    raise MediaUnavailable(f"cannot download {type(obj).__name__}")


def _media_object(message: Any) -> Any:
    media = getattr(message, "media", None)
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        return media.photo
    if isinstance(media, types.MessageMediaDocument) and isinstance(
        media.document, types.Document
    ):
        return media.document
    return None


class MediaDownloader:
    """Builds ``fetch(max_bytes)`` closures bound to one client."""

    def __init__(self, client: TelegramClient) -> None:
        self._client = client

    def fetcher(self, obj: Any, message: Any) -> Fetcher:
        """``fetch(max_bytes)`` for ``obj`` (a Photo or Document) of ``message``."""
        peer = getattr(message, "peer_id", None)
        msg_id = int(message.id)

        async def fetch(max_bytes: int) -> bytes:
            current = obj
            refreshed = False
            floods = 0
            while True:
                try:
                    return await self.download(current, max_bytes)
                except FileReferenceExpiredError:
                    if refreshed or peer is None:
                        raise
                    refreshed = True
                    log.info("file_reference_expired", message_id=msg_id, action="refetch")
                    current = await self.refetch(peer, msg_id, type(obj))
                except FloodWaitError as exc:
                    floods += 1
                    seconds = int(exc.seconds)
                    FLOOD_WAIT_SECONDS.labels("download").inc(seconds)
                    log.warning(
                        "flood_wait", request="download", message_id=msg_id, seconds=seconds
                    )
                    if seconds > MAX_DOWNLOAD_WAIT or floods > MAX_FLOOD_RETRIES:
                        raise
                    await asyncio.sleep(seconds)

        return fetch

    async def refetch(self, peer: Any, msg_id: int, want: type) -> Any:
        """Fetch the message again (fresh file reference) and return its media."""
        fresh = await self._client.get_messages(peer, ids=msg_id)
        if fresh is not None and getattr(fresh, "id", None) != msg_id:
            fresh = None  # matched by id: an answer for another message is not this one
        obj = _media_object(fresh) if fresh is not None else None
        if obj is None or not isinstance(obj, want):
            raise MediaUnavailable(f"message {msg_id} no longer has its media")
        return obj

    async def download(self, obj: Any, max_bytes: int) -> bytes:
        loc, announced, inline = _location(obj)
        if announced is not None and announced > max_bytes:
            raise MediaTooLarge(f"{announced} bytes > cap {max_bytes}")
        if inline is not None:
            return inline
        buf = bytearray()
        stream = self._client.iter_download(
            loc,
            request_size=PART_SIZE,
            file_size=announced,
            dc_id=getattr(obj, "dc_id", None),
        )
        try:
            async for chunk in stream:
                buf += chunk
                if len(buf) > max_bytes:
                    raise MediaTooLarge(f"more than cap {max_bytes} bytes arrived")
        finally:
            # Releases a borrowed sender when the file lives on another DC.
            await stream.close()
        return bytes(buf)
