"""Transitional: a :class:`storage.repos.Transaction` over a raw connection, for
code that still receives an ``aiosqlite.Connection`` from ``store.write`` /
``store.read``. Removed once every caller uses ``store.transaction``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from storage.changes import audited
from storage.codec import utc_now
from storage.sqlite.tx import SQLiteTransaction


def tx_of(conn: aiosqlite.Connection, now: datetime | None = None) -> SQLiteTransaction:
    return SQLiteTransaction(conn, now or utc_now(), read_only=False)


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
    """The old ``storage.sqlite.audit.append``: :func:`storage.changes.audited`."""
    return await audited(
        tx_of(conn, at), actor=actor, action=action, subject=subject, before=before,
        after=after, why=why, ledger=ledger, at=at,
    )
