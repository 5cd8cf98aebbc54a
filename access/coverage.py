"""Which authorizations cover which watch, computed from one consistent read.

A watch is covered at a time ``now`` when an *approved* watch request is linked
to it and an authorization of that request's case (a) names the channel in its
scope (by the requested name, the channel's current username or its id) and
(b) is valid at ``now`` (see :func:`access.policy.status_at`).
The gate, the enforcement job and approvals all ask this one module.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from access.policy import Limits, effective_until, status_at
from access.scope import channel_refs
from storage.access_models import Authorization, WatchLink, WatchRequest
from storage.repos import Transaction


@dataclass(frozen=True, slots=True)
class AuthorizationRef:
    """The authorization a join or a recording was made under."""

    authorization_id: int
    case_reference: str
    kind: str
    valid_until: datetime  # effective end (an unconfirmed emergency's window included)


EndReason = Literal["expired", "revoked", "suspended"]

#: Watch states in which a channel may be recorded (given a valid authorization).
RECORDING_STATES = frozenset({"approved", "joining", "active", "waiting"})


@dataclass(slots=True)
class Coverage:
    limits: Limits
    watches: dict[int, WatchLink] = field(default_factory=dict)
    requests: dict[int, list[WatchRequest]] = field(default_factory=dict)  # by watch id
    by_case: dict[int, list[Authorization]] = field(default_factory=dict)
    unlinked: list[WatchRequest] = field(default_factory=list)  # approved, no watch yet

    def in_scope(self, request: WatchRequest, watch: WatchLink | None) -> list[Authorization]:
        """Authorizations of the request's case that name this channel, at any time."""
        refs = channel_refs(
            watch.channel_id if watch else None,
            watch.username if watch else None,
            request.channel_ref,
        )
        return [a for a in self.by_case.get(request.case_id, []) if refs & set(a.scope)]

    def valid_for_request(
        self, request: WatchRequest, watch: WatchLink | None, now: datetime
    ) -> list[Authorization]:
        return [
            a for a in self.in_scope(request, watch) if status_at(a, now, self.limits) == "valid"
        ]

    def covering(self, watch_id: int, now: datetime) -> list[Authorization]:
        """The authorizations valid at ``now`` for this watch (empty: none)."""
        watch = self.watches.get(watch_id)
        found: dict[int, Authorization] = {}
        for request in self.requests.get(watch_id, []):
            for a in self.valid_for_request(request, watch, now):
                found[a.id] = a
        return sorted(found.values(), key=lambda a: effective_until(a, self.limits), reverse=True)

    def best_ref(self, watch_id: int, now: datetime) -> AuthorizationRef | None:
        covering = self.covering(watch_id, now)
        return None if not covering else self.ref(covering[0])

    def ref(self, a: Authorization) -> AuthorizationRef:
        return AuthorizationRef(a.id, a.case_reference, a.kind, effective_until(a, self.limits))

    def watches_of_channel(self, channel_id: int) -> list[int]:
        """The channel's watches that may record (an ended watch never does)."""
        return [
            w.watch_id
            for w in self.watches.values()
            if w.channel_id == channel_id and w.state in RECORDING_STATES
        ]

    def end_reason(self, watch_id: int, now: datetime) -> tuple[EndReason, str]:
        """Why an uncovered watch must stop: the state to give it and a sentence."""
        watch = self.watches.get(watch_id)
        requests = self.requests.get(watch_id, [])
        if not requests:
            return "suspended", "no approved watch request for this channel"
        scoped = {a.id: a for r in requests for a in self.in_scope(r, watch)}
        if not scoped:
            return "suspended", "no authorization of the case covers this channel"
        statuses = {a.id: status_at(a, now, self.limits) for a in scoped.values()}
        if all(s == "revoked" for s in statuses.values()):
            ids = ", ".join(f"#{i}" for i in sorted(statuses))
            return "revoked", f"authorization {ids} revoked"
        if all(s == "pending" for s in statuses.values()):
            return "suspended", "the authorization is not yet in force"
        ended = ", ".join(f"#{i} {s}" for i, s in sorted(statuses.items()))
        return "expired", f"authorization ended: {ended}"


async def load(tx: Transaction, limits: Limits) -> Coverage:
    """Read everything coverage depends on in one snapshot."""
    cov = Coverage(limits)
    for link in await tx.watches.links():
        cov.watches[link.watch_id] = link
    grouped: dict[int, list[WatchRequest]] = defaultdict(list)
    for request in await tx.requests.list(state="approved"):
        if request.watch_id is None:
            cov.unlinked.append(request)
        else:
            grouped[request.watch_id].append(request)
    cov.requests = dict(grouped)
    by_case: dict[int, list[Authorization]] = defaultdict(list)
    for a in await tx.authorizations.list():
        by_case[a.case_id].append(a)
    cov.by_case = dict(by_case)
    return cov
