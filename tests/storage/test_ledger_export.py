"""Tests for storage.ledger.export: one case's bundle from a real SQLite ledger."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.ledger import canonical
from storage.ledger.checkpoint import latest_checkpoint
from storage.ledger.export import ExportError, export_case, proofs_jsonl
from storage.ledger.ledger import append_record
from storage.ledger.merkle import MerkleTree, leaf_hash
from storage.ledger.note import Signer, open_checkpoint, open_note
from storage.ledger.verify import verify_bundle
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

ORIGIN = "chanwatch.test/ledger"
T = [datetime(2026, 11, d, 12, tzinfo=UTC) for d in range(1, 29)]


async def fill(tx: Transaction) -> None:
    """Two cases; channel 300 is covered by both; records of every kind."""
    await append_record(tx, "authorization.granted", "sup1", {
        "case": "K-1", "authorization": "A-1", "channels": [100, 300], "kind": "court",
        "authority": "District court", "document": "GS 12/26",
        "valid_from": T[0], "valid_until": T[20]}, at=T[0])
    await append_record(tx, "authorization.granted", "sup2", {
        "case": "K-2", "authorization": "B-1", "channels": [200, 300]}, at=T[0])
    await append_record(tx, "watch.approved", "sup1", {"case": "K-1", "channel": 100,
                                                         "authorization": "A-1"}, at=T[1])
    for day in (2, 3, 4):
        for ch, auth in ((100, "A-1"), (200, "B-1"), (300, "A-1"), (300, "B-1")):
            await append_record(tx, "post.captured", "service:monitor", {
                "channel": ch, "message": day, "authorization": auth,
                "text_sha256": "aa" * 32, "text": "Привет"}, at=T[day])
        await append_record(tx, "media.hashed", "service:monitor",
                            {"channel": 100, "message": day, "sha256": "bb" * 32}, at=T[day])
        await append_record(tx, "media.hashed", "service:monitor",
                            {"channel": 200, "message": day, "sha256": "cc" * 32}, at=T[day])
    await append_record(tx, "match", "service:monitor",
                        {"channel": 100, "message": 3, "bank": "demo", "distance": 4}, at=T[5])
    await append_record(tx, "alert.confirmed", "op1", {"case": "K-1", "alert": 1,
                                                         "note": "bank match confirmed"}, at=T[6])
    await append_record(tx, "login", "op1", {}, at=T[6])
    await append_record(tx, "media.hashed", "service:monitor",
                        {"channel": 100, "message": 9, "sha256": "dd" * 32}, at=T[25])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "ledger.db") as s:
        await s.transaction(fill)
        yield s


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _records(files: dict[str, bytes]) -> list[dict[str, canonical.JsonValue]]:
    return [canonical.loads(line) for line in files["records.jsonl"].splitlines()]


async def test_bundle_has_every_file_and_verifies(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """The bundle holds the listed files, the manifest hashes them, and it verifies."""
    out = tmp_path / "k1.zip"
    result = await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out)
    files = _members(out)
    assert set(files) == {"records.jsonl", "proofs.jsonl", "checkpoint.txt", "public_key.txt",
                          "consistency.jsonl", "records.csv", "report.html", "report.pdf",
                          "manifest.json", "manifest.sig"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["case"] == "K-1" and manifest["records"] == str(result.records)
    assert set(manifest["files"]) == set(files) - {"manifest.json", "manifest.sig"}
    assert files["report.pdf"].startswith(b"%PDF-")
    assert files["public_key.txt"].decode().strip() == signer.vkey()
    cp = open_checkpoint(files["checkpoint.txt"].decode(), signer.verifier, ORIGIN)
    assert cp.size == result.tree_size == result.export_seq + 1
    assert manifest["checkpoint"] == {"size": str(cp.size), "root": cp.root.hex()}
    assert manifest["export_seq"] == manifest["last_seq"] == str(result.export_seq)
    assert manifest["selection"] == {"rule": "chanwatch-case/2", "from": None, "to": None}
    assert manifest["timestamp"] is None
    signed = open_note(files["manifest.sig"].decode(), signer.verifier)
    assert signed == ("chanwatch-evidence-manifest/2\n"
                      f"sha256 {hashlib.sha256(files['manifest.json']).hexdigest()}\n")
    report = verify_bundle(out, signer.verifier, case="K-1", sha256=result.bundle_sha256)
    assert report.ok and report.status == 0, report.problems


async def test_records_are_exact_hashed_bytes(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """Each records.jsonl line is byte for byte the stored record; proofs align with them."""
    out = tmp_path / "k1.zip"
    await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out)
    files = _members(out)
    stored = {r.seq: r for r in await store.snapshot(lambda tx: tx.ledger.rows())}
    lines = files["records.jsonl"].splitlines()
    proofs = [json.loads(p) for p in files["proofs.jsonl"].splitlines()]
    assert len(lines) == len(proofs)
    for line, proof in zip(lines, proofs, strict=True):
        assert stored[proof["index"]].record == line
        assert stored[proof["index"]].leaf_hash.hex() == proof["leaf_hash"]


async def test_export_of_one_case_shows_no_record_of_another(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """K-1's bundle holds no record naming K-2 or B-1, nor channel-200 records, in any file."""
    out = tmp_path / "k1.zip"
    await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out)
    files = _members(out)
    records = _records(files)
    assert all(r.get("case") in ("K-1", None) for r in records)
    assert all(r.get("authorization") in ("A-1", None) for r in records)
    assert all(r.get("channel") != "200" for r in records)
    for name in ("records.jsonl", "records.csv", "report.html"):
        assert b"K-2" not in files[name] and b"B-1" not in files[name], name
    types = [r["type"] for r in records]
    # channel-100 media (no case field) inside A-1's window is selected, the one after is not
    media = [r for r in records if r["type"] == "media.hashed"]
    assert [r["message"] for r in media] == ["2", "3", "4"]
    assert types.count("post.captured") == 6  # 100 and 300 under A-1, three days
    assert "match" in types and "alert.confirmed" in types and "login" not in types
    assert types[-1] == "export"


async def test_export_record_is_in_the_ledger(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """The export appends an `export` record with the count and digest of the selection."""
    out = tmp_path / "k1.zip"
    result = await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out)
    row = (await store.snapshot(lambda tx: tx.ledger.rows(seqs=[result.export_seq])))[0]
    rec = canonical.loads(row.record)
    assert rec["type"] == "export" and rec["actor"] == "sup1" and rec["case"] == "K-1"
    assert rec["records"] == str(result.records - 1) and rec["file"] == "k1.zip"
    assert (await store.snapshot(latest_checkpoint)).tree_size > result.export_seq  # type: ignore[union-attr]


async def test_period_limits_records_but_keeps_authorizations(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """--from/--to select by time; the case's legal basis (authorization and watch
    records) is always included."""
    out = tmp_path / "k1.zip"
    await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out,
                      date_from=T[3], date_to=T[3])
    records = _records(_members(out))
    assert [r["type"] for r in records[:2]] == ["authorization.granted", "watch.approved"]
    assert {r["at"] for r in records[2:-1]} == {canonical.format_time(T[3])}
    assert verify_bundle(out, signer.verifier).ok


async def test_csv_and_report_are_readable(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """records.csv has a row per record; the HTML report names the authorization and decision."""
    out = tmp_path / "k1.zip"
    result = await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out)
    files = _members(out)
    rows = list(csv.DictReader(io.StringIO(files["records.csv"].decode("utf-8-sig"))))
    assert len(rows) == result.records and rows[0]["type"] == "authorization.granted"
    page = files["report.html"].decode()
    assert "GS 12/26" in page and "bank match confirmed" in page and "How to verify" in page


async def test_unknown_case_and_existing_file_are_refused(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """A case without records and an existing output file give clear errors, no export record."""
    with pytest.raises(ExportError, match="has no records"):
        await export_case(store, signer, ORIGIN, case="K-9", actor="sup1", out=tmp_path / "x.zip")
    (tmp_path / "y.zip").write_bytes(b"")
    with pytest.raises(ExportError, match="already exists"):
        await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=tmp_path / "y.zip")
    assert not [r for r in await store.snapshot(lambda tx: tx.ledger.rows()) if r.type == "export"]


async def test_previous_bundle_checkpoint_is_consistent(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """A second export carries the consistency proof from the first export's checkpoint."""
    first = tmp_path / "first.zip"
    await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=first)
    await store.transaction(lambda tx: append_record(tx, "login", "op2", {}))
    second = tmp_path / "second.zip"
    await export_case(store, signer, ORIGIN, case="K-2", actor="sup2", out=second)
    old = _members(first)["checkpoint.txt"].decode()
    report = verify_bundle(second, signer.verifier, previous=old)
    assert report.ok, report.problems
    assert any("consistent with the previous checkpoint" in n for n in report.notes)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 100, 257])
def test_proof_lines_equal_the_tree_proofs(size: int) -> None:
    """proofs_jsonl (shared upper paths) writes exactly MerkleTree.inclusion_proof for any
    increasing subset of leaves, contiguous or not."""
    rng = random.Random(size)
    tree = MerkleTree([leaf_hash(rng.randbytes(4)) for _ in range(size)])
    for seqs in (list(range(size)), sorted(rng.sample(range(size), max(1, size // 3)))):
        lines = proofs_jsonl(tree, seqs).decode().splitlines()
        for seq, line in zip(seqs, lines, strict=True):
            obj = json.loads(line)
            assert obj == {"index": seq, "leaf_hash": tree.leaf(seq).hex(),
                           "inclusion": [h.hex() for h in tree.inclusion_proof(seq)]}
