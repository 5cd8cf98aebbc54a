"""SQL of Telegram accounts (personas), their joins and the watches they own
(called by :class:`storage.sqlite.access_repos.SQLiteAccounts`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.access_models import Account
from storage.codec import from_db, opt_from_db, opt_to_db, to_db


def _account(row: aiosqlite.Row) -> Account:
    return Account(
        id=int(row["id"]),
        name=str(row["name"]),
        session_path=str(row["session_path"]),
        status=str(row["status"]),
        status_reason=row["status_reason"],
        channel_limit=row["channel_limit"],
        flood_until=opt_from_db(row["flood_until"]),
        created_at=from_db(row["created_at"]),
        created_by=str(row["created_by"]),
    )


async def insert_account(
    conn: aiosqlite.Connection, name: str, session_path: str, *, at: datetime, actor: str
) -> Account:
    await conn.execute(
        "INSERT INTO accounts (name, session_path, status, created_at, created_by, updated_at) "
        "VALUES (?, ?, 'active', ?, ?, ?)",
        (name, session_path, to_db(at), actor, to_db(at)),
    )
    found = await get_account(conn, name)
    assert found is not None
    return found


async def get_account(conn: aiosqlite.Connection, name: str) -> Account | None:
    async with conn.execute("SELECT * FROM accounts WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _account(row)


async def list_accounts(conn: aiosqlite.Connection) -> list[Account]:
    async with conn.execute("SELECT * FROM accounts ORDER BY id") as cur:
        return [_account(r) for r in await cur.fetchall()]


async def set_account_status(
    conn: aiosqlite.Connection, name: str, status: str, reason: str | None, *, at: datetime
) -> None:
    await conn.execute(
        "UPDATE accounts SET status = ?, status_reason = ?, updated_at = ? WHERE name = ?",
        (status, reason, to_db(at), name),
    )


async def set_flood_until(
    conn: aiosqlite.Connection, name: str, until: datetime | None, *, at: datetime
) -> None:
    await conn.execute(
        "UPDATE accounts SET flood_until = ?, updated_at = ? WHERE name = ?",
        (opt_to_db(until), to_db(at), name),
    )


async def set_channel_limit(
    conn: aiosqlite.Connection, name: str, limit: int | None, *, at: datetime
) -> None:
    await conn.execute(
        "UPDATE accounts SET channel_limit = ?, updated_at = ? WHERE name = ?",
        (limit, to_db(at), name),
    )


async def record_join(
    conn: aiosqlite.Connection, account_id: int, watch_id: int | None, *, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO account_joins (account_id, watch_id, at) VALUES (?, ?, ?)",
        (account_id, watch_id, to_db(at)),
    )


async def joins_since(
    conn: aiosqlite.Connection, account_id: int, since: datetime
) -> list[datetime]:
    """Join times of the account at or after ``since``, oldest first."""
    async with conn.execute(
        "SELECT at FROM account_joins WHERE account_id = ? AND at >= ? ORDER BY at",
        (account_id, to_db(since)),
    ) as cur:
        return [from_db(r[0]) for r in await cur.fetchall()]


async def last_join(conn: aiosqlite.Connection, account_id: int) -> datetime | None:
    async with conn.execute(
        "SELECT max(at) FROM account_joins WHERE account_id = ?", (account_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None or row[0] is None else from_db(row[0])


async def count_owned(conn: aiosqlite.Connection, states: Sequence[str]) -> dict[str, int]:
    """Per account name, how many watches in ``states`` it owns."""
    marks = ", ".join("?" for _ in states)
    async with conn.execute(
        f"SELECT account, count(*) FROM watches WHERE account IS NOT NULL "  # noqa: S608
        f"AND state IN ({marks}) GROUP BY account",
        tuple(states),
    ) as cur:
        return {str(r[0]): int(r[1]) for r in await cur.fetchall()}
