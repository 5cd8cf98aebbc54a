"""Watch requests: an investigator asks to watch a channel under a case, a
supervisor who is not the requester approves or refuses, and an approved
request gets its watch once an authorization covering it is valid.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite
import structlog

from monitor.access import coverage
from monitor.access.cases import LIVE_STATES, case_by_ref, need_text
from monitor.access.clock import Clock, SystemClock
from monitor.access.policy import Limits, status_at
from monitor.access.roles import PolicyViolation
from monitor.access.scope import normalize_ref
from monitor.access.store import TxRunner
from monitor.access.users import require
from storage import access_authz as qa
from storage.access_models import WatchRequest
from storage.sqlite.audit import append as audit

log = structlog.get_logger(__name__)


async def _request(conn: aiosqlite.Connection, request_id: int) -> WatchRequest:
    found = await qa.get_request(conn, request_id)
    if found is None:
        raise PolicyViolation(f"there is no watch request #{request_id}")
    return found


async def activate(
    conn: aiosqlite.Connection, request: WatchRequest, now: datetime, limits: Limits, actor: str
) -> int | None:
    """Give an approved request its watch when an authorization covers it now.

    Another live watch of the same channel is reused. Returns the watch id, or
    None while no authorization is valid (the enforcement job tries again).
    """
    cov = await coverage.load(conn, limits)
    if not cov.valid_for_request(request, None, now):
        return None
    watch_id: int | None = None
    for other in await qa.list_requests(conn, state="approved"):
        linked = cov.watches.get(other.watch_id) if other.watch_id is not None else None
        if other.channel_ref == request.channel_ref and linked and linked.state in LIVE_STATES:
            watch_id = linked.watch_id
            break
    if watch_id is None:
        why = f"case {request.case_reference}, watch request #{request.id}"
        watch_id = await qa.insert_watch(
            conn, target=request.target, state="approved", reason=why, at=now, actor=actor
        )
        await audit(
            conn,
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
    await qa.link_request(conn, request.id, watch_id)
    await audit(
        conn,
        at=now,
        actor=actor,
        action="request.activate",
        subject=f"request:{request.id}",
        after={"watch": watch_id, "case": request.case_reference},
    )
    log.info("watch_activated", request_id=request.id, watch_id=watch_id, target=request.target)
    return watch_id


class WatchRequests:
    def __init__(self, store: TxRunner, limits: Limits, clock: Clock | None = None) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock or SystemClock()

    async def list(
        self, reference: str | None = None, state: str | None = None
    ) -> list[WatchRequest]:
        async def op(conn: aiosqlite.Connection) -> list[WatchRequest]:
            case_id = None if reference is None else (await case_by_ref(conn, reference)).id
            return await qa.list_requests(conn, case_id=case_id, state=state)

        return await self._store.read(op)

    async def request_watch(
        self, actor: str, reference: str, target: str, reason: str
    ) -> WatchRequest:
        ref = normalize_ref(target)
        why = need_text(reason, "a reason for the watch request")
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> WatchRequest:
            await require(conn, actor, "investigator")
            case = await case_by_ref(conn, reference)
            scoped = [
                a
                for a in await qa.list_authorizations(conn, case.id)
                if ref in a.scope and status_at(a, now, self._limits) in ("valid", "pending")
            ]
            if not scoped:
                raise PolicyViolation(
                    f"no current authorization of case {reference!r} names {target!r} in its "
                    "scope; record the authorization first (case authorize)"
                )
            request = await qa.insert_request(
                conn,
                case_id=case.id,
                target=target.strip(),
                channel_ref=ref,
                reason=why,
                at=now,
                actor=actor,
            )
            await audit(
                conn,
                at=now,
                actor=actor,
                action="request.create",
                subject=f"request:{request.id}",
                after=request,
                why=why,
            )
            return request

        return await self._store.write(op)

    async def decide(
        self, actor: str, request_id: int, *, approve: bool, note: str | None = None
    ) -> WatchRequest:
        """A supervisor, never the requester, approves or refuses a request.

        An approved request whose authorization is valid now gets its watch at
        once; otherwise the enforcement job gives it one when it becomes valid.
        """
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> WatchRequest:
            await require(conn, actor, "supervisor")
            before = await _request(conn, request_id)
            if before.state != "requested":
                raise PolicyViolation(f"watch request #{request_id} is already {before.state}")
            if before.requested_by == actor:
                raise PolicyViolation(
                    f"self-approval refused: {actor!r} requested watch request #{request_id}; "
                    "another supervisor must decide it"
                )
            after = await qa.decide_request(
                conn,
                request_id,
                state="approved" if approve else "refused",
                by=actor,
                at=now,
                note=note,
            )
            await audit(
                conn,
                at=now,
                actor=actor,
                action="request.approve" if approve else "request.refuse",
                subject=f"request:{request_id}",
                before=before,
                after=after,
                why=note,
            )
            if approve:
                await activate(conn, after, now, self._limits, actor)
                after = await _request(conn, request_id)
            return after

        return await self._store.write(op)
