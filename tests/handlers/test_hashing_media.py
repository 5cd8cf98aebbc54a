"""hash_media: the one entry point shared by the pipeline and `chanwatch hash`."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from handlers.hashing.media import hash_media, hash_media_async, sniff
from handlers.hashing.pdq import hamming_hex

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "pdq"
ORIGINAL = TESTDATA / "bridge-mods" / "aaa-orig.jpg"


def test_photo_gets_all_hashes() -> None:
    """A photo gets SHA-256, MD5, SHA-1 of its bytes and PDQ with quality."""
    data = ORIGINAL.read_bytes()
    result = hash_media(data, "photo")
    assert result.status == "hashed" and result.reason is None
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.sha1 == hashlib.sha1(data).hexdigest()
    assert result.pdq is not None and len(result.pdq) == 64
    assert result.pdq_quality == 100
    assert (result.width, result.height) == (1600, 1004)
    assert result.pdq_dihedral is None


def test_dihedral_variants_on_request() -> None:
    """want_dihedral adds the 8 variants, the first being the plain PDQ."""
    result = hash_media(ORIGINAL.read_bytes(), "photo", want_dihedral=True)
    assert result.pdq_dihedral is not None and len(result.pdq_dihedral) == 8
    assert result.pdq_dihedral[0] == result.pdq


def test_truncated_photo_is_recorded_not_raised() -> None:
    """A truncated photo keeps its byte hashes and gets status undecodable with a reason."""
    data = ORIGINAL.read_bytes()[:30000]
    result = hash_media(data, "photo")
    assert result.status == "undecodable"
    assert result.reason is not None and "truncated" in result.reason
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.pdq is None


def test_bomb_photo_is_recorded() -> None:
    """A decompression bomb is recorded as undecodable with a reason saying so."""
    buf = io.BytesIO()
    Image.new("L", (2000, 2000)).save(buf, format="PNG")
    result = hash_media(buf.getvalue(), "photo", max_pixels=1_000_000)
    assert result.status == "undecodable"
    assert result.reason is not None and result.reason.startswith("decompression bomb")


def test_document_sniffed_and_audio_bytes_only() -> None:
    """A JPEG sent as a document is hashed as an image; audio gets only byte hashes."""
    data = ORIGINAL.read_bytes()
    doc = hash_media(data, "document")
    assert doc.media_type == "image" and doc.pdq is not None
    audio = hash_media(b"ID3fake-mp3", "audio")
    assert audio.media_type is None and audio.status == "hashed" and audio.pdq is None
    assert sniff(b"\x1a\x45\xdf\xa3rest") == "video"
    assert sniff(b"plain text") is None


def test_want_pdq_false_skips_decoding() -> None:
    """With want_pdq=False even a broken image is just hashed as bytes."""
    result = hash_media(b"\xff\xd8\xff broken", "photo", want_pdq=False)
    assert result.status == "hashed" and result.pdq is None


def test_undecodable_video_recorded() -> None:
    """A 'video' that is not one is recorded as undecodable, not raised."""
    result = hash_media(b"\x00" * 1000, "video")
    assert result.status == "undecodable" and result.reason


async def test_async_wrapper_same_result() -> None:
    """The async wrapper returns what the sync function returns."""
    data = ORIGINAL.read_bytes()
    a = await hash_media_async(data, "photo")
    b = hash_media(data, "photo")
    assert a == b
    assert a.pdq is not None and hamming_hex(a.pdq, b.pdq or "") == 0


def test_video_gets_vpdq_frames() -> None:
    """A video gets vPDQ frames, and pdq is its first frame's hash."""
    import av

    buf = io.BytesIO()
    img = Image.open(ORIGINAL).convert("RGB").resize((320, 200))
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = 320, 200, "yuv420p"
        for i in range(10):
            for packet in stream.encode(av.VideoFrame.from_image(img.rotate(i))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    result = hash_media(buf.getvalue(), "video")
    assert result.status == "hashed" and result.media_type == "video"
    assert result.vpdq is not None and len(result.vpdq) == 2
    assert result.pdq == result.vpdq[0].hex
    assert hash_media(buf.getvalue(), "video", want_vpdq=False).vpdq is None


def test_sticker_webp_and_tgs() -> None:
    """A WebP sticker is hashed as an image; an animated .tgs (gzip JSON) gets bytes only."""
    import gzip

    buf = io.BytesIO()
    Image.open(ORIGINAL).convert("RGB").resize((512, 321)).save(buf, format="WEBP")
    webp = hash_media(buf.getvalue(), "sticker")
    assert webp.media_type == "image" and webp.pdq is not None
    tgs = hash_media(gzip.compress(b'{"tgs": 1}'), "sticker")
    assert tgs.media_type is None and tgs.pdq is None and tgs.status == "hashed"
