"""Bad images and videos given to `chanwatch hash`: a file that is read but cannot
be decoded is reported in its JSON line (status, and a reason that names the
limit and the setting it crossed); a file that cannot be read, or is too big to
read, is one error line, exit 2, and the other files are still hashed."""

from __future__ import annotations

import io
import json
import struct
import zlib

import av
import numpy as np
import pytest
from edges_support import BIG_INPUT_RSS_MB, HASH_RSS_MB, Workspace, sparse
from PIL import Image


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels and holds none."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + struct.pack(">I", 0) + b"IEND"
        + struct.pack(">I", zlib.crc32(b"IEND"))
    )


def jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    rng = np.random.default_rng(7)
    img = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return buf.getvalue()


def video(frames: int = 10, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(3)
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=5)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for _ in range(frames):
            pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def hashed(ws: Workspace, *argv: str, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    result = ws.cli("hash", *argv, env=env)
    assert result.code == 0 and result.err == "", result.err
    return [json.loads(line) for line in result.out.splitlines()]


IMAGES = [
    ("bomb.png", png_header(30_000, 30_000),
     "decompression bomb: 900000000 pixels > limit 64000000 (setting media.max_pixels)"),
    ("big.png", png_header(10_000, 10_000),
     "decompression bomb: 10000x10000 = 100000000 pixels > limit 64000000 "
     "(setting media.max_pixels)"),
    ("cut.jpg", jpeg()[:600], "cannot open image: Truncated File Read"),
    ("noise.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 8, "not a recognised image format"),
    ("zero.png", png_header(0, 0), "not a recognised image format"),
]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("name", "data", "reason"), IMAGES, ids=[i[0] for i in IMAGES])
def test_bad_image(ws: Workspace, name: str, data: bytes, reason: str) -> None:
    """Undecodable, with the reason; the pixel limit is the README's, and named."""
    (line,) = hashed(ws, "--kind", "photo", str(ws.file(name, data)))
    assert line["status"] == "undecodable" and line["pdq"] is None
    assert reason in str(line["reason"]), line["reason"]
    assert line["sha256"] is not None  # the bytes were read and hashed


def test_bad_videos(ws: Workspace) -> None:
    """Truncated, not a video, over the pixel limit, over the frame limit."""
    good = video()
    files = [
        ws.file("cut.mp4", good[: len(good) // 3]),
        ws.file("fake.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(4000)),
        ws.file("ok.mp4", good),
    ]
    lines = hashed(ws, "--kind", "video", "--vpdq", *map(str, files))
    assert [line["status"] for line in lines[:2]] == ["undecodable", "undecodable"]
    assert lines[2]["status"] == "hashed" and lines[2]["vpdq"]
    small = {"CHANWATCH_MEDIA__MAX_PIXELS": "1000", "CHANWATCH_MEDIA__MAX_VIDEO_FRAMES": "1"}
    (bomb,) = hashed(ws, "--kind", "video", str(files[2]), env=small)
    assert bomb["reason"] == (
        "decompression bomb: frames of 64x48 = 3072 pixels > limit 1000 "
        "(setting media.max_pixels)"
    )
    (cut,) = hashed(ws, "--kind", "video", "--vpdq", str(files[2]),
                    env={"CHANWATCH_MEDIA__MAX_VIDEO_FRAMES": "1"})
    assert cut["reason"] == "vpdq truncated at max_frames" and len(cut["vpdq"]) == 1  # type: ignore[arg-type]


def test_pixel_limit_setting_is_bounded(ws: Workspace) -> None:
    """Above Pillow's own hard limit the setting could not hold: refused at start."""
    result = ws.cli("hash", "x", env={"CHANWATCH_MEDIA__MAX_PIXELS": "200000000"})
    assert result.code == 2
    assert "setting media.max_pixels (CHANWATCH_MEDIA__MAX_PIXELS)" in result.error_line()


def test_unreadable_file_among_good_ones(ws: Workspace) -> None:
    good = ws.file("a.jpg", jpeg())
    result = ws.cli("hash", str(ws.root / "nope.jpg"), str(good))
    assert result.code == 2 and len(result.out.splitlines()) == 1
    assert f"cannot read file {ws.root / 'nope.jpg'}" in result.error_line()


def test_a_3_gib_file(ws: Workspace) -> None:
    path = sparse(ws.root / "huge.mp4", 3 * 1024**3)
    result = ws.process("hash", str(path))
    assert result.code == 2 and result.out == ""
    assert result.error_line() == (
        f"chanwatch: error: file {path}: 3221225472 bytes (3.0 GiB); limit 268435456 bytes "
        "(256.0 MiB) (setting limits.hash_file_bytes (CHANWATCH_LIMITS__HASH_FILE_BYTES))"
    )
    assert result.max_rss_mb < BIG_INPUT_RSS_MB, result.max_rss_mb


def test_endless_input(ws: Workspace) -> None:
    """/dev/zero has no size to check first: read up to the limit, then refused."""
    result = ws.process("hash", "/dev/zero")
    assert result.code == 2
    assert result.error_line() == (
        "chanwatch: error: file /dev/zero: more bytes than allowed; limit 268435456 bytes "
        "(256.0 MiB) (setting limits.hash_file_bytes (CHANWATCH_LIMITS__HASH_FILE_BYTES))"
    )
    assert result.max_rss_mb < HASH_RSS_MB, result.max_rss_mb
