"""PDQ of images against Meta's reference hashes in ../shared/testdata/pdq."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PIL import Image

from handlers.hashing.pdq import (
    ImageDecodeError,
    hamming_hex,
    is_pdq_hex,
    pdq_image,
    pdq_image_dihedral,
)

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "pdq"


def _expected() -> list[tuple[str, int, str]]:
    with (TESTDATA / "expected.csv").open(newline="") as fh:
        return [(r["pdq_hex"], int(r["quality"]), r["file"]) for r in csv.DictReader(fh)]


EXPECTED = _expected()
ORIGINAL = TESTDATA / "bridge-mods" / "aaa-orig.jpg"


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.mark.parametrize(("ref_hex", "ref_quality", "name"), EXPECTED, ids=[e[2] for e in EXPECTED])
def test_reference_images_within_distance_10(ref_hex: str, ref_quality: int, name: str) -> None:
    """Every reference image hashes within distance 10 of its reference PDQ (fast path)."""
    result = pdq_image((TESTDATA / name).read_bytes())
    assert is_pdq_hex(result.hex)
    assert result.quality >= 80
    assert hamming_hex(result.hex, ref_hex) <= 10, (name, result.hex)


@pytest.mark.parametrize("name", [e[2] for e in EXPECTED if "aaa-orig" not in e[2]])
def test_edits_match_original(name: str) -> None:
    """Every bridge-mods edit is within the standard PDQ threshold 31 of the original."""
    orig = pdq_image(ORIGINAL.read_bytes())
    edit = pdq_image((TESTDATA / name).read_bytes())
    assert hamming_hex(orig.hex, edit.hex) <= 31


@pytest.mark.parametrize(("ref_hex", "ref_quality", "name"), EXPECTED, ids=[e[2] for e in EXPECTED])
def test_fast_decode_close_to_full_decode(ref_hex: str, ref_quality: int, name: str) -> None:
    """Draft (reduced-size) JPEG decoding stays within distance 10 of full decoding."""
    data = (TESTDATA / name).read_bytes()
    assert hamming_hex(pdq_image(data).hex, pdq_image(data, fast=False).hex) <= 10


@pytest.mark.parametrize(
    "op",
    [
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.FLIP_TOP_BOTTOM,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    ],
)
def test_rotated_and_flipped_match_via_dihedral(op: Image.Transpose) -> None:
    """A rotated/flipped copy is far from the original but one of its 8 variants is close."""
    img = Image.open(ORIGINAL).convert("RGB")
    orig = pdq_image(ORIGINAL.read_bytes())
    moved = _jpeg(img.transpose(op))
    plain = pdq_image(moved)
    variants, quality = pdq_image_dihedral(moved)
    assert len(variants) == 8 and quality >= 80
    assert hamming_hex(plain.hex, orig.hex) > 31
    assert min(hamming_hex(v, orig.hex) for v in variants) <= 31


def test_png_with_alpha_and_grayscale() -> None:
    """PNG with transparency and 1-channel images hash like the opaque RGB image."""
    img = Image.open(ORIGINAL).convert("RGB").resize((400, 251))
    orig = pdq_image(_jpeg(img, 95))
    rgba = img.convert("RGBA")
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    assert hamming_hex(pdq_image(buf.getvalue()).hex, orig.hex) <= 10
    buf = io.BytesIO()
    img.convert("L").save(buf, format="PNG")
    assert hamming_hex(pdq_image(buf.getvalue()).hex, orig.hex) <= 10


def test_truncated_image_raises_clear_error() -> None:
    """A truncated JPEG raises ImageDecodeError with a reason naming truncation."""
    data = ORIGINAL.read_bytes()[:20000]
    with pytest.raises(ImageDecodeError) as info:
        pdq_image(data)
    assert "truncated" in info.value.reason


def test_garbage_is_not_an_image() -> None:
    """Random bytes give a clear 'not a recognised image format' reason."""
    with pytest.raises(ImageDecodeError) as info:
        pdq_image(b"\x00\x01garbage" * 100)
    assert "not a recognised image" in info.value.reason


def test_decompression_bomb_refused_before_decoding() -> None:
    """An image whose header claims more pixels than the limit is refused as a bomb."""
    buf = io.BytesIO()
    Image.new("L", (3000, 3000)).save(buf, format="PNG")
    with pytest.raises(ImageDecodeError) as info:
        pdq_image(buf.getvalue(), max_pixels=1_000_000)
    assert info.value.bomb
    assert "decompression bomb" in info.value.reason


def test_hamming_hex_rejects_length_mismatch() -> None:
    """Distances between hashes of different lengths are an error, not a number."""
    assert hamming_hex("ff", "0f") == 4
    with pytest.raises(ValueError):
        hamming_hex("ff", "fff")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with no pixel data."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", 0)
        + b"IEND"
        + struct.pack(">I", zlib.crc32(b"IEND"))
    )


def test_pillow_bomb_error_is_caught() -> None:
    """A header claiming more than Pillow's own hard limit is reported as a bomb too."""
    data = _png_header_only(30_000, 30_000)
    with pytest.raises(ImageDecodeError) as info:
        pdq_image(data, max_pixels=10**12)
    assert info.value.bomb and "decompression bomb" in info.value.reason
    between = _png_header_only(10_000, 10_000)  # over our limit, under Pillow's error
    with pytest.raises(ImageDecodeError) as ours, pytest.warns(Image.DecompressionBombWarning):
        pdq_image(between)
    assert ours.value.bomb and "decompression bomb" in ours.value.reason
