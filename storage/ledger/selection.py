"""Which ledger records belong to a case (selection rule ``chanwatch-case/2``).

A record belongs to case ``REF`` when

1. it carries ``"case": REF``, or
2. it carries ``"authorization": A`` and an ``authorization.*`` record of the
   case names ``A`` (captures, watch changes under that authorization), or
3. it carries neither ``case`` nor ``authorization`` but a ``channel`` that one
   of the case's authorizations covers (its ``channels`` list) and its ``at``
   lies inside that authorization's window: from the earliest ``valid_from``
   (else its first record) to the latest ``valid_until``, cut short by an
   ``authorization.revoked`` / ``authorization.expired`` record (for example
   ``media.hashed`` and ``match`` records, which are about a channel, not a case),
   or
4. it is a ``watch.*`` record naming no case about a watch (``watch`` field, or
   subject ``watch:W``) that a ``request.*`` or ``watch.*`` record of the case
   links to the case (its ``watch`` field), from that first link on (``seq`` not
   below it): the watch's assignment, join, channel binding, state changes and
   end. A watch shared by two cases' requests is in both bundles from the
   moment each case linked it.

A record that names another case or another case's authorization is never
selected, even when its channel or watch is shared: rules 3 and 4 only apply to
records that name no case at all. ``--from``/``--to`` restrict the selection by
``at``, except for the legal basis: the case's ``authorization.*``,
``request.*`` and ``watch.*`` records and those of rule 4 are always included,
because the rest cannot be judged without them.

The backend only fetches: ``tx.ledger.rows(case_ref=, type_prefix=)`` gives the
case's authorization records, ``tx.ledger.for_case`` the candidates of rules 1
to 3 (by the stored ``case_ref``, ``authz`` and ``channel`` columns),
``tx.ledger.rows(without_case=True, type_prefix="watch.")`` those of rule 4; the
rules themselves (scopes, windows, links, periods) are applied here, once for
every backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
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


SELECTION_RULE = "chanwatch-case/2"
_LEGAL_BASIS = ("authorization.", "request.", "watch.")


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
    basis = [row for row, _ in fetched
             if row.type.startswith(_LEGAL_BASIS) and _case_of(row) == case]
    always = {row.seq for row in basis}
    links = watch_links(basis)
    if links:
        unattached = await tx.ledger.rows(without_case=True, type_prefix="watch.")
        watch_rows = [r for r in unattached if _linked(r, links)]
        always.update(r.seq for r in watch_rows)
        known = {row.seq for row, _ in fetched}
        fetched = sorted([*fetched, *((r, None) for r in watch_rows if r.seq not in known)],
                         key=lambda item: item[0].seq)
    rows = await asyncio.to_thread(_filter, fetched, always, scopes, date_from, date_to)
    return Selection(case, rows, scopes)


def _record(row: LedgerRow) -> dict[str, Any] | None:
    try:
        return canonical.loads(row.record)
    except canonical.CanonicalError:
        return None


def _case_of(row: LedgerRow) -> str | None:
    record = _record(row)
    case = record.get("case") if record is not None else None
    return case if isinstance(case, str) else None


def _watch_of(record: dict[str, Any] | None) -> str | None:
    if record is None:
        return None
    watch = record.get("watch")
    if isinstance(watch, str):
        return watch
    subject = record.get("subject")
    if isinstance(subject, str) and subject.startswith("watch:"):
        return subject[len("watch:"):]
    return None


def watch_links(rows: Iterable[LedgerRow]) -> dict[str, int]:
    """Watch id -> seq of the first of ``rows`` (the case's legal-basis records)
    that names it."""
    links: dict[str, int] = {}
    for row in rows:
        watch = _watch_of(_record(row))
        if watch is not None and watch not in links:
            links[watch] = row.seq
    return links


def _linked(row: LedgerRow, links: dict[str, int]) -> bool:
    watch = _watch_of(_record(row))
    return watch is not None and watch in links and row.seq >= links[watch]


def _filter(
    fetched: list[CaseRow],
    always: set[int],
    scopes: dict[str, AuthScope],
    date_from: str | None,
    date_to: str | None,
) -> list[LedgerRow]:
    """Apply the time limits and the channel windows (in a worker thread) to all
    but the legal basis (``always``). ``channel`` is set only for a record that
    names neither a case nor an authorization (rule 3)."""
    rows: list[LedgerRow] = []
    with gc_paused():
        for row, channel in fetched:
            if row.seq not in always:
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
