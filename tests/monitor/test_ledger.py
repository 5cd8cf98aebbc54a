"""The monitor's ledger service (monitor.ledger): the settings record, the
checkpoint job and the final checkpoint, on a real SQLite store and key file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.ledger import LedgerService, effective_settings
from monitor.settings import Settings
from storage.ledger import canonical
from storage.ledger.checkpoint import list_checkpoints
from storage.ledger.keys import generate_signing_key
from storage.sqlite import SQLiteStore

ORIGIN = "unit.test/ledger"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "cw.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


def settings(tmp_path: Path, **matching: Any) -> Settings:
    return Settings(
        telegram={"api_id": 1, "api_hash": "0123456789abcdef0123456789abcdef"},
        database={"path": tmp_path / "cw.db"},
        matching=matching,
        ledger={"signing_key_file": tmp_path / "ledger.key", "origin": ORIGIN},
    )


async def setting_records(store: SQLiteStore) -> list[dict[str, Any]]:
    rows = await store.snapshot(lambda tx: tx.ledger.rows(types=["setting.change"]))
    return [canonical.loads(r.record) for r in rows]


async def test_settings_recorded_once_until_they_change(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A start records the effective settings; the same settings again append
    nothing; a changed threshold appends a record naming the previous digest."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    await LedgerService(store, settings(tmp_path)).start(scheduler)
    await LedgerService(store, settings(tmp_path)).start(scheduler)
    [first] = await setting_records(store)
    assert first["previous_sha256"] is None
    assert first["settings"]["matching"]["pdq_threshold"] == "31"
    assert "telegram" not in first["settings"] and "database" not in first["settings"]
    await LedgerService(store, settings(tmp_path, pdq_threshold=20)).start(scheduler)
    records = await setting_records(store)
    assert len(records) == 2
    assert records[1]["previous_sha256"] == first["settings_sha256"]
    assert records[1]["settings"]["matching"]["pdq_threshold"] == "20"


def test_effective_settings_hold_no_secret(tmp_path: Path) -> None:
    """The recorded sections are JSON without numbers, and never the api_hash."""
    values = effective_settings(settings(tmp_path))
    assert "0123456789abcdef" not in canonical.dumps(values).decode()
    assert set(values) == {"media", "matching", "alerts", "monitor", "handlers", "access",
                           "accounts", "ledger"}


async def test_without_a_key_nothing_is_scheduled_or_signed(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """No signing key: the service logs it, schedules no job and signs nothing."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    service = LedgerService(store, settings(tmp_path))
    await service.start(scheduler)
    assert not service.signing and scheduler.get_job("ledger-checkpoint") is None
    await service.stop()
    assert await store.snapshot(list_checkpoints) == []


async def test_job_scheduled_and_final_checkpoint_only_when_grown(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """With the key the checkpoint job is scheduled at the setting's interval; stop
    signs a checkpoint of the whole tree, and a second stop without growth none."""
    generate_signing_key(tmp_path / "ledger.key", ORIGIN)
    scheduler = AsyncIOScheduler(timezone="UTC")
    service = LedgerService(store, settings(tmp_path))
    await service.start(scheduler)
    job = scheduler.get_job("ledger-checkpoint")
    assert service.signing and job is not None
    assert job.trigger.interval.total_seconds() == 300
    await store.add_watch("@news", "ivan", state="approved")
    await service.stop()
    await service.stop()
    [checkpoint] = await store.snapshot(list_checkpoints)
    assert checkpoint.tree_size == 2  # setting.change, watch.add
    assert checkpoint.note.startswith(f"{ORIGIN}\n2\n")
