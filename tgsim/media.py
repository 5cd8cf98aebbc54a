"""Media the simulated server holds: photos (re-encoded into Telegram-like
sizes) and documents (kept byte for byte), with file references that can be
expired and are refreshed when the message is fetched again.

Telegram recompresses photos: a client never gets the uploaded bytes back, only
JPEG re-encodes at the sizes ``s`` (100 px box), ``m`` (320), ``x`` (800),
``y`` (1280) and ``w`` (2560), up to the original resolution. The largest size
is what ``download_media`` returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

PHOTO_BOXES: tuple[tuple[str, int], ...] = (
    ("s", 100),
    ("m", 320),
    ("x", 800),
    ("y", 1280),
    ("w", 2560),
)


class MediaError(ValueError):
    """Media given to the scenario API cannot be used."""


@dataclass
class PhotoSizeData:
    """One re-encoded size of a photo."""

    type: str
    w: int
    h: int
    data: bytes


@dataclass
class StoredFile:
    """A photo or a document held by the server."""

    kind: str  # "photo" or "document"
    id: int
    access_hash: int
    date: dt.datetime
    secret: bytes
    sizes: list[PhotoSizeData] = field(default_factory=list)
    data: bytes = b""
    mime_type: str = "application/octet-stream"
    file_name: str | None = None
    media_kind: str = "document"  # document | video | animation | photo
    width: int = 0
    height: int = 0
    duration: float = 0.0
    ref_epoch: int = 0

    @property
    def file_reference(self) -> bytes:
        """The current file reference (changes when it is expired)."""
        msg = f"{self.kind}:{self.id}:{self.ref_epoch}".encode()
        return b"\x02" + hmac.new(self.secret, msg, hashlib.sha256).digest()[:19]

    def expire_reference(self) -> None:
        """Invalidate the current file reference."""
        self.ref_epoch += 1

    def content(self, thumb_size: str) -> bytes | None:
        """The bytes a file location names (None if there is no such size)."""
        if self.kind == "document":
            return self.data if not thumb_size else None
        for size in self.sizes:
            if size.type == thumb_size:
                return size.data
        return None


def _jpeg(img: Image.Image, quality: int = 87) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def make_photo_sizes(data: bytes) -> list[PhotoSizeData]:
    """Re-encode a JPEG/PNG into Telegram's photo sizes (CPU-bound: run in a thread)."""
    try:
        with Image.open(io.BytesIO(data)) as src:
            src.load()
            img = src.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaError(f"not a decodable image ({len(data)} bytes): {exc}") from exc
    sizes: list[PhotoSizeData] = []
    longest = max(img.size)
    for type_, box in PHOTO_BOXES:
        if longest > box:
            scaled = img.copy()
            scaled.thumbnail((box, box), Image.Resampling.LANCZOS)
            sizes.append(PhotoSizeData(type_, scaled.width, scaled.height, _jpeg(scaled)))
            continue
        sizes.append(PhotoSizeData(type_, img.width, img.height, _jpeg(img)))
        break
    return sizes


def image_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height of an image (0, 0 if it is not one Pillow can read)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except (UnidentifiedImageError, OSError):
        return 0, 0
