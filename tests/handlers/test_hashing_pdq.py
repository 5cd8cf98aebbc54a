"""PDQ of images against Meta's reference hashes in tests/data/pdq."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from handlers.hashing.pdq import (
    ImageDecodeError,
    bits_to_hex,
    hamming_hex,
    is_pdq_hex,
    pdq_image,
    pdq_image_dihedral,
    pdq_reference,
)
from handlers.hashing.pdq_numpy import pdq_dihedral_from_luma, pdq_from_luma

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "pdq"


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


def _luma(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.uint8)


@pytest.mark.parametrize("name", [e[2] for e in EXPECTED])
def test_numpy_pdq_equals_pdqhash_on_same_luma(name: str) -> None:
    """Our numpy PDQ gives pdqhash's hash, quality and 8 dihedral hashes on the same pixels."""
    luma = _luma(TESTDATA / name)
    rgb = np.ascontiguousarray(np.repeat(luma[:, :, None], 3, axis=2))
    bits, quality = pdqhash.compute(rgb)
    assert pdq_from_luma(luma) == (bits_to_hex(bits), int(quality))
    ref_variants, _ = pdqhash.compute_dihedral(rgb)
    ours, _ = pdq_dihedral_from_luma(luma)
    assert ours == [bits_to_hex(v) for v in ref_variants]


@pytest.mark.parametrize("seed", range(6))
def test_numpy_pdq_on_generated_images(seed: int) -> None:
    """On odd sizes, flat, gradient and noise images, quality agrees with pdqhash, and
    the hash too where quality makes it meaningful (>= 50)."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 700)), int(rng.integers(1, 700))
    kind = seed % 3
    if kind == 0:
        luma = rng.integers(0, 256, (h, w), dtype=np.uint8)
    elif kind == 1:
        luma = np.full((h, w), 128, dtype=np.uint8)
        luma[: h // 2] = 130
    else:
        luma = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, axis=0)
    rgb = np.ascontiguousarray(np.repeat(luma[:, :, None], 3, axis=2))
    bits, quality = pdqhash.compute(rgb)
    ours, our_quality = pdq_from_luma(luma)
    assert our_quality == int(quality)
    if quality >= 50:  # flat images: coefficients are all ~0, bits are float noise
        assert hamming_hex(ours, bits_to_hex(bits)) <= 2


@pytest.mark.parametrize("name", [e[2] for e in EXPECTED])
def test_fast_path_close_to_reference(name: str) -> None:
    """The fast path (JPEG luma plane, numpy PDQ) is within 10 of ThreatExchange's way
    (RGB decode, pdqhash)."""
    data = (TESTDATA / name).read_bytes()
    assert hamming_hex(pdq_image(data).hex, pdq_reference(data).hex) <= 10


def test_numpy_pdq_rejects_bad_shapes() -> None:
    """A non-2-D or empty array is a clear error."""
    with pytest.raises(ValueError, match="2-D luma"):
        pdq_from_luma(np.zeros((0, 5), dtype=np.uint8))
