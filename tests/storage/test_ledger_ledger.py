"""Tests for storage.ledger.ledger: appending records to a real SQLite ledger."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.ledger import canonical
from storage.ledger.ledger import LedgerError, append_record, append_records
from storage.ledger.merkle import leaf_hash
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

AT = datetime(2026, 11, 21, 22, 0, 0, 123456, tzinfo=UTC)
CAPTURE = {"channel": 1001234567890, "message": 42, "authorization": "A-1", "case": "K-1",
           "text_sha256": "ab" * 32}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "ledger.db") as s:
        yield s


async def test_append_assigns_contiguous_seq_and_stores_exact_bytes(
    store: SQLiteStore,
) -> None:
    """Records get seq 0, 1, ...; the stored bytes are canonical and their leaf hash is stored."""
    async def two(tx: Transaction) -> list[int]:
        a = await append_record(tx, "post.captured", "service:monitor", CAPTURE, at=AT)
        b = await append_record(tx, "login", "alice", {"ip": "127.0.0.1"}, at=AT)
        return [a, b]

    assert await store.transaction(two) == [0, 1]
    rows = await store.snapshot(lambda tx: tx.ledger.rows())
    first = canonical.loads(rows[0].record)
    assert first["seq"] == "0" and first["v"] == "1" and first["type"] == "post.captured"
    assert first["at"] == "2026-11-21T22:00:00.123456Z"
    assert first["channel"] == "1001234567890" and first["actor"] == "service:monitor"
    assert [r.leaf_hash for r in rows] == [leaf_hash(r.record) for r in rows]
    assert await store.snapshot(lambda tx: tx.ledger.leaf_hashes()) == [r.leaf_hash for r in rows]


async def test_append_many_in_one_round_trip(store: SQLiteStore) -> None:
    """append_records continues the sequence and writes all records."""
    await store.transaction(lambda tx: append_record(tx, "login", "bob", {}))
    seqs = await store.transaction(lambda tx: append_records(
        tx, [("watch.approved", "sup", {"case": "K-1"}), ("alert.confirmed", "op", {})]))
    assert seqs == [1, 2]
    assert await store.snapshot(lambda tx: tx.ledger.size()) == 3


async def test_committed_records_survive_reopening(tmp_path: Path) -> None:
    """A committed append is seen after the store is closed and opened again; the
    schema comes from the store's migrations, not from the ledger."""
    async with SQLiteStore(tmp_path / "l.db") as store:
        await store.transaction(lambda tx: append_record(tx, "login", "a", {}))
    async with SQLiteStore(tmp_path / "l.db") as again:
        assert await again.snapshot(lambda tx: tx.ledger.size()) == 1


async def test_rolled_back_transaction_leaves_no_record(store: SQLiteStore) -> None:
    """A record appended in a transaction that fails disappears with it; seq is reused."""
    async def fail(tx: Transaction) -> None:
        await append_record(tx, "login", "alice", {})
        raise RuntimeError("store change failed")

    with pytest.raises(RuntimeError):
        await store.transaction(fail)
    assert await store.transaction(lambda tx: append_record(tx, "login", "alice", {})) == 0


@pytest.mark.parametrize(
    ("rtype", "actor", "fields", "message"),
    [
        ("post.stolen", "a", {}, "unknown ledger record type"),
        ("alert.", "a", {}, "unknown ledger record type"),
        ("login", "", {}, "actor"),
        ("login", " a", {}, "actor"),
        ("login", "a", {"seq": 5}, "set by the ledger"),
        ("post.captured", "a", {"channel": 1}, "needs the fields"),
        ("login", "a", {"x": 0.5}, "float is not allowed"),
        ("login", "a", {"case": ["K"]}, "must be a string or an integer"),
    ],
)
async def test_bad_records_are_refused(
    store: SQLiteStore, rtype: str, actor: str, fields: dict[str, object], message: str
) -> None:
    """Unknown types, bad actors, reserved or missing fields and bad values raise LedgerError."""
    with pytest.raises(LedgerError, match=message):
        await store.transaction(lambda tx: append_record(tx, rtype, actor, fields))
    assert await store.snapshot(lambda tx: tx.ledger.size()) == 0


async def test_open_type_families_accepted(store: SQLiteStore) -> None:
    """alert.<state>, watch.<change> and authorization.<change> types are accepted."""
    fields = {"channel": 1, "message": 2, "authorization": "A", "text_sha256": None,
              "sha256": None}
    for rtype in ("alert.claimed", "watch.left", "authorization.extended", "bank.import",
                  "setting.change", "media.hashed", "match", "post.deleted", "post.edited"):

        async def one(tx: Transaction, t: str = rtype) -> int:
            return await append_record(tx, t, "svc", fields)

        await store.transaction(one)
    assert await store.snapshot(lambda tx: tx.ledger.size()) == 9


async def test_database_refuses_update_delete_and_gaps(store: SQLiteStore) -> None:
    """Triggers refuse UPDATE and DELETE of a ledger row and an insert that skips a seq."""
    await store.transaction(lambda tx: append_record(tx, "login", "alice", {}))
    db = sqlite3.connect(store.path)  # a second, plain connection: no code of ours involved
    try:
        with pytest.raises(sqlite3.IntegrityError, match="UPDATE refused"):
            db.execute("UPDATE ledger SET actor = 'mallory'")
        with pytest.raises(sqlite3.IntegrityError, match="DELETE refused"):
            db.execute("DELETE FROM ledger")
        with pytest.raises(sqlite3.IntegrityError, match="seq must be the next index"):
            db.execute("INSERT INTO ledger (seq, type, at, actor, record, leaf_hash) "
                       "VALUES (5, 'login', 'x', 'm', x'00', zeroblob(32))")
    finally:
        db.close()
    rows = await store.snapshot(lambda tx: tx.ledger.rows())
    assert [r.actor for r in rows] == ["alice"]


async def test_inside_the_store_writer_batches(tmp_path: Path) -> None:
    """Through SQLiteStore.write (batched transaction, savepoint per operation), many
    concurrent appends with some failing operations give a gap-free sequence."""
    async with SQLiteStore(tmp_path / "cw.db") as store:

        async def op(tx: Transaction, i: int) -> int:
            seq = await append_record(tx, "login", f"user{i}", {"n": i})
            if i % 7 == 3:
                raise RuntimeError("this operation fails after appending")
            return seq

        async def one(i: int) -> int | None:
            try:
                return await store.transaction(lambda c: op(c, i))
            except RuntimeError:
                return None

        results = await asyncio.gather(*(one(i) for i in range(60)))
        rows = await store.snapshot(lambda tx: tx.ledger.rows())
    kept = sorted(r for r in results if r is not None)
    assert kept == list(range(len(kept))) == [r.seq for r in rows]
    assert all(canonical.loads(r.record)["n"] != str(3) for r in rows)
    assert len(rows) == 60 - len([i for i in range(60) if i % 7 == 3])
