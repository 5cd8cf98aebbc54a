"""PDQ of images held in memory: decode with Pillow, hash the luma plane.

Fast path (the default): JPEGs are decoded to their luma (Y) plane only
(``Image.draft("L", ...)``: no chroma upsampling, no colour conversion), which
is the Rec. 601 luma PDQ computes from RGB; the hash is then computed by
:mod:`handlers.hashing.pdq_numpy`, which touches each pixel once instead of the
reference's per-pixel float conversion and four filter passes. Photos up to
2047 px on the short side (all Telegram photos) are decoded at full size, so
the hash is the full-resolution hash up to float rounding; larger JPEGs are
decoded at 1/2, 1/4 or 1/8 scale in the DCT domain, never below
``DRAFT_MIN_SIDE`` px on the short side. ``fast=False`` is the reference path:
full RGB decode and ``pdqhash.compute``, as ThreatExchange's ``pdq_from_bytes``.
``tests/handlers/test_hashing_pdq.py`` compares both on every reference image,
``benchmarks/matching_hashing.py`` measures speed and distance.

Bit order: bit 0 of pdqhash's vector is the most significant bit of the first
hex digit, as in Meta's reference implementation and ThreatExchange.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, UnidentifiedImageError

from handlers.hashing.pdq_numpy import pdq_dihedral_from_luma, pdq_from_luma
from storage.errors import InvalidInput

#: Largest image, in pixels, that is decoded at all (larger: decompression bomb);
#: the default of the setting ``media.max_pixels``.
DEFAULT_MAX_PIXELS = 64_000_000
#: Pillow refuses any image above this itself (twice ``Image.MAX_IMAGE_PIXELS``),
#: whatever ``max_pixels`` says: the setting cannot go higher.
PILLOW_MAX_PIXELS = 2 * int(Image.MAX_IMAGE_PIXELS or 89_478_485)
_PILLOW_SIZE = re.compile(r"\((\d+) pixels\)")


def bomb_reason(pixels: str, max_pixels: int) -> str:
    """The reason recorded for an image (or video frames) over the pixel limit."""
    limit = min(max_pixels, PILLOW_MAX_PIXELS)
    return f"decompression bomb: {pixels} pixels > limit {limit} (setting media.max_pixels)"
#: JPEG draft decoding never goes below this many pixels on the shorter side
#: (so only images of at least twice that are reduced at all).
DRAFT_MIN_SIDE = 1024
PDQ_HEX_LEN = 64
#: Dihedral variant order (pdqhash.compute_dihedral's, and ours).
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)


class ImageDecodeError(InvalidInput):
    """The bytes are not an image we can decode; ``reason`` says why."""

    def __init__(self, reason: str, *, bomb: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.bomb = bomb


@dataclass(frozen=True, slots=True)
class PdqResult:
    """A PDQ hash (64 lower-case hex digits) and its quality (0..100)."""

    hex: str
    quality: int
    width: int
    height: int


def bits_to_hex(bits: npt.NDArray[np.integer] | npt.NDArray[np.bool_]) -> str:
    """Turn pdqhash's 256-element 0/1 vector into 64 hex digits, MSB first."""
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex()


def hamming_hex(a: str, b: str) -> int:
    """Hamming distance of two equal-length hex strings."""
    if len(a) != len(b):
        raise ValueError(f"hash lengths differ: {len(a)} != {len(b)}")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_pdq_hex(value: str) -> bool:
    """True when ``value`` is 64 hex digits (either case)."""
    if len(value) != PDQ_HEX_LEN:
        return False
    try:
        int(value, 16)
    except ValueError:
        return False
    return True


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open an image from memory, refusing decompression bombs."""
    # Pillow's own guard (Image.MAX_IMAGE_PIXELS) is process-global and only warns
    # between 1x and 2x its limit; changing warning filters is not thread-safe
    # (hashing runs in worker threads), so the size in the header is checked
    # here against ``max_pixels`` before anything is decoded. Pillow's error
    # above 2x, and its warning where filters turn it into one, are caught too.
    try:
        img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError(_pillow_bomb(exc, max_pixels), bomb=True) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("not a recognised image format") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageDecodeError(f"cannot open image: {exc}") from exc
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageDecodeError(
            bomb_reason(f"{width}x{height} = {width * height}", max_pixels), bomb=True
        )
    return img


def _pillow_bomb(exc: Exception, max_pixels: int) -> str:
    """Pillow's own refusal, worded as ours (its text names its limit, not ours)."""
    found = _PILLOW_SIZE.search(str(exc))
    return bomb_reason(found.group(1) if found else "more than the", max_pixels)


def decode_luma(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, fast: bool = True
) -> tuple[npt.NDArray[np.uint8], int, int]:
    """Decode an image to an (H, W) uint8 array of its luma.

    Returns the array and the image's original width and height. Animated
    images use their first frame. ``fast`` enables luma-only (and, for big
    images, reduced-size) JPEG decoding.
    Raises :class:`ImageDecodeError` for anything that cannot be decoded.
    """
    img = _open(data, max_pixels)
    width, height = img.size
    try:
        if fast and img.format == "JPEG":
            scale = max(1, min(width, height) // DRAFT_MIN_SIDE)
            img.draft("L", (max(1, width // scale), max(1, height // scale)))
        elif not fast and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            # Transparent pixels: composite on white, as a viewer shows them.
            rgba = img.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, rgba)
        luma = img.convert("L")
        luma.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageDecodeError(f"cannot decode image: {exc}") from exc
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(_pillow_bomb(exc, max_pixels), bomb=True) from exc
    return np.asarray(luma, dtype=np.uint8), width, height


def pdq_from_array(pixels: npt.NDArray[np.uint8]) -> tuple[str, int]:
    """PDQ hex and quality of an (H, W) luma plane (numpy path) or an (H, W, 3)
    RGB array (``pdqhash``, the reference)."""
    if pixels.ndim == 2:
        return pdq_from_luma(pixels)
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return bits_to_hex(bits), int(quality)


def pdq_dihedral_from_array(pixels: npt.NDArray[np.uint8]) -> tuple[list[str], int]:
    """The 8 dihedral PDQ hashes (order of :data:`DIHEDRAL_NAMES`) and the quality."""
    if pixels.ndim == 2:
        return pdq_dihedral_from_luma(pixels)
    hashes, quality = pdqhash.compute_dihedral(np.ascontiguousarray(pixels))
    return [bits_to_hex(h) for h in hashes], int(quality)


def pdq_reference(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> PdqResult:
    """PDQ the way ThreatExchange's ``pdq_from_bytes`` computes it: full RGB
    decode, ``pdqhash.compute``. Slow; for tests and benchmarks."""
    img = _open(data, max_pixels)
    try:
        rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageDecodeError(f"cannot decode image: {exc}") from exc
    hex_, quality = pdq_from_array(rgb)
    return PdqResult(hex_, quality, img.width, img.height)


def pdq_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, fast: bool = True) -> PdqResult:
    """PDQ of an encoded image in memory. Raises :class:`ImageDecodeError`."""
    luma, width, height = decode_luma(data, max_pixels=max_pixels, fast=fast)
    hex_, quality = pdq_from_array(luma)
    return PdqResult(hex_, quality, width, height)


def pdq_image_dihedral(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, fast: bool = True
) -> tuple[list[str], int]:
    """The 8 dihedral PDQ hashes of an encoded image. Raises :class:`ImageDecodeError`."""
    luma, _, _ = decode_luma(data, max_pixels=max_pixels, fast=fast)
    return pdq_dihedral_from_array(luma)
