"""Exporting and verifying a case of 1,000,000 ledger records.

Builds a ledger (real SQLite file, the real append code) with --records records
of case K-1 and a tenth as many of case K-2, then times

- ``export_case`` (select, export record, checkpoint over the whole tree,
  proofs, CSV/HTML/PDF, manifest, ZIP) and
- ``verify_bundle`` (everything the offline verifier checks),

next to peers measured in the same run on the same records: a plain
``hashlib`` loop computing every leaf hash (the least any verifier must do),
and checking each inclusion proof on its own (``verify_inclusion`` per record)
next to the verifier's way (each shared tree node hashed once).

    .venv/bin/python benchmarks/ledger_export.py [--records 1000000] [--dir .] [--db FILE]

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
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from machine import cpu_model

from storage.ledger.export import export_case
from storage.ledger.ledger import append_records
from storage.ledger.merkle import proof_text, verify_inclusion, verify_inclusion_texts
from storage.ledger.note import Checkpoint, Signer
from storage.ledger.verify import verify_bundle
from storage.sqlite import SQLiteStore

ORIGIN = "bench.local/ledger"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def machine() -> str:
    cpu = cpu_model()
    return (f"platform   {platform.platform()}\ncpu        {cpu}, {os.cpu_count()} cores\n"
            f"python     {platform.python_version()}, sqlite {sqlite3.sqlite_version}")


async def build(store: SQLiteStore, records: int) -> None:
    auth = [("authorization.granted", "sup", {"case": "K-1", "authorization": "A-1",
                                              "channels": [1001]}),
            ("authorization.granted", "sup", {"case": "K-2", "authorization": "B-1",
                                              "channels": [2002]})]
    await store.transaction(lambda tx: append_records(tx, auth, at=T0))
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
        await store.transaction(partial(append_records, items=items, at=at))
        done += n


def plain_hashlib(bundle: Path) -> float:
    with zipfile.ZipFile(bundle) as zf:
        data = zf.read("records.jsonl")
    t0 = time.perf_counter()
    sha = hashlib.sha256
    for line in data.splitlines():
        sha(b"\x00" + line).digest()
    return time.perf_counter() - t0


def proof_checks(bundle: Path) -> tuple[float, float, int]:
    """Seconds to check every inclusion proof one by one (RFC 9162 verification per
    proof) and all together (the verifier's shared-node check), same parsed input."""
    with zipfile.ZipFile(bundle) as zf:
        lines = zf.read("proofs.jsonl").splitlines()
        cp = Checkpoint.parse(zf.read("checkpoint.txt").decode().split("\n\n")[0] + "\n")
    parsed = [json.loads(line) for line in lines]
    single = [(o["index"], bytes.fromhex(o["leaf_hash"]),
               [bytes.fromhex(h) for h in o["inclusion"]]) for o in parsed]
    texts = [(i, leaf, proof_text(p)) for i, leaf, p in single]
    t0 = time.perf_counter()
    for index, leaf, proof in single:
        verify_inclusion(index, cp.size, leaf, proof, cp.root)
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    failures = verify_inclusion_texts(cp.size, cp.root, texts)
    t_batch = time.perf_counter() - t0
    assert not failures
    return t_single, t_batch, len(single)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    parser.add_argument("--db", type=Path,
                        help="keep the built ledger in this file and reuse it on the next run")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(machine())
    signer = Signer.generate(ORIGIN)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        db = args.db or Path(tmp) / "ledger.db"
        reuse = db.exists()
        store = SQLiteStore(db)
        await store.open()
        t0 = time.perf_counter()
        if not reuse:
            await build(store, args.records)
        print(f"{'reused' if reuse else 'built':10s} {args.records:,} K-1 records "
              f"(+{args.records // 10:,} of K-2) in {time.perf_counter() - t0:.1f} s")
        bundle = Path(tmp) / "k1.zip"
        print(f"load       {load()} (other work on this machine slows the wall-clock times; "
              "CPU time is this process alone)")
        t0, c0 = time.perf_counter(), time.process_time()
        result = await export_case(store, signer, ORIGIN, case="K-1", actor="sup", out=bundle)
        t_export, c_export = time.perf_counter() - t0, time.process_time() - c0
        await store.close()
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
        t_single, t_batch, proofs = proof_checks(bundle)
        print(f"peer       plain hashlib loop, every record's leaf hash: {t_hash:.1f} s")
        print(f"peer       {proofs:,} inclusion proofs checked one by one: {t_single:.1f} s; "
              f"as the verifier checks them (shared nodes hashed once): {t_batch:.1f} s")
        print(f"\nexport {t_export:.1f} s and verify {t_verify:.1f} s for {result.records:,} "
              f"records (limit 60 s each); the proof check is {t_single / t_batch:.1f} x "
              "faster than checking each proof on its own")


if __name__ == "__main__":
    asyncio.run(main())
