"""The audit table's SQL: insert and list. Rows are only ever inserted; the
schema's triggers refuse UPDATE and DELETE. What an audited change writes (the
row and its ledger record, together) is :mod:`storage.changes`."""

from __future__ import annotations

from typing import Any

import aiosqlite

from storage.codec import from_db
from storage.models import AuditRecord
from storage.repos.records import AuditRow
from storage.sqlite.connect import execute, fetch_all


async def insert(conn: aiosqlite.Connection, row: AuditRow) -> int:
    _, row_id = await execute(
        conn,
        "INSERT INTO audit (at, actor, action, subject, before_json, after_json, why) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (row.at, row.actor, row.action, row.subject, row.before_json, row.after_json, row.why),
    )
    assert row_id is not None
    return row_id


async def list_rows(
    conn: aiosqlite.Connection,
    subject: str | None = None,
    limit: int = 100,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[AuditRecord]:
    """Newest first; each filter is exact (``action`` also matches a prefix
    ending in a dot, ``alert.``); ``since``/``until``: canonical UTC times."""
    where: list[str] = []
    params: list[Any] = []
    if subject is not None:
        where.append("subject = ?")
        params.append(subject)
    if actor is not None:
        where.append("actor = ?")
        params.append(actor)
    if action is not None:
        if action.endswith("."):
            where.append("substr(action, 1, ?) = ?")
            params.extend([len(action), action])
        else:
            where.append("action = ?")
            params.append(action)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if until is not None:
        where.append("at < ?")
        params.append(until)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    rows = await fetch_all(
        conn,
        f"SELECT id, at, actor, action, subject, before_json, after_json, why FROM audit {clause} "  # noqa: S608
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
