"""The SQLite ledger repository: seq allocation and the ledger table's SQL.

The single writer makes seq allocation race-free: the next seq is read in the
writer's transaction. A per-connection hint saves that read on every append;
the ``ledger_seq_contiguous`` trigger refuses a stale hint (after a rollback,
or when another process appended) and the seq is then read again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite
import structlog

from storage.ledger.rows import blob, gc_paused
from storage.repos.records import CaseRow, LedgerInsert, LedgerRow
from storage.sqlite.repo import Repo

log = structlog.get_logger(__name__)

_next_hint: weakref.WeakKeyDictionary[aiosqlite.Connection, int] = weakref.WeakKeyDictionary()

_INSERT = (
    "INSERT INTO ledger (seq, type, at, actor, case_ref, authz, channel, record, leaf_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Above this many rows, Python objects are built in a worker thread, not on the
# event loop (a million rows take seconds).
_BULK = 10_000


def _stale_seq(exc: sqlite3.IntegrityError) -> bool:
    text = str(exc)
    return "seq must be the next index" in text or "ledger.seq" in text


def _values(row: LedgerInsert) -> tuple[Any, ...]:
    return (row.seq, row.type, row.at, row.actor, row.case_ref, row.authz, row.channel,
            row.record, row.leaf_hash)


def _ledger_rows(rows: Iterable[Any]) -> list[LedgerRow]:
    with gc_paused():
        return [
            LedgerRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), blob(r[4]), blob(r[5]))
            for r in rows
        ]


def _case_rows(rows: Iterable[Any]) -> list[CaseRow]:
    with gc_paused():
        return [
            (LedgerRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), blob(r[4]), blob(r[5])),
             r[7] if r[6] else None)
            for r in rows
        ]


class SQLiteLedger(Repo):
    async def _next_seq(self) -> int:
        rows = list(await self._c.execute_fetchall("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger"))
        return int(rows[0][0])

    async def append(self, build: Callable[[int], LedgerInsert]) -> int:
        seq = _next_hint.get(self._c)
        if seq is None:
            seq = await self._next_seq()
        try:
            await self._c.execute(_INSERT, _values(build(seq)))
        except sqlite3.IntegrityError as exc:
            if not _stale_seq(exc):
                raise
            seq = await self._next_seq()
            await self._c.execute(_INSERT, _values(build(seq)))
        _next_hint[self._c] = seq + 1
        return seq

    async def append_many(self, builds: Sequence[Callable[[int], LedgerInsert]]) -> list[int]:
        first = await self._next_seq()
        rows = [_values(b(first + i)) for i, b in enumerate(builds)]
        await self._c.executemany(_INSERT, rows)
        _next_hint[self._c] = first + len(rows)
        return list(range(first, first + len(rows)))

    async def size(self) -> int:
        return await self._next_seq()

    async def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        sql = "SELECT leaf_hash FROM ledger ORDER BY seq"
        args: tuple[Any, ...] = ()
        if size is not None:
            sql = "SELECT leaf_hash FROM ledger WHERE seq < ? ORDER BY seq"
            args = (size,)
        rows = list(await self._c.execute_fetchall(sql, args))
        if len(rows) < _BULK:
            return [blob(r[0]) for r in rows]
        return await asyncio.to_thread(lambda: [blob(r[0]) for r in rows])

    async def rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        types: Sequence[str] | None = None,
        type_prefix: str | None = None,
        case_ref: str | None = None,
        without_case: bool = False,
        channel: str | None = None,
        contains: bytes | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[LedgerRow]:
        where: list[str] = []
        args: list[Any] = []
        if seqs is not None:
            if not seqs:
                return []
            where.append(f"seq IN ({', '.join('?' * len(seqs))})")
            args.extend(seqs)
        if types is not None:
            if not types:
                return []
            where.append(f"type IN ({', '.join('?' * len(types))})")
            args.extend(types)
        if type_prefix is not None:
            where.append("substr(type, 1, ?) = ?")  # exact and case-sensitive, unlike LIKE
            args.extend((len(type_prefix), type_prefix))
        if case_ref is not None:
            where.append("case_ref = ?")
            args.append(case_ref)
        if without_case:
            where.append("case_ref IS NULL")
        if channel is not None:
            where.append("channel = ?")
            args.append(channel)
        if contains is not None:
            where.append("instr(record, ?) > 0")
            args.append(contains)
        sql = "SELECT seq, type, at, actor, record, leaf_hash FROM ledger"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq" + (" DESC" if newest_first else "")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = list(await self._c.execute_fetchall(sql, args))
        if len(rows) < _BULK:
            return _ledger_rows(rows)
        return await asyncio.to_thread(_ledger_rows, rows)

    async def for_case(
        self,
        case_ref: str,
        *,
        authorizations: Sequence[str] = (),
        channels: Sequence[str] = (),
    ) -> list[CaseRow]:
        where = ["case_ref = ?"]
        args: list[str] = [case_ref]
        if authorizations:
            where.append(f"authz IN ({','.join('?' * len(authorizations))})")
            args.extend(authorizations)
        if channels:
            where.append("(case_ref IS NULL AND authz IS NULL AND channel IN "
                         f"({','.join('?' * len(channels))}))")
            args.extend(channels)
        sql = (
            "SELECT seq, type, at, actor, record, leaf_hash, "  # noqa: S608 - placeholders only
            "case_ref IS NULL AND authz IS NULL, channel "
            f"FROM ledger WHERE {' OR '.join(where)} ORDER BY seq"
        )
        rows = list(await self._c.execute_fetchall(sql, args))
        if len(rows) < _BULK:
            return _case_rows(rows)
        return await asyncio.to_thread(_case_rows, rows)
