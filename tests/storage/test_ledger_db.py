"""Tests for storage.ledger.db: the schema and the minimal read/write runner."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from storage.ledger.db import ConnectionRunner, ensure_schema
from storage.ledger.ledger import append_record, ledger_size


async def test_schema_is_idempotent_and_writes_commit(tmp_path: Path) -> None:
    """Applying the migration twice is harmless; a committed write is seen after reopening."""
    runner = ConnectionRunner(tmp_path / "l.db")
    await runner.open()
    await ensure_schema(runner.conn)
    await runner.write(lambda c: append_record(c, "login", "a", {}))
    await runner.close()
    again = ConnectionRunner(tmp_path / "l.db")
    await again.open(create=False)
    assert await again.read(ledger_size) == 1
    await again.close()


async def test_failed_write_rolls_back(tmp_path: Path) -> None:
    """An exception inside write() rolls back everything that write did."""
    runner = ConnectionRunner(tmp_path / "l.db")
    await runner.open()

    async def boom(conn: aiosqlite.Connection) -> None:
        await append_record(conn, "login", "a", {})
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await runner.write(boom)
    assert await runner.read(ledger_size) == 0
    await runner.close()


async def test_missing_database_and_closed_runner(tmp_path: Path) -> None:
    """Opening a missing database without create, or using a closed runner, fails clearly."""
    with pytest.raises(FileNotFoundError, match="does not exist"):
        await ConnectionRunner(tmp_path / "none.db").open(create=False)
    with pytest.raises(RuntimeError, match="not open"):
        await ConnectionRunner(tmp_path / "x.db").read(ledger_size)
