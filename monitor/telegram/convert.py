"""Turn Telethon messages into frozen :class:`handlers.post.Post` values.

Pure functions over Telethon's TL objects: no client, no network. The
download side (``MediaRef.fetch``) is injected by the caller as a factory so
that conversion stays testable with TL objects built by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from telethon.tl import types

from handlers.post import Entity, Fetcher, ForwardOrigin, MediaKind, MediaRef, Post

#: Given the Telethon media object (Photo or Document) and the message, return
#: the async ``fetch(max_bytes)`` for it, or None when it cannot be downloaded.
FetcherFactory = Callable[[Any, Any], Fetcher | None]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def channel_id_of(message: Any) -> int | None:
    """The bare channel id a message belongs to, or None when not a channel's."""
    peer = getattr(message, "peer_id", None)
    if isinstance(peer, types.PeerChannel):
        return int(peer.channel_id)
    return None


def is_post(message: Any) -> bool:
    """True for a real message (not a service message nor an empty one)."""
    return isinstance(message, types.Message)


def entity_type_name(entity: Any) -> str:
    """``MessageEntityTextUrl`` -> ``text_url``."""
    name = type(entity).__name__.removeprefix("MessageEntity")
    return _CAMEL.sub("_", name).lower()


def convert_entities(entities: list[Any] | None) -> tuple[Entity, ...]:
    out: list[Entity] = []
    for ent in entities or ():
        url: str | None = getattr(ent, "url", None)
        user_id = getattr(ent, "user_id", None)
        if url is None and isinstance(user_id, int):
            url = f"tg://user?id={user_id}"
        out.append(
            Entity(
                type=entity_type_name(ent),
                offset=int(ent.offset),
                length=int(ent.length),
                url=url,
            )
        )
    return tuple(out)


def convert_forward(fwd: Any) -> ForwardOrigin | None:
    if not isinstance(fwd, types.MessageFwdHeader):
        return None
    channel_id: int | None = None
    user_id: int | None = None
    src = fwd.from_id
    if isinstance(src, types.PeerChannel):
        channel_id = int(src.channel_id)
    elif isinstance(src, types.PeerUser):
        user_id = int(src.user_id)
    elif isinstance(src, types.PeerChat):
        channel_id = None
    return ForwardOrigin(
        date=_utc(fwd.date) or datetime.fromtimestamp(0, UTC),
        channel_id=channel_id,
        message_id=fwd.channel_post,
        user_id=user_id,
        from_name=fwd.from_name,
        post_author=fwd.post_author,
    )


def largest_photo_size(photo: Any) -> Any | None:
    """The largest downloadable size of a :tl:`Photo` (what Telegram's apps show).

    Stripped and path sizes are previews, not the picture; cached sizes carry
    their bytes inline and count by their length.
    """
    best: Any | None = None
    best_bytes = -1
    for size in getattr(photo, "sizes", None) or ():
        if isinstance(size, types.PhotoSize):
            n = int(size.size)
        elif isinstance(size, types.PhotoSizeProgressive):
            n = max(size.sizes) if size.sizes else 0
        elif isinstance(size, types.PhotoCachedSize):
            n = len(size.bytes)
        else:  # PhotoStrippedSize, PhotoPathSize, PhotoSizeEmpty
            continue
        area = int(size.w) * int(size.h)
        key = (area, n)
        if best is None or key > (int(best.w) * int(best.h), best_bytes):
            best, best_bytes = size, n
    return best


def photo_size_bytes(size: Any) -> int | None:
    if isinstance(size, types.PhotoSize):
        return int(size.size)
    if isinstance(size, types.PhotoSizeProgressive):
        return max(size.sizes) if size.sizes else None
    if isinstance(size, types.PhotoCachedSize):
        return len(size.bytes)
    return None


def document_kind(document: Any, media: Any = None) -> MediaKind:
    """Classify a :tl:`Document` the way Telegram's apps do, from its attributes."""
    attrs = list(getattr(document, "attributes", None) or ())
    kinds = {type(a) for a in attrs}
    if types.DocumentAttributeSticker in kinds:
        return "sticker"
    if types.DocumentAttributeAnimated in kinds:
        return "animation"
    for a in attrs:
        if isinstance(a, types.DocumentAttributeVideo):
            return "round" if a.round_message else "video"
    for a in attrs:
        if isinstance(a, types.DocumentAttributeAudio):
            return "voice" if a.voice else "audio"
    if getattr(media, "round", None):
        return "round"
    if getattr(media, "voice", None):
        return "voice"
    return "document"


def convert_media(message: Any, fetcher_factory: FetcherFactory | None) -> MediaRef | None:
    media = getattr(message, "media", None)
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        photo = media.photo
        size = largest_photo_size(photo)
        if size is None:
            return None
        fetch = fetcher_factory(photo, message) if fetcher_factory else None
        return MediaRef(
            kind="photo",
            file_id=f"photo:{photo.id}",
            size=photo_size_bytes(size),
            mime="image/jpeg",
            width=int(size.w),
            height=int(size.h),
            fetch=fetch,
        )
    if isinstance(media, types.MessageMediaDocument) and isinstance(
        media.document, types.Document
    ):
        doc = media.document
        kind = document_kind(doc, media)
        width = height = None
        duration: float | None = None
        file_name: str | None = None
        for a in doc.attributes or ():
            if isinstance(a, types.DocumentAttributeVideo | types.DocumentAttributeImageSize):
                width, height = int(a.w), int(a.h)
            if isinstance(a, types.DocumentAttributeVideo | types.DocumentAttributeAudio):
                duration = float(a.duration)
            if isinstance(a, types.DocumentAttributeFilename):
                file_name = a.file_name
        fetch = fetcher_factory(doc, message) if fetcher_factory else None
        return MediaRef(
            kind=kind,
            file_id=f"{kind}:{doc.id}",
            size=int(doc.size),
            mime=doc.mime_type or None,
            width=width,
            height=height,
            duration=duration,
            file_name=file_name,
            fetch=fetch,
        )
    return None


def to_post(
    message: Any,
    *,
    account: str,
    fetcher_factory: FetcherFactory | None = None,
) -> Post:
    """Convert one channel :tl:`Message` into a :class:`Post`.

    Raises ValueError for a message that is not a channel post (service or
    empty messages, private chats): callers filter with :func:`is_post` and
    :func:`channel_id_of` first.
    """
    if not is_post(message):
        raise ValueError(f"not a post: {type(message).__name__}")
    channel_id = channel_id_of(message)
    if channel_id is None:
        raise ValueError(f"message {message.id} is not from a channel")
    reply = message.reply_to
    reply_to = reply.reply_to_msg_id if isinstance(reply, types.MessageReplyHeader) else None
    date = _utc(message.date)
    if date is None:
        raise ValueError(f"message {message.id} in channel {channel_id} has no date")
    return Post(
        channel_id=channel_id,
        message_id=int(message.id),
        date=date,
        text=message.message or "",
        edit_date=_utc(message.edit_date),
        author_signature=message.post_author,
        views=message.views,
        forwards=message.forwards,
        forward=convert_forward(message.fwd_from),
        reply_to=reply_to,
        grouped_id=message.grouped_id,
        entities=convert_entities(message.entities),
        media=convert_media(message, fetcher_factory),
        account=account,
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
