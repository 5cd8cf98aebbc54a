"""Tests for storage.ledger.checkpoint: signing only consistent checkpoints."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.ledger.checkpoint import (
    InconsistentLedger,
    add_checkpoint_job,
    checkpoint_job,
    latest_checkpoint,
    list_checkpoints,
    sign_checkpoint,
)
from storage.ledger.ledger import append_record
from storage.ledger.merkle import verify_consistency
from storage.ledger.note import Signer, open_checkpoint
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

ORIGIN = "chanwatch.test/ledger"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "ledger.db") as s:
        yield s


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


async def _logins(store: SQLiteStore, n: int) -> None:
    async def add(tx: Transaction) -> None:
        for i in range(n):
            await append_record(tx, "login", f"user{i}", {})

    await store.transaction(add)


async def test_signs_when_grown_only(store: SQLiteStore, signer: Signer) -> None:
    """A checkpoint is signed for a grown tree; without growth the last one is returned."""
    await _logins(store, 3)
    first, _, new = await sign_checkpoint(store, signer, ORIGIN)
    assert new and first.tree_size == 3
    again, _, new = await sign_checkpoint(store, signer, ORIGIN)
    assert not new and again == first
    await _logins(store, 2)
    second, tree, new = await sign_checkpoint(store, signer, ORIGIN)
    assert new and second.tree_size == 5
    cp = open_checkpoint(second.note, signer.verifier, ORIGIN)
    assert cp.size == 5 and cp.root == tree.root()
    verify_consistency(3, 5, first.root, second.root, tree.consistency_proof(3))
    assert [c.id for c in await store.snapshot(list_checkpoints)] == [first.id, second.id]


async def test_refuses_to_sign_after_a_record_was_rewritten(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """Someone drops the trigger and edits a signed record: no new checkpoint is signed."""
    await _logins(store, 4)
    await sign_checkpoint(store, signer, ORIGIN)
    await _logins(store, 1)
    db = sqlite3.connect(tmp_path / "ledger.db")
    db.execute("DROP TRIGGER ledger_no_update")
    db.execute("UPDATE ledger SET leaf_hash = zeroblob(32) WHERE seq = 1")
    db.commit()
    db.close()
    with pytest.raises(InconsistentLedger, match="no longer hash to the root"):
        await checkpoint_job(store, signer, ORIGIN)
    assert (await store.snapshot(latest_checkpoint)).tree_size == 4  # type: ignore[union-attr]


async def test_refuses_a_different_origin(store: SQLiteStore, signer: Signer) -> None:
    """The origin of a ledger never changes between checkpoints."""
    await _logins(store, 1)
    await sign_checkpoint(store, signer, ORIGIN)
    await _logins(store, 1)
    with pytest.raises(InconsistentLedger, match="origin"):
        await sign_checkpoint(store, signer, "other.test/ledger")


async def test_checkpoint_rows_are_append_only(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """Stored checkpoints cannot be updated or deleted."""
    await _logins(store, 1)
    await sign_checkpoint(store, signer, ORIGIN)
    db = sqlite3.connect(tmp_path / "ledger.db")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="UPDATE refused"):
            db.execute("UPDATE ledger_checkpoints SET tree_size = 0")
        with pytest.raises(sqlite3.IntegrityError, match="DELETE refused"):
            db.execute("DELETE FROM ledger_checkpoints")
    finally:
        db.close()


async def test_scheduled_job_signs_when_grown(store: SQLiteStore, signer: Signer) -> None:
    """The APScheduler job added by add_checkpoint_job signs a checkpoint of a grown tree."""
    await _logins(store, 2)
    scheduler = AsyncIOScheduler()
    add_checkpoint_job(scheduler, store, signer, ORIGIN, timedelta(seconds=3600))
    scheduler.start()
    try:
        job = scheduler.get_job("ledger-checkpoint")
        assert job is not None and job.max_instances == 1
        job.modify(next_run_time=datetime.now(UTC))  # run now instead of in an hour
        for _ in range(200):
            if await store.snapshot(latest_checkpoint) is not None:
                break
            await asyncio.sleep(0.01)
    finally:
        scheduler.shutdown(wait=False)
    stored = await store.snapshot(latest_checkpoint)
    assert stored is not None and stored.tree_size == 2
