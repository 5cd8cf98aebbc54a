"""Which ledger records belong to a case.

A record belongs to case ``REF`` when

1. it carries ``"case": REF``, or
2. it carries ``"authorization": A`` and an ``authorization.*`` record of the
   case names ``A`` (captures, watch changes under that authorization), or
3. it carries neither ``case`` nor ``authorization`` but a ``channel`` that one
   of the case's authorizations covers (its ``channels`` list) and its ``at``
   lies inside that authorization's window: from the earliest ``valid_from``
   (else its first record) to the latest ``valid_until``, cut short by an
   ``authorization.revoked`` / ``authorization.expired`` record (for example
   ``media.hashed`` and ``match`` records, which are about a channel, not a case).

A record that names another case or another case's authorization is never
selected, even when its channel is shared: rule 3 only applies to records that
name no case at all. ``--from``/``--to`` restrict the selection by ``at``, except
for the case's ``authorization.*`` records, which are always included because
the rest cannot be judged without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from storage.ledger import canonical
from storage.ledger.ledger import LedgerRow, read_rows


@dataclass(slots=True)
class AuthScope:
    id: str
    channels: set[str] = field(default_factory=set)
    valid_from: str | None = None
    valid_until: str | None = None
    ended_at: str | None = None

    def covers(self, channel: str, at: str) -> bool:
        if channel not in self.channels:
            return False
        if self.valid_from is not None and at < self.valid_from:
            return False
        end = min((t for t in (self.valid_until, self.ended_at) if t is not None), default=None)
        return end is None or at <= end


def _as_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        canonical.parse_time(value)
    except canonical.CanonicalError:
        return None
    return value


def build_scopes(auth_rows: list[LedgerRow]) -> dict[str, AuthScope]:
    """The authorizations of a case, from its ``authorization.*`` records."""
    scopes: dict[str, AuthScope] = {}
    for row in auth_rows:
        rec = canonical.loads(row.record)
        auth_id = rec.get("authorization")
        if not isinstance(auth_id, str):
            continue
        scope = scopes.setdefault(auth_id, AuthScope(auth_id))
        channels = rec.get("channels")
        if isinstance(channels, list):
            scope.channels.update(c for c in channels if isinstance(c, str))
        if isinstance(rec.get("channel"), str):
            scope.channels.add(str(rec["channel"]))
        start = _as_time(rec.get("valid_from")) or (scope.valid_from or row.at)
        scope.valid_from = min(start, scope.valid_from or start)
        until = _as_time(rec.get("valid_until"))
        if until is not None:
            scope.valid_until = max(until, scope.valid_until or until)
        if row.type in ("authorization.revoked", "authorization.expired"):
            scope.ended_at = row.at if scope.ended_at is None else min(scope.ended_at, row.at)
    return scopes


@dataclass(frozen=True, slots=True)
class Selection:
    case: str
    rows: list[LedgerRow]
    scopes: dict[str, AuthScope]


async def select_case(
    conn: aiosqlite.Connection,
    case: str,
    date_from: str | None = None,
    date_to: str | None = None,
    max_seq: int | None = None,
) -> Selection:
    """The case's records in ledger order (``date_*`` are canonical times)."""
    limit = "" if max_seq is None else f" AND seq <= {int(max_seq)}"
    auth_rows = await read_rows(conn, "case_ref = ? AND type LIKE 'authorization.%'" + limit,
                                (case,))
    scopes = build_scopes(auth_rows)
    chosen: dict[int, LedgerRow] = {r.seq: r for r in auth_rows}
    auth_ids = sorted(scopes)
    marks = ",".join("?" * len(auth_ids))
    direct = f"(case_ref = ?{f' OR authz IN ({marks})' if auth_ids else ''})"
    for row in await read_rows(conn, direct + limit, (case, *auth_ids)):
        chosen.setdefault(row.seq, row)
    channels = sorted({c for s in scopes.values() for c in s.channels})
    if channels:
        cmarks = ",".join("?" * len(channels))
        where = f"case_ref IS NULL AND authz IS NULL AND channel IN ({cmarks})" + limit
        for row in await read_rows(conn, where, tuple(channels)):
            rec = canonical.loads(row.record)
            channel = rec.get("channel")
            if isinstance(channel, str) and any(s.covers(channel, row.at) for s in scopes.values()):
                chosen.setdefault(row.seq, row)
    auth_seqs = {r.seq for r in auth_rows}
    rows = [
        r for _, r in sorted(chosen.items())
        if r.seq in auth_seqs
        or ((date_from is None or r.at >= date_from) and (date_to is None or r.at <= date_to))
    ]
    return Selection(case, rows, scopes)
