"""SQL of the access tables: users, API tokens and cases.

Every function runs on the connection of one transaction; the repositories of
:mod:`storage.sqlite.access_repos` call them, so a check, its change and the
change's audit row (:func:`storage.changes.audited`) commit together or not at
all. Policy (who may, within which limits) lives in :mod:`access`; this module
only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.access_models import Case, User
from storage.codec import from_db, to_db

# -- users ---------------------------------------------------------------------


async def count_users(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT count(*) FROM users") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _roles(conn: aiosqlite.Connection, user_id: int) -> tuple[str, ...]:
    async with conn.execute(
        "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role", (user_id,)
    ) as cur:
        return tuple(str(r[0]) for r in await cur.fetchall())


async def _user(conn: aiosqlite.Connection, row: aiosqlite.Row) -> User:
    return User(
        id=int(row["id"]),
        username=str(row["username"]),
        roles=await _roles(conn, int(row["id"])),
        active=bool(row["active"]),
        created_at=from_db(row["created_at"]),
        created_by=str(row["created_by"]),
    )


async def insert_user(
    conn: aiosqlite.Connection,
    username: str,
    password_hash: str,
    roles: Sequence[str],
    *,
    at: datetime,
    actor: str,
) -> User:
    cur = await conn.execute(
        "INSERT INTO users (username, password_hash, active, created_at, created_by, updated_at)"
        " VALUES (?, ?, 1, ?, ?, ?)",
        (username, password_hash, to_db(at), actor, to_db(at)),
    )
    user_id = int(cur.lastrowid or 0)
    await conn.executemany(
        "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", [(user_id, r) for r in roles]
    )
    user = await get_user(conn, username)
    assert user is not None
    return user


async def get_user(conn: aiosqlite.Connection, username: str) -> User | None:
    async with conn.execute("SELECT * FROM users WHERE username = ?", (username,)) as cur:
        row = await cur.fetchone()
    return None if row is None else await _user(conn, row)


async def get_password_hash(conn: aiosqlite.Connection, username: str) -> str | None:
    async with conn.execute(
        "SELECT password_hash FROM users WHERE username = ?", (username,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


async def list_users(conn: aiosqlite.Connection) -> list[User]:
    async with conn.execute("SELECT * FROM users ORDER BY username") as cur:
        rows = await cur.fetchall()
    return [await _user(conn, r) for r in rows]


async def usernames_with_role(conn: aiosqlite.Connection, role: str) -> list[str]:
    async with conn.execute(
        "SELECT u.username FROM users u JOIN user_roles r ON r.user_id = u.id "
        "WHERE r.role = ? AND u.active = 1 ORDER BY u.username",
        (role,),
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def set_user_active(
    conn: aiosqlite.Connection, user_id: int, active: bool, *, at: datetime
) -> None:
    await conn.execute(
        "UPDATE users SET active = ?, updated_at = ? WHERE id = ?",
        (1 if active else 0, to_db(at), user_id),
    )


async def set_password_hash(
    conn: aiosqlite.Connection, user_id: int, password_hash: str, *, at: datetime
) -> None:
    await conn.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
        (password_hash, to_db(at), user_id),
    )


# -- API tokens ----------------------------------------------------------------


async def insert_token(
    conn: aiosqlite.Connection, user_id: int, digest: str, label: str, *, at: datetime
) -> int:
    cur = await conn.execute(
        "INSERT INTO api_tokens (user_id, digest, label, created_at) VALUES (?, ?, ?, ?)",
        (user_id, digest, label, to_db(at)),
    )
    return int(cur.lastrowid or 0)


async def user_by_token(conn: aiosqlite.Connection, digest: str) -> User | None:
    """The user owning a live (not revoked) token with this digest, active or not."""
    async with conn.execute(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.digest = ? AND t.revoked_at IS NULL",
        (digest,),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else await _user(conn, row)


async def revoke_tokens(conn: aiosqlite.Connection, user_id: int, *, at: datetime) -> int:
    cur = await conn.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        (to_db(at), user_id),
    )
    return int(cur.rowcount)


# -- cases ---------------------------------------------------------------------


def _case(row: aiosqlite.Row) -> Case:
    return Case(
        id=int(row["id"]),
        reference=str(row["reference"]),
        title=str(row["title"]),
        investigator=str(row["investigator"]),
        supervisor=str(row["supervisor"]),
        opened_at=from_db(row["opened_at"]),
        opened_by=str(row["opened_by"]),
    )


async def insert_case(
    conn: aiosqlite.Connection,
    reference: str,
    title: str,
    investigator: str,
    supervisor: str,
    *,
    at: datetime,
    actor: str,
) -> Case:
    await conn.execute(
        "INSERT INTO cases (reference, title, investigator, supervisor, opened_at, opened_by) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (reference, title, investigator, supervisor, to_db(at), actor),
    )
    case = await get_case(conn, reference)
    assert case is not None
    return case


async def get_case(conn: aiosqlite.Connection, reference: str) -> Case | None:
    async with conn.execute("SELECT * FROM cases WHERE reference = ?", (reference,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _case(row)


async def get_case_by_id(conn: aiosqlite.Connection, case_id: int) -> Case | None:
    async with conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _case(row)


async def list_cases(conn: aiosqlite.Connection) -> list[Case]:
    async with conn.execute("SELECT * FROM cases ORDER BY reference") as cur:
        return [_case(r) for r in await cur.fetchall()]
