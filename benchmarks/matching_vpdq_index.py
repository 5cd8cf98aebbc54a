"""vPDQ lookups in both directions (contains / excerpt) against a bank of videos:
the index (:class:`handlers.index.VpdqIndex`: one radius search for all query
frames, both percentages from its hits) next to vPDQ's brute force
(``match_frames`` against every bank video, as ``match_two_hash_brute`` does).

    .venv/bin/python benchmarks/matching_vpdq_index.py [--videos 10000] [--frames 30]

Bank videos are random frame hashes (``--frames`` each); queries are a
re-encode of one bank video (every frame 8 bits off), a 600-frame compilation
holding one bank video, a 600-frame unrelated video, and a 600-frame
compilation of 20 bank videos. Times are the best of 5 runs, one thread.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from matching_common import machine, quiet_logs, ratio, rss_mb, table

from handlers.hashing.vpdq import VpdqFrame, match_frames
from handlers.index import VpdqIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--brute-videos", type=int, default=1_000,
                        help="bank size for the brute-force peer (it is slow)")
    args = parser.parse_args()
    quiet_logs()
    print(machine())
    rng = random.Random(1)

    def rand_hex() -> str:
        return f"{rng.getrandbits(256):064x}"

    def near(hex_value: str, bits: int = 8) -> str:
        x = int(hex_value, 16)
        for b in rng.sample(range(256), bits):
            x ^= 1 << b
        return f"{x:064x}"

    def video(hexes: list[str]) -> list[VpdqFrame]:
        return [VpdqFrame(i, 100, h, float(i)) for i, h in enumerate(hexes)]

    bank = [video([rand_hex() for _ in range(args.frames)]) for _ in range(args.videos)]
    before = rss_mb()
    t = time.perf_counter()
    index = VpdqIndex()
    for entry, frames in enumerate(bank):
        index.add(entry, frames)
    index.compact()
    load_s, load_mb = time.perf_counter() - t, rss_mb() - before
    print(f"\nindex: {args.videos} videos x {args.frames} frames loaded in {load_s:.2f} s, "
          f"+{load_mb:.0f} MB")

    queries = {
        "re-encode of a bank video": video([near(f.hex) for f in bank[5]]),
        "compilation holding 1 bank video": video(
            [rand_hex() for _ in range(600 - args.frames)] + [near(f.hex) for f in bank[7]]),
        "unrelated, 600 frames": video([rand_hex() for _ in range(600)]),
        "compilation of 20 bank videos": video(
            [near(f.hex) for v in bank[:20] for f in v][:600]),
    }
    brute_bank = bank[: args.brute_videos]

    def best(fn: Callable[[], object], reps: int = 5) -> float:
        out = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            out = min(out, time.perf_counter() - t)
        return out

    rows = [["query", "frames", "matches", "index ms", f"brute ms ({len(brute_bank)} videos)",
             f"brute ms scaled to {args.videos}", "index faster"]]
    for name, query in queries.items():
        hits = index.lookup(query)
        index_s = best(lambda q=query: index.lookup(q))
        brute_s = best(lambda q=query: [match_frames(q, v).verdict() for v in brute_bank], 1)
        scaled = brute_s * args.videos / max(1, len(brute_bank))
        rows.append([name, str(len(query)),
                     ",".join(sorted({h.verdict.direction for h in hits})) or "-",
                     f"{index_s * 1000:.1f}", f"{brute_s * 1000:.0f}", f"{scaled * 1000:.0f}",
                     ratio(index_s, scaled, False)])
    print(table(rows))


if __name__ == "__main__":
    main()
