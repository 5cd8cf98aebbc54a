"""Photo sizes and file references (tgsim/media.py)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tgsim.media import MediaError, StoredFile, make_photo_sizes
from tgsim.world import utcnow


def _png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (w, h), (10, 20, 30, 128)).save(out, format="PNG")
    return out.getvalue()


def test_large_photo_gets_every_size() -> None:
    """A 3000x2000 picture gets s, m, x, y, w boxed at 100/320/800/1280/2560."""
    sizes = make_photo_sizes(_png(3000, 2000))
    assert [(s.type, s.w, s.h) for s in sizes] == [
        ("s", 100, 67), ("m", 320, 213), ("x", 800, 533), ("y", 1280, 853), ("w", 2560, 1707)
    ]
    for size in sizes:
        with Image.open(io.BytesIO(size.data)) as img:
            assert img.format == "JPEG" and img.size == (size.w, size.h)


def test_small_photo_stops_at_original_size() -> None:
    """A 90x60 picture gets only 's', at its own size (never upscaled)."""
    sizes = make_photo_sizes(_png(90, 60))
    assert [(s.type, s.w, s.h) for s in sizes] == [("s", 90, 60)]


def test_not_an_image() -> None:
    """Bytes Pillow cannot decode raise MediaError naming the size."""
    with pytest.raises(MediaError, match="not a decodable image"):
        make_photo_sizes(b"definitely not a picture")


def test_file_reference_changes_when_expired() -> None:
    """Expiring a reference yields a new one; contents are served by thumb size."""
    f = StoredFile("document", 1, 2, utcnow(), b"s" * 32, data=b"abc")
    old = f.file_reference
    f.expire_reference()
    assert f.file_reference != old and len(old) == 20
    assert f.content("") == b"abc" and f.content("m") is None
