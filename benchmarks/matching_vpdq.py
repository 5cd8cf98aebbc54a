"""Our vPDQ next to Meta's ``vpdq`` package (the reference) on the same videos:
which frames are hashed, how far each frame hash is from the reference's, that
the two hashes match each other by vPDQ's rule, and the speed of both.

    .venv/bin/pip install vpdq   # needs FFmpeg development libraries to build
    .venv/bin/python benchmarks/matching_vpdq.py [--seconds 20]

Videos are made in memory with PyAV from the bridge picture of
tests/data/pdq (slowly rotating and zooming), at 25, 30 and 29.97 fps
and three sizes. ``vpdq.computeHash`` reads files, so each video is also written to a
temporary directory for it.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from matching_common import machine, quiet_logs, ratio, table
from PIL import Image

from handlers.hashing.pdq import hamming_hex
from handlers.hashing.video import vpdq_video
from handlers.hashing.vpdq import VpdqFrame, match_frames

TESTDATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "pdq"


def make_video(size: tuple[int, int], fps: Fraction, seconds: int) -> bytes:
    base = Image.open(TESTDATA / "bridge-mods" / "aaa-orig.jpg").convert("RGB")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        count = int(fps * seconds)
        for i in range(count):
            angle = 40.0 * i / count
            zoom = 1.0 + 0.5 * i / count
            w, h = base.size
            crop = base.crop(
                (
                    int(w / 2 - w / (2 * zoom)),
                    int(h / 2 - h / (2 * zoom)),
                    int(w / 2 + w / (2 * zoom)),
                    int(h / 2 + h / (2 * zoom)),
                )
            )
            frame = av.VideoFrame.from_image(crop.rotate(angle).resize(size))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    quiet_logs()
    import vpdq

    print(machine())
    rows = [
        [
            "video",
            "frames (ours/ref)",
            "same frame numbers",
            "frame distance max/mean",
            "ours vs ref match",
            "ours s",
            "ref s",
            "speed",
        ]
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size, fps in (
            ((640, 400), Fraction(25)),
            ((1280, 804), Fraction(30)),
            ((320, 200), Fraction(30000, 1001)),
        ):
            data = make_video(size, fps, args.seconds)
            path = Path(tmp) / f"v{size[0]}.mp4"
            path.write_bytes(data)
            t = time.perf_counter()
            ours = vpdq_video(data).frames
            ours_s = time.perf_counter() - t
            t = time.perf_counter()
            ref_features = vpdq.computeHash(str(path), seconds_per_hash=1.0, thread_count=1)
            ref_s = time.perf_counter() - t
            ref = [
                VpdqFrame(f.frame_number, f.quality, str(f.hex), float(f.timestamp))
                for f in ref_features
            ]
            by_number = {f.frame: f for f in ref}
            common = [f for f in ours if f.frame in by_number]
            dists = [hamming_hex(f.hex, by_number[f.frame].hex) for f in common]
            result = match_frames(ours, ref)
            rows.append(
                [
                    f"{size[0]}x{size[1]} {float(fps):.2f} fps",
                    f"{len(ours)}/{len(ref)}",
                    f"{len(common)}",
                    f"{max(dists) if dists else '-'}/{np.mean(dists) if dists else 0:.1f}",
                    f"{result.query_percent:.0f}% / {result.target_percent:.0f}%",
                    f"{ours_s:.2f}",
                    f"{ref_s:.2f}",
                    ratio(ours_s, ref_s, False),
                ]
            )
    print(table(rows))
    print(
        "\n(frame distance: PDQ of the same frame number by both; match: vPDQ's rule,"
        "\n share of our frames matched in the reference's and back; speed: how many"
        "\n times faster ours is, one thread each)"
    )


if __name__ == "__main__":
    main()
