"""PDQ of images held in memory: decode with Pillow, hash with ``pdqhash``.

Fast path: PDQ reduces every image to 64x64 luminance (after a Jarosz box
filter), so decoding a 1280 px JPEG at full size wastes most of the time.
``Image.draft("L", ...)`` asks libjpeg to decode only the luma plane and to
scale by 1/2, 1/4 or 1/8 in the DCT domain, never below ``DRAFT_MIN_SIDE``
pixels on the shorter side. The JPEG Y plane is the Rec. 601 luma that PDQ
computes from RGB, so the hash barely moves: ``tests/handlers/test_hashing_pdq.py``
checks every reference image stays within distance 10 of its full-resolution
hash, and ``benchmarks/matching_hashing.py`` measures the speed.

Bit order: bit 0 of pdqhash's vector is the most significant bit of the first
hex digit, as in Meta's reference implementation and ThreatExchange.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, UnidentifiedImageError

#: Largest image, in pixels, that is decoded at all (larger: decompression bomb).
DEFAULT_MAX_PIXELS = 64_000_000
#: Draft decoding never goes below this many pixels on the shorter side. PDQ's
#: own downsampling works from at least 64 px per side; 256 keeps enough detail
#: for the box filter to behave as on the full image (measured, see module doc).
DRAFT_MIN_SIDE = 256
PDQ_HEX_LEN = 64
#: Dihedral variant order returned by pdqhash.compute_dihedral.
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


class ImageDecodeError(Exception):
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
        raise ImageDecodeError(f"decompression bomb: {exc}", bomb=True) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("not a recognised image format") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageDecodeError(f"cannot open image: {exc}") from exc
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageDecodeError(
            f"decompression bomb: {width}x{height} = {width * height} pixels > limit {max_pixels}",
            bomb=True,
        )
    return img


def decode_luma(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, fast: bool = True
) -> tuple[npt.NDArray[np.uint8], int, int]:
    """Decode an image to an (H, W) uint8 array of its luma, for pdqhash.

    Returns the array and the image's original width and height. Animated
    images use their first frame. ``fast`` enables JPEG draft decoding.
    Raises :class:`ImageDecodeError` for anything that cannot be decoded.
    """
    img = _open(data, max_pixels)
    width, height = img.size
    try:
        if fast and img.format == "JPEG":
            scale = max(1, min(width, height) // DRAFT_MIN_SIDE)
            img.draft("L", (max(1, width // scale), max(1, height // scale)))
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
        raise ImageDecodeError(f"decompression bomb: {exc}", bomb=True) from exc
    return np.asarray(luma, dtype=np.uint8), width, height


def _as_rgb(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """pdqhash wants (H, W, 3): a luma plane is passed as a zero-copy broadcast
    view (pdqhash's own luma formula then gives back the same values)."""
    if pixels.ndim == 2:
        return np.broadcast_to(pixels[:, :, np.newaxis], (*pixels.shape, 3))
    return pixels


def pdq_from_array(pixels: npt.NDArray[np.uint8]) -> tuple[str, int]:
    """PDQ hex and quality of an (H, W) luma or (H, W, 3) RGB uint8 array."""
    bits, quality = pdqhash.compute(_as_rgb(pixels))
    return bits_to_hex(bits), int(quality)


def pdq_dihedral_from_array(pixels: npt.NDArray[np.uint8]) -> tuple[list[str], int]:
    """The 8 dihedral PDQ hashes (order of :data:`DIHEDRAL_NAMES`) and the quality."""
    hashes, quality = pdqhash.compute_dihedral(_as_rgb(pixels))
    return [bits_to_hex(h) for h in hashes], int(quality)


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
