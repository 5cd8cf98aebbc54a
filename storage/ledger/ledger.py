"""Appending to and reading the ledger table (migration ``0002_ledger.sql``).

:func:`append_record` is called by the store *inside* its writer's transaction,
so a record commits or rolls back together with the change it records. The
next ``seq`` is read in that same transaction; with the single SQLite writer
this is race-free (the PostgreSQL store must take an advisory lock first).

Every record is a canonical JSON object (:mod:`storage.ledger.canonical`) with
``v`` (format version), ``seq`` (its leaf index, decimal string), ``type``,
``at`` (RFC 3339 UTC, microseconds), ``actor`` (user name or ``service:NAME``)
and the caller's fields. Field names the exporter understands:

- ``case``: the case reference; ``authorization``: the authorization id. A
  record carrying either belongs to that case.
- ``channel``, ``message``: Telegram ids. Records with neither ``case`` nor
  ``authorization`` (for example ``media.hashed``) are selected for a case when
  their ``channel`` is covered by one of the case's authorizations at ``at``.
- ``authorization.*`` records carry ``case``, ``authorization`` and, to define
  the scope, ``channels`` (list of ids), ``valid_from`` and ``valid_until``.

Captures must carry ``channel``, ``message`` and ``authorization`` (null only
when no authorization applies, which the access layer should never allow) and
the text hash ``text_sha256``; ``post.deleted`` carries ``channel`` and
``message``; ``media.hashed`` carries ``sha256`` (null when not hashed);
``media.seen`` (a medium seen in a post) carries ``channel``, ``message``,
``authorization`` and ``sha256``.

Who appends what: :mod:`storage.sqlite.evidence` (the store, for every capture,
match, alert change and audited change), :mod:`storage.ledger.export` (``export``),
:mod:`monitor.ledger` (``setting.change``).
"""

from __future__ import annotations

import asyncio
import gc
import re
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import structlog

from storage.errors import InvalidInput
from storage.ledger import canonical
from storage.ledger.merkle import leaf_hash

log = structlog.get_logger(__name__)

RECORD_VERSION = "1"
RESERVED = ("v", "seq", "type", "at", "actor")

_FIXED_TYPES = frozenset(
    {
        "post.captured",
        "post.edited",
        "post.deleted",
        "media.hashed",
        "media.seen",
        "match",
        "bank.import",
        "login",
        "export",
        "setting.change",
    }
)
# Administrative changes mirrored from the audit trail (storage.sqlite.evidence).
_OPEN_TYPES = re.compile(
    r"^(alert|watch|authorization|case|request|bank|account|user|token|access|auth|record)"
    r"\.[a-z][a-z0-9_]*$"
)
_ACTOR = re.compile(r"^\S(.*\S)?$")

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "post.captured": ("channel", "message", "authorization", "text_sha256"),
    "post.edited": ("channel", "message", "authorization", "text_sha256"),
    "post.deleted": ("channel", "message"),
    "media.hashed": ("sha256",),
    "media.seen": ("channel", "message", "authorization", "sha256"),
    "match": ("channel", "message"),
    "export": ("case",),
}


class LedgerError(InvalidInput, ValueError):
    """A record that cannot be appended; the message says which field is wrong."""


@dataclass(frozen=True, slots=True)
class LedgerRow:
    seq: int
    type: str
    at: str
    actor: str
    record: bytes
    leaf_hash: bytes


def check_type(rtype: str) -> None:
    if rtype not in _FIXED_TYPES and not _OPEN_TYPES.match(rtype):
        raise LedgerError(
            f"unknown ledger record type {rtype!r} (known: {', '.join(sorted(_FIXED_TYPES))}, "
            "and <area>.<change> for the areas alert, watch, authorization, case, request, bank, "
            "account, user, token, access, auth, record)"
        )


def build_record(
    seq: int, rtype: str, actor: str, fields: Mapping[str, Any], at: datetime
) -> bytes:
    """The canonical bytes of record ``seq`` (no database access)."""
    check_type(rtype)
    if not isinstance(actor, str) or not _ACTOR.match(actor):
        raise LedgerError(f"actor {actor!r} must be a non-empty name without surrounding spaces")
    clash = sorted(set(fields) & set(RESERVED))
    if clash:
        raise LedgerError(f"fields {clash} are set by the ledger, not by the caller")
    missing = [k for k in REQUIRED_FIELDS.get(rtype, ()) if k not in fields]
    if missing:
        raise LedgerError(f"{rtype} record needs the fields {missing}")
    record: dict[str, Any] = dict(fields)
    record.update(v=RECORD_VERSION, seq=seq, type=rtype, at=at, actor=actor)
    try:
        return canonical.dumps(record)
    except canonical.CanonicalError as exc:
        raise LedgerError(f"{rtype} record: {exc}") from exc


def _column(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise LedgerError(
            f"field {key!r} must be a string or an integer, not {type(value).__name__}"
        )
    return str(value)


async def next_seq(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger"))
    return int(rows[0][0])


# The next seq each connection is expected to use, so that an append is one
# round trip to SQLite. Only a hint: the ledger_seq_contiguous trigger refuses a
# wrong seq (after a rollback, or another process appended), and then the seq
# is read again.
_next_hint: weakref.WeakKeyDictionary[aiosqlite.Connection, int] = weakref.WeakKeyDictionary()


def _stale_seq(exc: sqlite3.IntegrityError) -> bool:
    text = str(exc)
    return "seq must be the next index" in text or "ledger.seq" in text


_INSERT = (
    "INSERT INTO ledger (seq, type, at, actor, case_ref, authz, channel, record, leaf_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _row(
    seq: int, rtype: str, actor: str, fields: Mapping[str, Any], at: datetime
) -> tuple[Any, ...]:
    data = build_record(seq, rtype, actor, fields, at)
    return (
        seq,
        rtype,
        canonical.format_time(at),
        actor,
        _column(fields, "case"),
        _column(fields, "authorization"),
        _column(fields, "channel"),
        data,
        leaf_hash(data),
    )


async def append_record(
    conn: aiosqlite.Connection,
    rtype: str,
    actor: str,
    fields: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> int:
    """Append one record inside the caller's transaction; return its ``seq``.

    Raises :class:`LedgerError` for a bad type, actor or field (nothing is
    written). ``at`` defaults to now (UTC); pass it only to record a known time.
    """
    when = at or datetime.now(UTC)
    seq = _next_hint.get(conn)
    if seq is None:
        seq = await next_seq(conn)
    try:
        await conn.execute(_INSERT, _row(seq, rtype, actor, fields, when))
    except sqlite3.IntegrityError as exc:
        if not _stale_seq(exc):
            raise
        seq = await next_seq(conn)
        await conn.execute(_INSERT, _row(seq, rtype, actor, fields, when))
    _next_hint[conn] = seq + 1
    log.debug("ledger.append", seq=seq, type=rtype, actor=actor)
    return seq


async def append_records(
    conn: aiosqlite.Connection,
    items: Iterable[tuple[str, str, Mapping[str, Any]]],
    *,
    at: datetime | None = None,
) -> list[int]:
    """Append several ``(type, actor, fields)`` records in one round trip."""
    when = at or datetime.now(UTC)
    batch = list(items)
    first = await next_seq(conn)
    rows = [_row(first + i, t, a, f, when) for i, (t, a, f) in enumerate(batch)]
    await conn.executemany(_INSERT, rows)
    _next_hint[conn] = first + len(rows)
    log.debug("ledger.append_many", first=first, count=len(rows))
    return list(range(first, first + len(rows)))


async def ledger_size(conn: aiosqlite.Connection) -> int:
    return await next_seq(conn)


async def read_leaf_hashes(conn: aiosqlite.Connection, size: int | None = None) -> list[bytes]:
    """Stored leaf hashes of records ``0..size-1`` in order (default: all)."""
    sql = "SELECT leaf_hash FROM ledger ORDER BY seq"
    args: tuple[Any, ...] = ()
    if size is not None:
        sql = "SELECT leaf_hash FROM ledger WHERE seq < ? ORDER BY seq"
        args = (size,)
    rows = list(await conn.execute_fetchall(sql, args))
    if len(rows) < _BULK:
        return [blob(r[0]) for r in rows]
    return await asyncio.to_thread(lambda: [blob(r[0]) for r in rows])


async def read_rows(
    conn: aiosqlite.Connection, where: str = "1", args: tuple[Any, ...] = ()
) -> list[LedgerRow]:
    """Rows matching a trusted ``where`` clause (callers pass constants), by seq."""
    sql = f"SELECT seq, type, at, actor, record, leaf_hash FROM ledger WHERE {where} ORDER BY seq"  # noqa: S608
    rows = list(await conn.execute_fetchall(sql, args))
    if len(rows) < _BULK:
        return _ledger_rows(rows)
    return await asyncio.to_thread(_ledger_rows, rows)


# Above this many rows, Python objects are built in a worker thread, not on the
# event loop (a million rows take seconds).
_BULK = 10_000


def _ledger_rows(rows: Iterable[Any]) -> list[LedgerRow]:
    with gc_paused():
        return [
            LedgerRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), blob(r[4]), blob(r[5]))
            for r in rows
        ]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while building many small objects at once
    (a million rows or records: collections would rescan them again and again)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def blob(value: Any) -> bytes:
    """A BLOB column; a row edited by hand may hold TEXT (or NULL) instead."""
    if isinstance(value, bytes):
        return value
    return b"" if value is None else str(value).encode("utf-8")
