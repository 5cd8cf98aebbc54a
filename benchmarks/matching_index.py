"""PDQ bank index: load time, memory, single-lookup latency and batched
throughput at radius 31, next to threatexchange's PDQIndex in the same run.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/matching_index.py [--size 10000000] [--peer-size 1000000]

Bank: random 256-bit hashes (PDQ bits are balanced by construction, so random
hashes are the usual stand-in). Queries: half are bank entries with 0..31
random bits flipped (must be found), half random (the common case: no match).
Our index is measured at ``--size`` (the issue's targets) and, with the peer,
at ``--peer-size`` (the peer's multi-hash index needs ~0.8 GB and ~12 s per
million entries, so the default compares at 1 million). Every answer of ours
is checked against brute force on a sample before timing.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

import numpy as np
from matching_common import machine, peak_rss_mb, quiet_logs, ratio, rss_mb, table

from handlers.index import BankIndex
from handlers.index.mih import distances, hex_to_words, words_to_hex

RADIUS = 31


def make_bank(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**64 - 1, size=(n, 4), dtype=np.uint64, endpoint=True)


def make_queries(bank: np.ndarray, count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    near = bank[rng.integers(0, len(bank), count // 2)].copy()
    for row in near:
        for bit in rng.choice(256, size=int(rng.integers(0, RADIUS + 1)), replace=False):
            row[bit // 64] ^= np.uint64(1) << np.uint64(63 - bit % 64)
    far = rng.integers(0, 2**64 - 1, size=(count - count // 2, 4), dtype=np.uint64, endpoint=True)
    queries = np.vstack([near, far])
    return words_to_hex(queries[rng.permutation(len(queries))])


def latencies(fn: Callable[[str], object], queries: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds per lookup: wall clock, and CPU time of this process (the
    work itself, without the waits when other processes hold the cores)."""
    wall, cpu = [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        fn(q)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return np.array(wall) * 1000.0, np.array(cpu) * 1000.0


def check(index: BankIndex, bank: np.ndarray, queries: list[str], sample: int = 20) -> None:
    """Our answers equal brute force on a sample of queries (else abort)."""
    for q in queries[:sample]:
        d = distances(bank, np.broadcast_to(hex_to_words([q])[0], bank.shape))
        truth = set(np.flatnonzero(d <= RADIUS).tolist())
        got = {m.entry_id for m in index.lookup_values(pdq=q)}
        if got != truth:
            raise SystemExit(f"wrong answer for {q}: {sorted(got)} != {sorted(truth)}")


def measure_ours(n: int, queries_n: int, batch: int) -> dict[str, float]:
    gc.collect()
    base = rss_mb()
    bank = make_bank(n, seed=1)
    hexes = words_to_hex(bank[: min(n, 1_000_000)])
    t = time.perf_counter()
    hex_to_words(hexes)
    hex_rate = len(hexes) / (time.perf_counter() - t)
    del hexes
    index = BankIndex(threads=2)
    t = time.perf_counter()
    index.load_pdq("bench", np.arange(n), bank)
    build = time.perf_counter() - t
    gc.collect()
    memory = rss_mb() - base
    queries = make_queries(bank, queries_n, seed=2)
    check(index, bank, queries)
    lat, lat_cpu = latencies(lambda q: index.lookup_values(pdq=q), queries)
    t, cpu = time.perf_counter(), time.process_time()
    found = 0
    for s in range(0, len(queries), batch):
        found += sum(len(r) for r in index.lookup_pdq_batch(queries[s : s + batch]))
    rate = len(queries) / (time.perf_counter() - t)
    cpu_rate = len(queries) / (time.process_time() - cpu)
    return {
        "n": n,
        "build_s": build,
        "hex_parse_s": n / hex_rate,
        "memory_mb": memory,
        "index_mb": index.stats()["pdq_bytes"] / 1e6,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "p99_cpu_ms": float(np.percentile(lat_cpu, 99)),
        "batch_per_s": rate,
        "cpu_per_s": cpu_rate,
        "found": found,
    }


def measure_peer(n: int, queries_n: int) -> dict[str, float]:
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    gc.collect()
    base = rss_mb()
    bank = make_bank(n, seed=1)
    hexes = words_to_hex(bank)
    t = time.perf_counter()
    index = PDQIndex(entries=zip(hexes, range(n), strict=True))
    build = time.perf_counter() - t
    gc.collect()
    memory = rss_mb() - base
    queries = make_queries(bank, queries_n, seed=2)
    lat, lat_cpu = latencies(index.query, queries)
    t, cpu = time.perf_counter(), time.process_time()
    found = sum(len(index.query(q)) for q in queries)
    rate = len(queries) / (time.perf_counter() - t)
    cpu_rate = len(queries) / (time.process_time() - cpu)
    return {
        "n": n,
        "build_s": build,
        "memory_mb": memory,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "p99_cpu_ms": float(np.percentile(lat_cpu, 99)),
        "batch_per_s": rate,
        "cpu_per_s": cpu_rate,
        "found": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--peer-size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    quiet_logs()
    print(machine())
    print(f"radius {RADIUS}; {args.queries} queries (half near-duplicates, half random)\n")

    big = measure_ours(args.size, args.queries, args.batch)
    print(f"chanwatch BankIndex at {args.size:,} entries (targets: load < 10 s, < 1 GB,")
    print("p99 < 20 ms, batched >= 4000/s):")
    print(
        table(
            [
                [
                    "load (build)",
                    "+ hex parse",
                    "RSS added",
                    "arrays",
                    "p50",
                    "p99",
                    "p99 CPU",
                    "batched",
                    "per CPU-second",
                ],
                [
                    f"{big['build_s']:.1f} s",
                    f"{big['hex_parse_s']:.1f} s",
                    f"{big['memory_mb']:.0f} MB",
                    f"{big['index_mb']:.0f} MB",
                    f"{big['p50_ms']:.2f} ms",
                    f"{big['p99_ms']:.2f} ms",
                    f"{big['p99_cpu_ms']:.2f} ms",
                    f"{big['batch_per_s']:.0f}/s",
                    f"{big['cpu_per_s']:.0f}",
                ],
            ]
        )
    )
    print(f"peak RSS so far: {peak_rss_mb():.0f} MB\n")
    if args.no_peer:
        return
    del big
    gc.collect()
    ours = measure_ours(args.peer_size, args.queries, args.batch)
    peer = measure_peer(args.peer_size, args.queries)
    if ours["found"] != peer["found"]:
        print(f"NOTE: matches differ: ours {ours['found']}, peer {peer['found']}")
    print(f"side by side at {args.peer_size:,} entries (peer: threatexchange PDQIndex):")
    rows = [["", "load", "RSS added", "p50", "p99", "p99 CPU", "lookups/s", "per CPU-s", "matches"]]
    for name, r in (("chanwatch", ours), ("threatexchange", peer)):
        rows.append(
            [
                name,
                f"{r['build_s']:.1f} s",
                f"{r['memory_mb']:.0f} MB",
                f"{r['p50_ms']:.2f} ms",
                f"{r['p99_ms']:.2f} ms",
                f"{r['p99_cpu_ms']:.2f} ms",
                f"{r['batch_per_s']:.0f}",
                f"{r['cpu_per_s']:.0f}",
                f"{r['found']:.0f}",
            ]
        )
    rows.append(
        [
            "ratio",
            ratio(ours["build_s"], peer["build_s"], False),
            ratio(ours["memory_mb"], peer["memory_mb"], False),
            ratio(ours["p50_ms"], peer["p50_ms"], False),
            ratio(ours["p99_ms"], peer["p99_ms"], False),
            ratio(ours["p99_cpu_ms"], peer["p99_cpu_ms"], False),
            ratio(ours["batch_per_s"], peer["batch_per_s"], True),
            ratio(ours["cpu_per_s"], peer["cpu_per_s"], True),
            "",
        ]
    )
    print(table(rows))
    print("(ratio: how many times better chanwatch is; the peer has no batch API,")
    print(" its lookups/s is one query() after another. 'per CPU-second': lookups per")
    print(" second of this process's CPU time, all threads: what one core delivers")
    print(" when other work shares the machine)")


if __name__ == "__main__":
    main()
