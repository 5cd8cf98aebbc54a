"""Hash banks and their entries.

An import is one write operation, so it commits whole or not at all: an invalid
entry anywhere rolls every entry of the import back. Entries are never deleted:
a withdrawn entry, or (with ``replace``) one absent from a full re-import, is
disabled with the reason and time, and the import that disabled it is recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import aiosqlite

from storage.codec import from_db, to_db
from storage.errors import NotFound, StoreError
from storage.models import BankEntry, BankEntryIn, BankInfo
from storage.repos.review import EntryRef, EntryState, ImportCounts
from storage.sqlite.connect import execute, fetch_all, fetch_one

_CHUNK = 1000

_UPSERT = """
INSERT INTO bank_entries (bank_id, hash_type, hash_value, category, source_ref, note, added_at,
    imported_by, first_import_id, last_import_id, enabled, disabled_via, disabled_reason,
    disabled_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bank_id, hash_type, hash_value) DO UPDATE SET
    category = coalesce(excluded.category, bank_entries.category),
    source_ref = coalesce(excluded.source_ref, bank_entries.source_ref),
    note = coalesce(excluded.note, bank_entries.note),
    last_import_id = excluded.last_import_id,
    enabled = CASE WHEN excluded.enabled = 0 THEN 0
                   WHEN bank_entries.disabled_via = 'manual' THEN 0 ELSE 1 END,
    disabled_via = CASE WHEN excluded.enabled = 0 THEN coalesce(bank_entries.disabled_via, 'import')
                        WHEN bank_entries.disabled_via = 'manual' THEN 'manual' END,
    disabled_reason = CASE
        WHEN excluded.enabled = 0 AND bank_entries.enabled = 0 THEN bank_entries.disabled_reason
        WHEN excluded.enabled = 0 THEN excluded.disabled_reason
        WHEN bank_entries.disabled_via = 'manual' THEN bank_entries.disabled_reason END,
    disabled_at = CASE
        WHEN excluded.enabled = 0 AND bank_entries.enabled = 0 THEN bank_entries.disabled_at
        WHEN excluded.enabled = 0 THEN excluded.disabled_at
        WHEN bank_entries.disabled_via = 'manual' THEN bank_entries.disabled_at END
"""


async def _bank_id(conn: aiosqlite.Connection, name: str) -> int:
    row = await fetch_one(conn, "SELECT id FROM banks WHERE name = ?", (name,))
    if row is None:
        raise NotFound(f"no hash bank named {name!r}")
    return int(row[0])


_INFO = (
    "SELECT b.name, b.threshold, b.created_at, count(e.id) AS entries, "
    "coalesce(sum(e.enabled), 0) AS enabled_entries FROM banks b "
    "LEFT JOIN bank_entries e ON e.bank_id = b.id"
)


def _info(row: aiosqlite.Row) -> BankInfo:
    return BankInfo(
        name=row["name"],
        threshold=row["threshold"],
        entries=row["entries"],
        enabled_entries=row["enabled_entries"],
        created_at=from_db(row["created_at"]),
    )


async def get_bank(conn: aiosqlite.Connection, name: str) -> BankInfo | None:
    row = await fetch_one(conn, f"{_INFO} WHERE b.name = ? GROUP BY b.id", (name,))
    return None if row is None else _info(row)


async def list_banks(conn: aiosqlite.Connection) -> list[BankInfo]:
    return [_info(r) for r in await fetch_all(conn, f"{_INFO} GROUP BY b.id ORDER BY b.name")]


async def create_bank(
    conn: aiosqlite.Connection, name: str, threshold: int, actor: str, now: datetime
) -> BankInfo:
    try:
        await execute(
            conn,
            "INSERT INTO banks (name, threshold, created_at, created_by) VALUES (?, ?, ?, ?)",
            (name, threshold, to_db(now), actor),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"a hash bank named {name!r} already exists") from exc
    info = await get_bank(conn, name)
    assert info is not None
    return info


async def import_entries(
    conn: aiosqlite.Connection,
    bank: str,
    entries: Sequence[tuple[str, str, BankEntryIn]],
    actor: str,
    source: str,
    replace: bool,
    now: datetime,
) -> ImportCounts:
    """Upsert validated ``(hash_type, value, entry)`` rows into ``bank``."""
    bank_id = await _bank_id(conn, bank)
    stamp = to_db(now)
    before = await fetch_one(
        conn, "SELECT count(*) FROM bank_entries WHERE bank_id = ?", (bank_id,)
    )
    assert before is not None
    _, import_id = await execute(
        conn,
        "INSERT INTO bank_imports (bank_id, source, imported_by, imported_at, replace_all, "
        "entries_in_file, entries_added, entries_withdrawn, entries_absent) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)",
        (bank_id, source, actor, stamp, int(replace), len(entries)),
    )
    withdrawn_reason = f"withdrawn in import {import_id} ({source})"
    withdrawn = 0
    for start in range(0, len(entries), _CHUNK):
        rows = []
        for hash_type, value, entry in entries[start : start + _CHUNK]:
            withdrawn += entry.withdrawn
            rows.append(
                (
                    bank_id,
                    hash_type,
                    value,
                    entry.category,
                    entry.source_ref,
                    entry.note,
                    stamp,
                    actor,
                    import_id,
                    import_id,
                    0 if entry.withdrawn else 1,
                    "import" if entry.withdrawn else None,
                    withdrawn_reason if entry.withdrawn else None,
                    stamp if entry.withdrawn else None,
                )
            )
        await conn.executemany(_UPSERT, rows)
    absent = 0
    if replace:
        absent, _ = await execute(
            conn,
            "UPDATE bank_entries SET enabled = 0, disabled_via = 'import', disabled_reason = ?, "
            "disabled_at = ? WHERE bank_id = ? AND enabled = 1 AND last_import_id IS NOT ?",
            (f"absent from full import {import_id} ({source})", stamp, bank_id, import_id),
        )
    after = await fetch_one(conn, "SELECT count(*) FROM bank_entries WHERE bank_id = ?", (bank_id,))
    assert after is not None
    added = int(after[0]) - int(before[0])
    await execute(
        conn,
        "UPDATE bank_imports SET entries_added = ?, entries_withdrawn = ?, entries_absent = ? "
        "WHERE id = ?",
        (added, withdrawn, absent, import_id),
    )
    assert import_id is not None
    return ImportCounts(import_id=import_id, added=added, withdrawn=withdrawn, absent=absent)


async def disable_entry(
    conn: aiosqlite.Connection, entry_id: int, reason: str, now: datetime
) -> EntryState:
    """Disable one entry by hand; its state before."""
    row = await fetch_one(
        conn, "SELECT enabled, disabled_reason FROM bank_entries WHERE id = ?", (entry_id,)
    )
    if row is None:
        raise NotFound(f"no bank entry with id {entry_id}")
    await execute(
        conn,
        "UPDATE bank_entries SET enabled = 0, disabled_via = 'manual', disabled_reason = ?, "
        "disabled_at = ? WHERE id = ?",
        (reason, to_db(now), entry_id),
    )
    return EntryState(enabled=bool(row["enabled"]), disabled_reason=row["disabled_reason"])


async def entry_ref(conn: aiosqlite.Connection, entry_id: int) -> EntryRef | None:
    row = await fetch_one(
        conn,
        "SELECT b.name, e.hash_value, e.category FROM bank_entries e "
        "JOIN banks b ON b.id = e.bank_id WHERE e.id = ?",
        (entry_id,),
    )
    return None if row is None else EntryRef(str(row[0]), str(row[1]), row[2])


async def entries_by_source_ref(
    conn: aiosqlite.Connection, bank: str, refs: Sequence[str]
) -> list[BankEntry]:
    out: list[BankEntry] = []
    for start in range(0, len(refs), _CHUNK):
        chunk = list(refs[start : start + _CHUNK])
        marks = ", ".join("?" * len(chunk))
        rows = await fetch_all(
            conn,
            "SELECT e.id, b.name, e.hash_type, e.hash_value, e.category, e.source_ref, "  # noqa: S608
            "e.enabled FROM bank_entries e JOIN banks b ON b.id = e.bank_id "
            f"WHERE b.name = ? AND e.source_ref IN ({marks}) ORDER BY e.id",
            [bank, *chunk],
        )
        out.extend(
            BankEntry(id=r[0], bank=r[1], hash_type=r[2], hash_value=r[3], category=r[4],
                      source_ref=r[5], enabled=bool(r[6]))
            for r in rows
        )
    return out


async def iter_entries(
    conn: aiosqlite.Connection, *, enabled_only: bool
) -> AsyncIterator[BankEntry]:
    where = "WHERE e.enabled = 1" if enabled_only else ""
    async with conn.execute(
        "SELECT e.id, b.name, e.hash_type, e.hash_value, e.category, e.source_ref, e.enabled "  # noqa: S608
        f"FROM bank_entries e JOIN banks b ON b.id = e.bank_id {where} ORDER BY e.id"
    ) as cur:
        while True:
            rows = await cur.fetchmany(5000)
            if not rows:
                return
            for r in rows:
                yield BankEntry(
                    id=r[0],
                    bank=r[1],
                    hash_type=r[2],
                    hash_value=r[3],
                    category=r[4],
                    source_ref=r[5],
                    enabled=bool(r[6]),
                )
