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

The backend only fetches: ``tx.ledger.rows(case_ref=, type_prefix=)`` gives the
case's authorization records, ``tx.ledger.for_case`` the candidates of rules 1
to 3 (by the stored ``case_ref``, ``authz`` and ``channel`` columns); the rules
themselves (scopes, windows, periods) are applied here, once for every backend.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from storage.ledger import canonical
from storage.ledger.rows import gc_paused
from storage.repos import Transaction
from storage.repos.records import CaseRow, LedgerRow


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
    tx: Transaction,
    case: str,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Selection:
    """The case's records in ledger order (``date_*`` are canonical times)."""
    auth_rows = await tx.ledger.rows(case_ref=case, type_prefix="authorization.")
    scopes = build_scopes(auth_rows)
    channels = sorted({c for s in scopes.values() for c in s.channels})
    fetched = await tx.ledger.for_case(case, authorizations=sorted(scopes), channels=channels)
    auth_seqs = {r.seq for r in auth_rows}
    rows = await asyncio.to_thread(_filter, fetched, auth_seqs, scopes, date_from, date_to)
    return Selection(case, rows, scopes)


def _filter(
    fetched: list[CaseRow],
    auth_seqs: set[int],
    scopes: dict[str, AuthScope],
    date_from: str | None,
    date_to: str | None,
) -> list[LedgerRow]:
    """Apply the time limits and the channel windows (in a worker thread).
    ``channel`` is set only for a record that names neither a case nor an
    authorization (rule 3)."""
    rows: list[LedgerRow] = []
    with gc_paused():
        for row, channel in fetched:
            if row.seq not in auth_seqs:
                at = row.at
                if date_from is not None and at < date_from:
                    continue
                if date_to is not None and at > date_to:
                    continue
                if channel is not None and not any(
                    s.covers(channel, at) for s in scopes.values()
                ):
                    continue
            rows.append(row)
    return rows
