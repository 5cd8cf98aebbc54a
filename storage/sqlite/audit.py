"""The append-only audit trail: who did what to which subject, when, and why.

Rows are only ever inserted; the schema's triggers refuse UPDATE and DELETE.
Writers call :func:`append` inside the transaction of the change they describe,
so a change and its audit row commit together or not at all. Each audit row is
mirrored into the evidence ledger in that same transaction
(:func:`storage.sqlite.evidence.mirror_audit`): a change, its audit row and its
ledger record exist together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from storage.models import AuditRecord
from storage.sqlite.codec import from_db, opt_dumps, to_db
from storage.sqlite.connect import execute, fetch_all
from storage.sqlite.evidence import mirror_audit


def require_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ValueError("every change needs an actor (user or service name); got an empty one")
    return actor


async def append(
    conn: aiosqlite.Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
    why: str | None = None,
    ledger: Mapping[str, Any] | None = None,
) -> int:
    """Insert one audit row and its ledger record; ``ledger``: extra record fields."""
    require_actor(actor)
    if not action or not subject:
        raise ValueError("an audit row needs an action and a subject")
    _, row_id = await execute(
        conn,
        "INSERT INTO audit (at, actor, action, subject, before_json, after_json, why) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (to_db(at), actor, action, subject, opt_dumps(before), opt_dumps(after), why),
    )
    assert row_id is not None
    await mirror_audit(
        conn, at=at, actor=actor, action=action, subject=subject,
        before=before, after=after, why=why, extra=ledger,
    )
    return row_id


async def list_rows(
    conn: aiosqlite.Connection, subject: str | None = None, limit: int = 100
) -> list[AuditRecord]:
    """Newest first; ``subject`` filters on an exact subject (``alert:12``)."""
    where, params = ("WHERE subject = ?", [subject]) if subject is not None else ("", [])
    rows = await fetch_all(
        conn,
        f"SELECT id, at, actor, action, subject, before_json, after_json, why FROM audit {where} "  # noqa: S608
        "ORDER BY id DESC LIMIT ?",
        [*params, limit],
    )
    return [
        AuditRecord(
            id=r["id"],
            at=from_db(r["at"]),
            actor=r["actor"],
            action=r["action"],
            subject=r["subject"],
            before_json=r["before_json"],
            after_json=r["after_json"],
            why=r["why"],
        )
        for r in rows
    ]
