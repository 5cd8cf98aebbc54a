"""Tests for storage.ledger.verify_db: checking the whole ledger in place."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.ledger.checkpoint import sign_checkpoint
from storage.ledger.ledger import append_record
from storage.ledger.merkle import leaf_hash
from storage.ledger.note import Signer
from storage.ledger.verify_db import verify_db
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

ORIGIN = "chanwatch.test/ledger"


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
async def store(tmp_path: Path, signer: Signer) -> AsyncIterator[SQLiteStore]:
    async def add(tx: Transaction) -> None:
        for i in range(9):
            await append_record(tx, "login", f"user{i}", {})

    async with SQLiteStore(tmp_path / "ledger.db") as s:
        await s.transaction(add)
        await sign_checkpoint(s, signer, ORIGIN)
        await s.transaction(lambda tx: append_record(tx, "login", "late", {}))
        yield s


def tamper(path: Path, *sql: str) -> None:
    """What someone with file access could do: drop the triggers and edit rows."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER ledger_no_update")
    db.execute("DROP TRIGGER ledger_no_delete")
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()


async def test_intact_ledger_verifies(store: SQLiteStore, signer: Signer) -> None:
    """An untouched ledger verifies; the unsigned tail is reported as a note."""
    report = await verify_db(store, signer.verifier)
    assert report.ok, report.problems
    assert (report.records, report.checkpoints, report.signed_size) == (10, 1, 9)
    assert "1 records after the latest checkpoint" in report.notes[0]


async def test_rewritten_record_with_fixed_leaf_hash_is_caught(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """A record rewritten with a matching leaf hash no longer gives the signed root."""
    new = b'{"actor":"mallory","at":"2026-01-01T00:00:00.000000Z","seq":"2","type":"login","v":"1"}'
    tamper(tmp_path / "ledger.db",
           f"UPDATE ledger SET record = x'{new.hex()}', actor = 'mallory', "
           "at = '2026-01-01T00:00:00.000000Z', "
           f"leaf_hash = x'{leaf_hash(new).hex()}' WHERE seq = 2")
    report = await verify_db(store, signer.verifier)
    assert not report.ok
    assert any("checkpoint 1 (size 9): the first 9 records hash to" in p for p in report.problems)


async def test_changed_record_and_removed_rows_are_caught(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """A record edited in place and the last rows deleted are each named."""
    tamper(tmp_path / "ledger.db",
           "UPDATE ledger SET record = replace(record, 'user4', 'user5') WHERE seq = 4",
           "DELETE FROM ledger WHERE seq >= 8")
    report = await verify_db(store, signer.verifier)
    text = "\n".join(report.problems)
    assert "ledger seq 4: stored leaf hash" in text and "the record was changed" in text
    assert "covers 9 records but the ledger has only 8" in text


async def test_wrong_key_and_no_key(store: SQLiteStore) -> None:
    """Checkpoints under another key fail; without a key only the roots are checked."""
    other = Signer.generate(ORIGIN)
    report = await verify_db(store, other.verifier)
    assert any("note is not signed by key" in p for p in report.problems)
    unkeyed = await verify_db(store, None)
    assert unkeyed.ok and any("signatures were not checked" in n for n in unkeyed.notes)
