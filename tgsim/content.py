"""Turning scenario input into stored content: message entities (TL objects
or simple dicts) and media (photos re-encoded into Telegram sizes, documents,
videos and animations kept byte for byte)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

from tgsim.media import MediaError, StoredFile, image_dimensions, make_photo_sizes
from tgsim.tlkit import mk, tl

if TYPE_CHECKING:
    from tgsim.hub import Hub

EntitySpec = Any  # a telethon.tl.types.MessageEntity* or {"type": "bold", "offset": 0, "length": 4}


def entity_from_spec(spec: EntitySpec, text: str) -> Any:
    """One message entity from a TL object or a dict (type in snake_case)."""
    if not isinstance(spec, dict):
        if not type(spec).__name__.startswith("MessageEntity"):
            raise ValueError(f"not a message entity: {spec!r}")
        return spec
    try:
        kind = str(spec["type"])
        offset, length = int(spec["offset"]), int(spec["length"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"entity {spec!r}: needs type, offset and length") from exc
    name = "MessageEntity" + "".join(part.capitalize() for part in kind.split("_"))
    cls = getattr(tl, name, None)
    if cls is None:
        raise ValueError(f"entity {spec!r}: unknown type {kind!r} ({name} is not in this layer)")
    if offset < 0 or length <= 0 or offset + length > len(text.encode("utf-16-le")) // 2:
        raise ValueError(f"entity {spec!r}: outside the text (UTF-16 length {len(text)})")
    extra = {k: v for k, v in spec.items() if k not in ("type", "offset", "length")}
    if kind == "pre":
        extra.setdefault("language", "")
    return mk(cls, offset=offset, length=length, **extra)


class ContentMaker:
    """Creates entities and stored media for a hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def entities(self, specs: list[EntitySpec], text: str) -> list[Any]:
        """Message entities for ``text``."""
        return [entity_from_spec(spec, text) for spec in specs]

    def _file(self, kind: str, date: dt.datetime) -> StoredFile:
        fid = self.hub.new_file_id()
        return StoredFile(
            kind=kind,
            id=fid,
            access_hash=self.hub.world.access_hash(kind, fid),
            date=date,
            secret=self.hub.world.secret,
        )

    async def media(
        self,
        *,
        photo: bytes | None,
        video: bytes | None,
        animation: bytes | None,
        document: tuple[bytes, str, str] | None,
        date: dt.datetime,
        width: int = 0,
        height: int = 0,
        duration: float = 0.0,
    ) -> StoredFile:
        """Store one piece of media and return it."""
        if photo is not None:
            f = self._file("photo", date)
            f.media_kind = "photo"
            f.sizes = await asyncio.to_thread(make_photo_sizes, photo)
            f.width, f.height = f.sizes[-1].w, f.sizes[-1].h
        elif video is not None:
            f = self._file("document", date)
            f.media_kind = "video"
            f.data, f.mime_type, f.file_name = video, "video/mp4", "video.mp4"
            f.width, f.height, f.duration = width, height, duration
        elif animation is not None:
            f = self._file("document", date)
            f.media_kind = "animation"
            f.data = animation
            if animation[:6] in (b"GIF87a", b"GIF89a"):
                f.mime_type, f.file_name = "image/gif", "animation.gif"
                w, h = await asyncio.to_thread(image_dimensions, animation)
                f.width, f.height = width or w, height or h
            else:
                f.mime_type, f.file_name = "video/mp4", "animation.mp4"
                f.width, f.height = width, height
            f.duration = duration
        elif document is not None:
            data, name, mime = document
            if not isinstance(data, bytes | bytearray) or not name or "/" not in mime:
                raise MediaError("document must be (bytes, 'name.ext', 'type/subtype')")
            f = self._file("document", date)
            f.data, f.file_name, f.mime_type = bytes(data), name, mime
        else:
            raise MediaError("no media given")
        if f.kind == "document" and not f.data:
            raise MediaError("empty media file")
        self.hub.add_file(f)
        return f


def entity_types() -> list[str]:
    """The entity type names (snake_case) this layer supports."""
    out = []
    for name in dir(tl):
        if name.startswith("MessageEntity") and name != "MessageEntityUnknown":
            rest = name[len("MessageEntity") :]
            out.append("".join("_" + c.lower() if c.isupper() else c for c in rest).lstrip("_"))
    return sorted(out)

