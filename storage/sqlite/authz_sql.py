"""SQL of authorizations, their scope and extensions, watch requests, and the
watches they are linked to.

Like :mod:`storage.sqlite.access_sql`, every function runs on the connection of
one transaction (called by :mod:`storage.sqlite.access_repos` and
:class:`storage.sqlite.capture_repos.SQLiteWatches`); the caller writes the
audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.access_models import Authorization, WatchLink, WatchRequest
from storage.codec import from_db, opt_from_db, opt_to_db, to_db

_AUTHZ = (
    "SELECT a.*, c.reference AS case_reference, "
    "(SELECT group_concat(channel_ref, ' ') FROM authorization_scope s "
    " WHERE s.authorization_id = a.id) AS scope "
    "FROM authorizations a JOIN cases c ON c.id = a.case_id"
)
_REQ = (
    "SELECT r.*, c.reference AS case_reference "
    "FROM watch_requests r JOIN cases c ON c.id = r.case_id"
)


def _authz(row: aiosqlite.Row) -> Authorization:
    return Authorization(
        id=int(row["id"]),
        case_id=int(row["case_id"]),
        case_reference=str(row["case_reference"]),
        kind=str(row["kind"]),
        authority=str(row["authority"]),
        document_ref=str(row["document_ref"]),
        valid_from=from_db(row["valid_from"]),
        valid_until=from_db(row["valid_until"]),
        initial_until=from_db(row["initial_until"]),
        scope=tuple(sorted(str(row["scope"] or "").split())),
        created_at=from_db(row["created_at"]),
        created_by=str(row["created_by"]),
        confirmed_at=opt_from_db(row["confirmed_at"]),
        confirmed_by=row["confirmed_by"],
        revoked_at=opt_from_db(row["revoked_at"]),
        revoked_by=row["revoked_by"],
        revoke_reason=row["revoke_reason"],
        ended_noted_at=opt_from_db(row["ended_noted_at"]),
        reminded_until=opt_from_db(row["reminded_until"]),
    )


def _request(row: aiosqlite.Row) -> WatchRequest:
    return WatchRequest(
        id=int(row["id"]),
        case_id=int(row["case_id"]),
        case_reference=str(row["case_reference"]),
        target=str(row["target"]),
        channel_ref=str(row["channel_ref"]),
        reason=str(row["reason"]),
        state=str(row["state"]),
        requested_by=str(row["requested_by"]),
        requested_at=from_db(row["requested_at"]),
        decided_by=row["decided_by"],
        decided_at=opt_from_db(row["decided_at"]),
        decision_note=row["decision_note"],
        watch_id=row["watch_id"],
    )


# -- authorizations ------------------------------------------------------------


async def insert_authorization(
    conn: aiosqlite.Connection,
    *,
    case_id: int,
    kind: str,
    authority: str,
    document_ref: str,
    valid_from: datetime,
    valid_until: datetime,
    scope: Sequence[str],
    at: datetime,
    actor: str,
) -> Authorization:
    cur = await conn.execute(
        "INSERT INTO authorizations (case_id, kind, authority, document_ref, valid_from, "
        "valid_until, initial_until, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            kind,
            authority,
            document_ref,
            to_db(valid_from),
            to_db(valid_until),
            to_db(valid_until),
            to_db(at),
            actor,
        ),
    )
    authz_id = int(cur.lastrowid or 0)
    await conn.executemany(
        "INSERT INTO authorization_scope (authorization_id, channel_ref) VALUES (?, ?)",
        [(authz_id, ref) for ref in sorted(set(scope))],
    )
    found = await get_authorization(conn, authz_id)
    assert found is not None
    return found


async def get_authorization(conn: aiosqlite.Connection, authz_id: int) -> Authorization | None:
    async with conn.execute(_AUTHZ + " WHERE a.id = ?", (authz_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _authz(row)


async def list_authorizations(
    conn: aiosqlite.Connection, case_id: int | None = None
) -> list[Authorization]:
    sql, params = _AUTHZ, list[int]()
    if case_id is not None:
        sql, params = sql + " WHERE a.case_id = ?", [case_id]
    async with conn.execute(sql + " ORDER BY a.id", params) as cur:
        return [_authz(r) for r in await cur.fetchall()]


async def update_authorization(
    conn: aiosqlite.Connection, authz_id: int, **fields: datetime | str | None
) -> Authorization:
    """Set the given columns (times are converted); returns the row after the change."""
    allowed = {
        "valid_until",
        "confirmed_at",
        "confirmed_by",
        "confirm_authority",
        "confirm_document",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "ended_noted_at",
        "reminded_until",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not an updatable authorization column: {', '.join(sorted(unknown))}")
    values = [opt_to_db(v) if isinstance(v, datetime) or v is None else v for v in fields.values()]
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await conn.execute(
        f"UPDATE authorizations SET {assignments} WHERE id = ?",  # noqa: S608 - names checked
        (*values, authz_id),
    )
    found = await get_authorization(conn, authz_id)
    assert found is not None
    return found


async def insert_extension(
    conn: aiosqlite.Connection,
    authz_id: int,
    *,
    previous_until: datetime,
    new_until: datetime,
    authority: str,
    document_ref: str,
    at: datetime,
    actor: str,
) -> None:
    await conn.execute(
        "INSERT INTO authorization_extensions (authorization_id, previous_until, new_until, "
        "authority, document_ref, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            authz_id,
            to_db(previous_until),
            to_db(new_until),
            authority,
            document_ref,
            to_db(at),
            actor,
        ),
    )


async def list_extensions(conn: aiosqlite.Connection, authz_id: int) -> list[dict[str, Any]]:
    async with conn.execute(
        "SELECT * FROM authorization_extensions WHERE authorization_id = ? ORDER BY id",
        (authz_id,),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]


# -- watch requests ------------------------------------------------------------


async def insert_request(
    conn: aiosqlite.Connection,
    *,
    case_id: int,
    target: str,
    channel_ref: str,
    reason: str,
    at: datetime,
    actor: str,
) -> WatchRequest:
    cur = await conn.execute(
        "INSERT INTO watch_requests (case_id, target, channel_ref, reason, state, requested_by,"
        " requested_at) VALUES (?, ?, ?, ?, 'requested', ?, ?)",
        (case_id, target, channel_ref, reason, actor, to_db(at)),
    )
    found = await get_request(conn, int(cur.lastrowid or 0))
    assert found is not None
    return found


async def get_request(conn: aiosqlite.Connection, request_id: int) -> WatchRequest | None:
    async with conn.execute(_REQ + " WHERE r.id = ?", (request_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _request(row)


async def list_requests(
    conn: aiosqlite.Connection, *, case_id: int | None = None, state: str | None = None
) -> list[WatchRequest]:
    sql, params = _REQ + " WHERE 1 = 1", list[int | str]()
    if case_id is not None:
        sql, params = sql + " AND r.case_id = ?", [*params, case_id]
    if state is not None:
        sql, params = sql + " AND r.state = ?", [*params, state]
    async with conn.execute(sql + " ORDER BY r.id", params) as cur:
        return [_request(r) for r in await cur.fetchall()]


async def decide_request(
    conn: aiosqlite.Connection,
    request_id: int,
    *,
    state: str,
    by: str,
    at: datetime,
    note: str | None,
) -> WatchRequest:
    await conn.execute(
        "UPDATE watch_requests SET state = ?, decided_by = ?, decided_at = ?, decision_note = ?"
        " WHERE id = ? AND state = 'requested'",
        (state, by, to_db(at), note, request_id),
    )
    found = await get_request(conn, request_id)
    assert found is not None
    return found


async def link_request(conn: aiosqlite.Connection, request_id: int, watch_id: int) -> None:
    await conn.execute(
        "UPDATE watch_requests SET watch_id = ? WHERE id = ?", (watch_id, request_id)
    )


# -- watches (table of migration 0001) -----------------------------------------

_LINK = (
    "SELECT w.id AS watch_id, w.target, w.state, w.channel_id, w.account, c.username "
    "FROM watches w LEFT JOIN channels c ON c.id = w.channel_id"
)


def _link(row: aiosqlite.Row) -> WatchLink:
    return WatchLink(
        watch_id=int(row["watch_id"]),
        target=str(row["target"]),
        state=str(row["state"]),
        channel_id=row["channel_id"],
        username=row["username"],
        account=row["account"],
    )


async def list_watch_links(
    conn: aiosqlite.Connection, states: Sequence[str] | None = None
) -> list[WatchLink]:
    sql, params = _LINK, list(states or ())
    if states:
        sql += f" WHERE w.state IN ({', '.join('?' for _ in params)})"
    async with conn.execute(sql + " ORDER BY w.id", params) as cur:
        return [_link(r) for r in await cur.fetchall()]


async def get_watch_link(conn: aiosqlite.Connection, watch_id: int) -> WatchLink | None:
    async with conn.execute(_LINK + " WHERE w.id = ?", (watch_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _link(row)


async def set_watch_account(
    conn: aiosqlite.Connection, watch_id: int, account: str | None, *, at: datetime
) -> None:
    await conn.execute(
        "UPDATE watches SET account = ?, updated_at = ? WHERE id = ?",
        (account, to_db(at), watch_id),
    )
