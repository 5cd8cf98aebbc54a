"""Migration 0004 backfills media_hashes from extra_json (SQLite's migrations)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import aiosqlite

from storage.sqlite import SQLiteStore

SHA = "ab" * 32
VARIANTS = [f"{i:02x}" * 32 for i in range(8)]


async def test_migration_backfills_hashes_kept_in_extra_json(tmp_path: Path) -> None:
    """Media hashed before migration 0004 get their media_hashes rows from extra_json."""
    old = tmp_path / "old-migrations"
    old.mkdir()
    shipped = resources.files("storage.migrations.sqlite")
    for name in ("0001_initial.sql", "0002_ledger.sql", "0003_access.sql"):
        with resources.as_file(shipped / name) as src:
            shutil.copy(src, old / name)
    db = tmp_path / "c.db"
    async with SQLiteStore(db, migrations=old) as s:

        async def insert(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO media (file_id, kind, status, sha256, extra_json, created_at, "
                "updated_at) VALUES ('photo:1', 'photo', 'hashed', ?, ?, 'x', 'x')",
                (SHA, '{"pdq_dihedral":["' + '","'.join(VARIANTS) + '"],"sha1":"'
                 + "ef" * 20 + '","vpdq":"0,100,ab,0.0"}'),
            )

        await s.write(insert)
    async with SQLiteStore(db) as s:
        got = await s.get_media_hashes(1)
    assert got.pdq_dihedral == tuple(VARIANTS) and got.sha1 == "ef" * 20
    assert got.vpdq == "0,100,ab,0.0"
