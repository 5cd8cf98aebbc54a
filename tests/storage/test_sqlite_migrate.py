"""The migration runner: order, once-only, atomic files, clear errors."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest
from structlog.testing import capture_logs

from storage.codec import utc_now
from storage.errors import MigrationError
from storage.sqlite import SQLiteStore
from storage.sqlite.migrate import apply_migrations, load_migrations


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _versions(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


@pytest.fixture
def mig_dir(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (d / "0002_second.sql").write_text("CREATE TABLE b (y INTEGER REFERENCES a (x));\n")
    (d / "README.txt").write_text("not a migration\n")
    return d


async def test_package_migrations_apply_once(db_path: Path) -> None:
    """A fresh file gets every shipped migration; reopening applies nothing again."""
    shipped = [m.version for m in load_migrations()]
    assert shipped[0] == 1 and shipped == sorted(shipped)
    async with SQLiteStore(db_path):
        pass
    assert _versions(db_path) == shipped
    assert {"posts", "alerts", "audit", "cursors", "bank_entries"} <= _tables(db_path)
    async with SQLiteStore(db_path):
        pass
    assert _versions(db_path) == shipped


async def test_new_file_is_picked_up_on_next_open(db_path: Path, mig_dir: Path) -> None:
    """A migration file added later is applied, in order, the next time the store opens."""
    (mig_dir / "0002_second.sql").unlink()
    async with SQLiteStore(db_path, migrations=mig_dir):
        pass
    assert _versions(db_path) == [1]
    (mig_dir / "0002_second.sql").write_text("CREATE TABLE b (y INTEGER);\n")
    (mig_dir / "0003_third.sql").write_text("CREATE TABLE c (z INTEGER);\n")
    async with SQLiteStore(db_path, migrations=mig_dir):
        pass
    assert _versions(db_path) == [1, 2, 3]
    assert {"a", "b", "c"} <= _tables(db_path)


async def test_failing_migration_leaves_nothing(db_path: Path, mig_dir: Path) -> None:
    """A file that fails halfway is rolled back whole, with its file named in the error;
    the migrations before it stay applied."""
    (mig_dir / "0003_broken.sql").write_text(
        "CREATE TABLE half (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    with pytest.raises(MigrationError, match=r"0003_broken\.sql.*nowhere"):
        await SQLiteStore(db_path, migrations=mig_dir).open()
    assert _versions(db_path) == [1, 2]
    assert "half" not in _tables(db_path)


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("1_short.sql", "SELECT 1;", "NNNN_name"),
        ("0004_Upper.sql", "SELECT 1;", "NNNN_name"),
        ("0002_again.sql", "SELECT 1;", "share number 0002"),
        ("0004_tx.sql", "CREATE TABLE t (x);\nCOMMIT;\n", "own transaction"),
        ("0004_begin.sql", "BEGIN;\nCREATE TABLE t (x);\n", "own transaction"),
        ("0000_zero.sql", "SELECT 1;", "start at 0001"),
    ],
)
def test_malformed_migration_files_are_refused(
    mig_dir: Path, name: str, body: str, message: str
) -> None:
    """Badly named files, duplicate numbers and files with their own transaction
    control are refused before anything runs."""
    (mig_dir / name).write_text(body)
    with pytest.raises(MigrationError, match=message):
        load_migrations(mig_dir)


def test_trigger_bodies_are_not_mistaken_for_transactions(mig_dir: Path) -> None:
    """A trigger's BEGIN ... END is allowed in a migration."""
    (mig_dir / "0003_trigger.sql").write_text(
        "CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n    SELECT RAISE(ABORT, 'no');\nEND;\n"
    )
    assert [m.version for m in load_migrations(mig_dir)] == [1, 2, 3]


async def test_database_newer_than_code_is_refused(db_path: Path, mig_dir: Path) -> None:
    """A database migrated by a newer chanwatch is not opened by an older one."""
    (mig_dir / "0003_third.sql").write_text("CREATE TABLE c (z INTEGER);\n")
    async with SQLiteStore(db_path, migrations=mig_dir):
        pass
    (mig_dir / "0003_third.sql").unlink()
    with pytest.raises(MigrationError, match="does not know"):
        await SQLiteStore(db_path, migrations=mig_dir).open()


async def test_changed_applied_file_is_reported(db_path: Path, mig_dir: Path) -> None:
    """Editing a migration after it ran is logged as a warning (schema drift)."""
    async with SQLiteStore(db_path, migrations=mig_dir):
        pass
    (mig_dir / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER, extra TEXT);\n")
    with capture_logs() as logs:
        async with SQLiteStore(db_path, migrations=mig_dir):
            pass
    assert any(e["event"] == "migration file changed after it was applied" for e in logs)


async def test_two_connections_migrating_at_once_apply_each_file_once(
    db_path: Path, mig_dir: Path
) -> None:
    """Two openers racing (as two processes would): every file runs exactly once."""
    migrations = load_migrations(mig_dir)
    one = await aiosqlite.connect(db_path, isolation_level=None)
    two = await aiosqlite.connect(db_path, isolation_level=None)
    try:
        for conn in (one, two):
            await conn.execute("PRAGMA busy_timeout = 10000")
        done = await asyncio.gather(
            apply_migrations(one, migrations, utc_now), apply_migrations(two, migrations, utc_now)
        )
    finally:
        await one.close()
        await two.close()
    assert sorted(done[0] + done[1]) == [1, 2]
    assert _versions(db_path) == [1, 2]
