"""SQLite repositories of the web console (:mod:`storage.repos.console`):
sessions and sign-in failures (migration 0010), the queue page by page (keyset
pages over the indexes of migration 0011; totals from its kept counts), and
the counts ``/metrics`` shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import from_db, opt_from_db, opt_to_db, to_db
from storage.repos.console import (
    Counts,
    QueueEntry,
    QueueFilter,
    QueueKey,
    SigninFailures,
    WebSession,
)
from storage.sqlite.alerts import ALERT_STATES, _with_matches
from storage.sqlite.connect import execute, fetch_all, fetch_one
from storage.sqlite.repo import Repo


def _session(r: aiosqlite.Row) -> WebSession:
    return WebSession(
        digest=r["id_digest"], username=r["username"], csrf_token=r["csrf_token"],
        created_at=from_db(r["created_at"]), last_seen=from_db(r["last_seen"]),
        expires_at=from_db(r["expires_at"]), revoked_at=opt_from_db(r["revoked_at"]),
        revoke_reason=r["revoke_reason"],
    )


class SQLiteWebSessions(Repo):
    async def create(self, session: WebSession) -> None:
        await execute(
            self._c,
            "INSERT INTO web_sessions (id_digest, username, csrf_token, created_at, last_seen, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session.digest, session.username, session.csrf_token, to_db(session.created_at),
             to_db(session.last_seen), to_db(session.expires_at)),
        )

    async def get(self, digest: str) -> WebSession | None:
        row = await fetch_one(self._c, "SELECT * FROM web_sessions WHERE id_digest = ?",
                              (digest,))
        return None if row is None else _session(row)

    async def touch(self, digest: str, now: datetime) -> None:
        await execute(self._c, "UPDATE web_sessions SET last_seen = ? WHERE id_digest = ?",
                      (to_db(now), digest))

    async def revoke(self, digest: str, now: datetime, reason: str) -> bool:
        count, _ = await execute(
            self._c,
            "UPDATE web_sessions SET revoked_at = ?, revoke_reason = ? "
            "WHERE id_digest = ? AND revoked_at IS NULL",
            (to_db(now), reason, digest),
        )
        return count == 1

    async def revoke_user(self, username: str, now: datetime, reason: str) -> int:
        count, _ = await execute(
            self._c,
            "UPDATE web_sessions SET revoked_at = ?, revoke_reason = ? "
            "WHERE username = ? AND revoked_at IS NULL",
            (to_db(now), reason, username),
        )
        return count

    async def failures(self, username: str) -> SigninFailures | None:
        r = await fetch_one(self._c, "SELECT * FROM web_signin_failures WHERE username = ?",
                            (username,))
        if r is None:
            return None
        return SigninFailures(
            username=r["username"], failures=int(r["failures"]), lockouts=int(r["lockouts"]),
            first_at=from_db(r["first_at"]), last_at=from_db(r["last_at"]),
            locked_until=opt_from_db(r["locked_until"]),
        )

    async def set_failures(self, state: SigninFailures) -> None:
        await execute(
            self._c,
            "INSERT INTO web_signin_failures (username, failures, lockouts, first_at, last_at, "
            "locked_until) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
            "failures = excluded.failures, lockouts = excluded.lockouts, "
            "first_at = excluded.first_at, last_at = excluded.last_at, "
            "locked_until = excluded.locked_until",
            (state.username, state.failures, state.lockouts, to_db(state.first_at),
             to_db(state.last_at), opt_to_db(state.locked_until)),
        )

    async def clear_failures(self, username: str) -> None:
        await execute(self._c, "DELETE FROM web_signin_failures WHERE username = ?", (username,))


_DECIDED_STATES = ("confirmed", "dismissed")
_DECIDED = "(a.state IN ('confirmed', 'dismissed'))"
_ORDER = f"{_DECIDED}, a.priority, a.due_at, a.id"


def _states_sql(states: list[str]) -> str:
    # Each was checked against ALERT_STATES.
    return ", ".join(f"'{s}'" for s in states)


def _where(f: QueueFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    states = [s for s in f.states if s in ALERT_STATES]
    if len(states) != len(f.states) or not states:
        raise ValueError(f"unknown alert state in {f.states!r}; one of: {', '.join(ALERT_STATES)}")
    if f.overdue_at is None and set(states) in ({"open", "claimed"}, set(_DECIDED_STATES)):
        # The decided flag (as alerts_urgency of migration 0010 names it): the page is
        # then a range of that index, and no index led by state looks cheaper to SQLite.
        # (The overdue filter is a range of due times instead: alerts_due_urgency.)
        clauses.append(f"{_DECIDED} = {int(states[0] in _DECIDED_STATES)}")
    elif len(states) < len(ALERT_STATES):
        clauses.append(f"a.state IN ({_states_sql(sorted(set(states), key=ALERT_STATES.index))})")
    if f.overdue_at is not None:
        clauses.append("a.state IN ('open', 'claimed') AND a.due_at <= ?")
        params.append(to_db(f.overdue_at))
    if f.channel_id is not None:
        clauses.append("a.channel_id = ?")
        params.append(f.channel_id)
    if f.bank is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM matches m JOIN bank_entries e ON e.id = m.bank_entry_id "
            "JOIN banks b ON b.id = e.bank_id WHERE m.alert_id = a.id AND b.name = ?)"
        )
        params.append(f.bank)
    if f.case is not None:
        clauses.append(
            "a.channel_id IN (SELECT w.channel_id FROM watch_requests r "
            "JOIN cases c ON c.id = r.case_id JOIN watches w ON w.id = r.watch_id "
            "WHERE c.reference = ? AND w.channel_id IS NOT NULL)"
        )
        params.append(f.case)
    return (" AND ".join(clauses) or "1"), params


def _decided(f: QueueFilter) -> bool | None:
    """Whether every alert the filter can show is decided (True) or undecided
    (False); None when it shows both."""
    if f.overdue_at is not None or all(s not in _DECIDED_STATES for s in f.states):
        return False
    if all(s in _DECIDED_STATES for s in f.states):
        return True
    return None


def _after(f: QueueFilter, after: QueueKey) -> tuple[str, list[Any]]:
    """The keyset condition "after this key in the urgency order". When the filter
    fixes the decided flag it is left out of the comparison, so that the page is
    a range of an index ordered by (priority, due_at, id) (migration 0011)."""
    decided = _decided(f)
    rest = [after.priority, to_db(after.due_at), after.id]
    if decided is None:
        keyset = f"({_DECIDED}, a.priority, a.due_at, a.id) > (?, ?, ?, ?)"
        return keyset, [int(after.decided), *rest]
    if after.decided != decided:  # the key is before (or after) every row the filter shows
        return ("1" if after.decided < decided else "0"), []
    return "(a.priority, a.due_at, a.id) > (?, ?, ?)", rest


def page_query(where: QueueFilter, after: QueueKey | None, limit: int) -> tuple[str, list[Any]]:
    """The SQL of one queue page and its parameters: a keyset range in urgency order."""
    clause, params = _where(where)
    if after is not None:
        more, values = _after(where, after)
        clause += f" AND {more}"
        params.extend(values)
    # With the decided flag fixed by the filter, the same order without it.
    order = _ORDER if _decided(where) is None else "a.priority, a.due_at, a.id"
    if where.overdue_at is not None:
        # A range of due times, sorted by urgency: sort the ids from a covering index
        # (migration 0011), then read only the page's rows (not every overdue row).
        sql = (f"SELECT a.* FROM alerts a WHERE a.id IN (SELECT a.id FROM alerts a "  # noqa: S608
               f"WHERE {clause} ORDER BY {order} LIMIT ?) ORDER BY {order}")
    else:
        sql = f"SELECT a.* FROM alerts a WHERE {clause} ORDER BY {order} LIMIT ?"  # noqa: S608
    return sql, [*params, limit]


class SQLiteAlertPages(Repo):
    async def page(
        self, where: QueueFilter, after: QueueKey | None, limit: int
    ) -> list[QueueEntry]:
        rows = await fetch_all(self._c, *page_query(where, after, limit))
        alerts = await _with_matches(self._c, rows)
        ids = sorted({a.channel_id for a in alerts})
        names: dict[int, tuple[str | None, str | None]] = {}
        if ids:
            for r in await fetch_all(
                self._c,
                f"SELECT id, title, username FROM channels WHERE id IN ({', '.join('?' * len(ids))})",  # noqa: E501, S608
                ids,
            ):
                names[int(r["id"])] = (r["title"], r["username"])
        return [QueueEntry(a, *names.get(a.channel_id, (None, None))) for a in alerts]

    async def count(self, where: QueueFilter) -> int:
        clause, params = _where(where)
        if where.overdue_at is None and where.bank is None:
            # Filters on state, channel and case only: the kept counts (migration 0011),
            # whose columns the clause names the same way (a.state, a.channel_id).
            sql = f"SELECT coalesce(sum(a.n), 0) FROM alert_counts a WHERE {clause}"  # noqa: S608
        else:
            sql = f"SELECT count(*) FROM alerts a WHERE {clause}"  # noqa: S608
        row = await fetch_one(self._c, sql, params)
        return int(row[0]) if row else 0

    async def marker(self) -> tuple[int, int]:
        row = await fetch_one(
            self._c,
            "SELECT (SELECT coalesce(max(id), 0) FROM alerts), "
            "(SELECT coalesce(max(id), 0) FROM audit)",
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def channels(self) -> list[tuple[int, str | None, str | None]]:
        rows = await fetch_all(
            self._c,
            "SELECT c.id, c.title, c.username FROM channels c "
            "WHERE c.id IN (SELECT channel_id FROM alert_counts WHERE n > 0) "
            "ORDER BY c.title, c.id",
        )
        return [(int(r["id"]), r["title"], r["username"]) for r in rows]


async def _grouped(conn: aiosqlite.Connection, sql: str, params: list[Any]) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in await fetch_all(conn, sql, params)}


class SQLiteStats(Repo):
    async def counts(self, now: datetime) -> Counts:
        c = self._c
        one = await fetch_one(
            c,
            "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM matches), "
            "(SELECT count(*) FROM alerts WHERE state IN ('open', 'claimed') AND due_at <= ?), "
            "(SELECT coalesce(max(seq) + 1, 0) FROM ledger), "
            "(SELECT coalesce(max(tree_size), 0) FROM ledger_checkpoints)",
            (to_db(now),),
        )
        assert one is not None
        cursors = await fetch_all(c, "SELECT channel_id, updated_at FROM cursors ORDER BY 1")
        return Counts(
            posts=int(one[0]),
            media_by_status=await _grouped(
                c, "SELECT status, count(*) FROM media GROUP BY status", []),
            matches=int(one[1]),
            alerts_by_state=await _grouped(
                c, "SELECT state, count(*) FROM alerts GROUP BY state", []),
            alerts_overdue=int(one[2]),
            notices_by_kind=await _grouped(
                c, "SELECT kind, count(*) FROM hotline_notices GROUP BY kind", []),
            accounts_by_status=await _grouped(
                c, "SELECT status, count(*) FROM accounts GROUP BY status", []),
            ledger_size=int(one[3]),
            ledger_signed_size=int(one[4]),
            cursor_age=[(int(r[0]), from_db(r[1])) for r in cursors],
        )
