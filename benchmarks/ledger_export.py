"""Exporting and verifying a case of 1,000,000 ledger records.

Builds a ledger (real SQLite file, the real append code) with --records records
of case K-1 and a tenth as many of case K-2, then times

- ``export_case`` (select, export record, checkpoint over the whole tree,
  proofs, CSV/HTML/PDF, manifest, ZIP) and
- ``verify_bundle`` (everything the offline verifier checks),

next to peers measured in the same run on the same records: a plain
``hashlib`` loop computing every leaf hash (the least any verifier must do),
and the naive verifier that checks each inclusion proof on its own
(``verify_inclusion`` per record, on a sample, scaled up).

    .venv/bin/python benchmarks/ledger_export.py [--records 1000000] [--dir .]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from storage.ledger.db import ConnectionRunner
from storage.ledger.export import export_case
from storage.ledger.ledger import append_records
from storage.ledger.merkle import verify_inclusion
from storage.ledger.note import Checkpoint, Signer
from storage.ledger.verify import verify_bundle

ORIGIN = "bench.local/ledger"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"platform   {platform.platform()}\ncpu        {cpu}, {os.cpu_count()} cores\n"
            f"python     {platform.python_version()}, sqlite {sqlite3.sqlite_version}")


async def build(runner: ConnectionRunner, records: int) -> None:
    auth = [("authorization.granted", "sup", {"case": "K-1", "authorization": "A-1",
                                              "channels": [1001]}),
            ("authorization.granted", "sup", {"case": "K-2", "authorization": "B-1",
                                              "channels": [2002]})]
    await runner.write(lambda c: append_records(c, auth, at=T0))
    chunk, other_every = 20_000, 10
    done = 0
    while done < records:
        n = min(chunk, records - done)
        items = []
        for i in range(done, done + n):
            items.append(("post.captured", "service:monitor", {
                "channel": 1001, "message": i, "authorization": "A-1", "date": T0,
                "text_sha256": hashlib.sha256(str(i).encode()).hexdigest(), "views": i}))
            if i % other_every == 0:
                items.append(("post.captured", "service:monitor", {
                    "channel": 2002, "message": i, "authorization": "B-1",
                    "text_sha256": "00" * 32}))
        at = T0 + timedelta(seconds=done)
        await runner.write(lambda c, items=items, at=at: append_records(c, items, at=at))
        done += n


def plain_hashlib(bundle: Path) -> float:
    with zipfile.ZipFile(bundle) as zf:
        data = zf.read("records.jsonl")
    t0 = time.perf_counter()
    sha = hashlib.sha256
    for line in data.splitlines():
        sha(b"\x00" + line).digest()
    return time.perf_counter() - t0


def naive_verify(bundle: Path, signer: Signer, sample: int) -> tuple[float, int]:
    with zipfile.ZipFile(bundle) as zf:
        proofs = zf.read("proofs.jsonl").splitlines()
        cp = Checkpoint.parse(zf.read("checkpoint.txt").decode().split("\n\n")[0] + "\n")
    step = max(1, len(proofs) // sample)
    picked = proofs[::step]
    t0 = time.perf_counter()
    for line in picked:
        obj = json.loads(line)
        verify_inclusion(obj["index"], cp.size, bytes.fromhex(obj["leaf_hash"]),
                         [bytes.fromhex(h) for h in obj["inclusion"]], cp.root)
    return (time.perf_counter() - t0) * len(proofs) / len(picked), len(picked)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(machine())
    signer = Signer.generate(ORIGIN)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        runner = ConnectionRunner(Path(tmp) / "ledger.db")
        await runner.open()
        t0 = time.perf_counter()
        await build(runner, args.records)
        print(f"built      {args.records:,} K-1 records (+{args.records // 10:,} of K-2) in "
              f"{time.perf_counter() - t0:.1f} s")
        bundle = Path(tmp) / "k1.zip"
        print(f"load       {load()} (other work on this machine slows the wall-clock times; "
              "CPU time is this process alone)")
        t0, c0 = time.perf_counter(), time.process_time()
        result = await export_case(runner, signer, ORIGIN, case="K-1", actor="sup", out=bundle)
        t_export, c_export = time.perf_counter() - t0, time.process_time() - c0
        await runner.close()
        size = bundle.stat().st_size
        print(f"export     {result.records:,} records of a tree of {result.tree_size:,}: "
              f"{t_export:.1f} s wall, {c_export:.1f} s CPU, bundle {size / 1e6:,.0f} MB")
        t0, c0 = time.perf_counter(), time.process_time()
        report = await asyncio.to_thread(verify_bundle, bundle, signer.verifier)
        t_verify, c_verify = time.perf_counter() - t0, time.process_time() - c0
        print(f"verify     {'VERIFIED' if report.ok else report.problems[:3]}: "
              f"{t_verify:.1f} s wall, {c_verify:.1f} s CPU")
        print(f"load       {load()}")
        t_hash = plain_hashlib(bundle)
        t_naive, sampled = naive_verify(bundle, signer, 50_000)
        print(f"peer       plain hashlib, every leaf hash: {t_hash:.1f} s")
        print(f"peer       naive verifier, each proof on its own: {t_naive:.1f} s "
              f"(measured on {sampled:,} proofs, scaled)")
        print(f"\nexport {t_export:.1f} s and verify {t_verify:.1f} s for {result.records:,} "
              f"records (limit 60 s each); verify is {t_naive / t_verify:.1f} x faster than "
              "checking each proof on its own")


if __name__ == "__main__":
    asyncio.run(main())
