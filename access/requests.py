"""Watch requests: an investigator asks to watch a channel under a case, a
supervisor who is not the requester approves or refuses, and an approved
request gets its watch once an authorization covering it is valid.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from access import coverage
from access.cases import LIVE_STATES, case_by_ref, need_text
from access.clock import Clock, SystemClock
from access.policy import Limits, status_at
from access.roles import PolicyViolation
from access.scope import normalize_ref
from access.store import Store
from access.users import require
from storage.access_models import WatchRequest
from storage.changes import audited
from storage.repos import Transaction

log = structlog.get_logger(__name__)


async def _request(tx: Transaction, request_id: int) -> WatchRequest:
    found = await tx.requests.get(request_id)
    if found is None:
        raise PolicyViolation(f"there is no watch request #{request_id}")
    return found


async def activate(
    tx: Transaction, request: WatchRequest, now: datetime, limits: Limits, actor: str
) -> int | None:
    """Give an approved request its watch when an authorization covers it now.

    Another live watch of the same channel is reused. Returns the watch id, or
    None while no authorization is valid (the enforcement job tries again).
    """
    cov = await coverage.load(tx, limits)
    if not cov.valid_for_request(request, None, now):
        return None
    watch_id: int | None = None
    for other in await tx.requests.list(state="approved"):
        linked = cov.watches.get(other.watch_id) if other.watch_id is not None else None
        if other.channel_ref == request.channel_ref and linked and linked.state in LIVE_STATES:
            watch_id = linked.watch_id
            break
    if watch_id is None:
        why = f"case {request.case_reference}, watch request #{request.id}"
        watch = await tx.watches.insert(request.target, actor, why, "approved", now)
        watch_id = watch.id
        await audited(
            tx,
            at=now,
            actor=actor,
            action="watch.create",
            subject=f"watch:{watch_id}",
            after={
                "target": request.target,
                "state": "approved",
                "request": request.id,
                "case": request.case_reference,
            },
            why=why,
        )
    await tx.requests.link(request.id, watch_id)
    await audited(
        tx,
        at=now,
        actor=actor,
        action="request.activate",
        subject=f"request:{request.id}",
        after={"watch": watch_id},
    )
    log.info("watch_activated", request_id=request.id, watch_id=watch_id, target=request.target)
    return watch_id


class WatchRequests:
    def __init__(self, store: Store, limits: Limits, clock: Clock | None = None) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock or SystemClock()

    async def list(
        self, reference: str | None = None, state: str | None = None
    ) -> list[WatchRequest]:
        async def op(tx: Transaction) -> list[WatchRequest]:
            case_id = None if reference is None else (await case_by_ref(tx, reference)).id
            return await tx.requests.list(case_id=case_id, state=state)

        return await self._store.snapshot(op)

    async def request_watch(
        self, actor: str, reference: str, target: str, reason: str
    ) -> WatchRequest:
        ref = normalize_ref(target)
        why = need_text(reason, "a reason for the watch request")
        now = self._clock.now()

        async def op(tx: Transaction) -> WatchRequest:
            await require(tx, actor, "investigator")
            case = await case_by_ref(tx, reference)
            scoped = [
                a
                for a in await tx.authorizations.list(case.id)
                if ref in a.scope and status_at(a, now, self._limits) in ("valid", "pending")
            ]
            if not scoped:
                raise PolicyViolation(
                    f"no current authorization of case {reference!r} names {target!r} in its "
                    "scope; record the authorization first (case authorize)"
                )
            request = await tx.requests.insert(
                case_id=case.id,
                target=target.strip(),
                channel_ref=ref,
                reason=why,
                at=now,
                actor=actor,
            )
            await audited(
                tx,
                at=now,
                actor=actor,
                action="request.create",
                subject=f"request:{request.id}",
                after=request,
                why=why,
            )
            return request

        return await self._store.transaction(op)

    async def decide(
        self, actor: str, request_id: int, *, approve: bool, note: str | None = None
    ) -> WatchRequest:
        """A supervisor, never the requester, approves or refuses a request.

        An approved request whose authorization is valid now gets its watch at
        once; otherwise the enforcement job gives it one when it becomes valid.
        """
        now = self._clock.now()

        async def op(tx: Transaction) -> WatchRequest:
            await require(tx, actor, "supervisor")
            before = await _request(tx, request_id)
            if before.state != "requested":
                raise PolicyViolation(f"watch request #{request_id} is already {before.state}")
            if before.requested_by == actor:
                raise PolicyViolation(
                    f"self-approval refused: {actor!r} requested watch request #{request_id}; "
                    "another supervisor must decide it"
                )
            after = await tx.requests.decide(
                request_id,
                state="approved" if approve else "refused",
                by=actor,
                at=now,
                note=note,
            )
            await audited(
                tx,
                at=now,
                actor=actor,
                action="request.approve" if approve else "request.refuse",
                subject=f"request:{request_id}",
                before=before,
                after=after,
                why=note,
            )
            if approve:
                await activate(tx, after, now, self._limits, actor)
                after = await _request(tx, request_id)
            return after

        return await self._store.transaction(op)
